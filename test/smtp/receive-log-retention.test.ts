// Receive protocol log retention (Set-TransportService): files past ReceiveProtocolLogMaxAge and
// the oldest files past ReceiveProtocolLogMaxDirectorySize are deleted, a file is closed at
// ReceiveProtocolLogMaxFileSize, and a running server applies a change at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pruneLogFolder } from '../../src/lib/log-retention.ts';
import { SmtpReceiveLog, receiveLogFolder } from '../../src/smtp/receive-log.ts';
import { eventually, freePortOffset, mailroom, startMailroom, tempDataDir } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';
import { SmtpTestClient } from './smtp-client.ts';

const DAY = 86_400_000;
const isRecv = (n: string) => /^RECV\d{8}-\d+\.LOG$/.test(n);

/** Files named → [size, age in days]; returns the folder. */
function folderWith(root: string, files: Record<string, [number, number]>, now: number): string {
  mkdirSync(root, { recursive: true });
  for (const [name, [size, days]] of Object.entries(files)) {
    writeFileSync(join(root, name), 'x'.repeat(size));
    const t = new Date(now - days * DAY);
    utimesSync(join(root, name), t, t);
  }
  return root;
}

test('pruneLogFolder: age first, then oldest while over the folder size; the open file and other files stay', () => {
  const tmp = tempDataDir();
  const now = Date.UTC(2026, 11, 7);
  try {
    const cases: { limits: { maxAgeMs: number; maxDirectoryBytes: number | 'unlimited' }; current?: string; deleted: string[] }[] = [
      { limits: { maxAgeMs: 30 * DAY, maxDirectoryBytes: 'unlimited' }, deleted: ['RECV20261030-1.LOG', 'RECV20261101-1.LOG'] },
      { limits: { maxAgeMs: 0, maxDirectoryBytes: 'unlimited' }, deleted: [] },
      { limits: { maxAgeMs: 0, maxDirectoryBytes: 250 }, deleted: ['RECV20261030-1.LOG', 'RECV20261101-1.LOG', 'RECV20261201-1.LOG'] },
      { limits: { maxAgeMs: 0, maxDirectoryBytes: 250 }, current: 'RECV20261030-1.LOG', deleted: ['RECV20261101-1.LOG', 'RECV20261201-1.LOG', 'RECV20261206-1.LOG'] },
      { limits: { maxAgeMs: 3 * DAY, maxDirectoryBytes: 0 }, current: 'RECV20261207-2.LOG', deleted: ['RECV20261030-1.LOG', 'RECV20261101-1.LOG', 'RECV20261201-1.LOG', 'RECV20261206-1.LOG', 'RECV20261207-1.LOG'] },
    ];
    for (const [i, c] of cases.entries()) {
      const folder = folderWith(join(tmp.path, String(i)), {
        'RECV20261030-1.LOG': [100, 38], 'RECV20261101-1.LOG': [100, 36], 'RECV20261201-1.LOG': [100, 6],
        'RECV20261206-1.LOG': [100, 1], 'RECV20261207-1.LOG': [100, 0], 'RECV20261207-2.LOG': [50, 0],
        'notes.txt': [1000, 90], 'RECV2026-old.LOG': [100, 90],
      }, now);
      const result = pruneLogFolder(folder, isRecv, c.limits, { now, current: c.current ?? 'RECV20261207-2.LOG' });
      assert.deepEqual(result.deleted.sort(), c.deleted.sort(), `case ${i}`);
      for (const name of c.deleted) assert.ok(!existsSync(join(folder, name)), `case ${i}: ${name} is gone`);
      assert.ok(existsSync(join(folder, 'notes.txt')) && existsSync(join(folder, 'RECV2026-old.LOG')), `case ${i}: files the log did not name stay`);
      const left = readdirSync(folder).filter(isRecv).reduce((sum, n) => sum + statSync(join(folder, n)).size, 0);
      assert.equal(result.keptBytes, left, `case ${i}`);
    }
    assert.deepEqual(pruneLogFolder(join(tmp.path, 'absent'), isRecv, { maxAgeMs: 1, maxDirectoryBytes: 0 }), { deleted: [], keptBytes: 0 });
  } finally {
    tmp.cleanup();
  }
});

test('a receive log file is closed at ReceiveProtocolLogMaxFileSize and the next number started', async () => {
  const tmp = tempDataDir();
  try {
    const folder = join(tmp.path, 'recv');
    const log = new SmtpReceiveLog(folder);
    log.setLimits({ maxAgeMs: 0, maxDirectoryBytes: 'unlimited', maxFileBytes: 1024 });
    const date = new Date(Date.UTC(2026, 11, 7, 3));
    for (let i = 0; i < 40; i++) {
      log.write({ connector: 'Default Frontend MAIL01', session: `S${i}`, sequence: 0, local: '127.0.0.1:25', remote: '127.0.0.1:5000', event: '<', data: `EHLO client-${i}.example`, date });
      await new Promise((r) => setImmediate(r)); // one flush per line
    }
    log.close();
    const files = readdirSync(folder).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    assert.ok(files.length >= 3, files.join());
    assert.deepEqual(files, files.map((_, i) => `RECV20261207-${i + 1}.LOG`));
    for (const f of files) assert.ok(statSync(join(folder, f)).size <= 1024, `${f} within the limit`);
  } finally {
    tmp.cleanup();
  }
});

test('a running server deletes old receive logs and applies Set-TransportService at once', async () => {
  const data = tempDataDir();
  try {
    await createTestOrganization(data.path, { mailboxes: [['Chris Ashton', 'chris']], password: 'Pa55-word-2026' });
    const now = Date.now();
    const folder = folderWith(receiveLogFolder(data.path), {
      'RECV20261001-1.LOG': [5000, 40], 'RECV20261020-1.LOG': [5000, 20], 'RECV20261120-1.LOG': [5000, 10], 'keep-me.txt': [10, 60],
    }, now);
    const offset = await freePortOffset();
    const env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
    const server = await startMailroom(['start'], env);
    try {
      // Exchange's default age, 30 days: the 40-day-old file goes when the service starts.
      await eventually(() => !existsSync(join(folder, 'RECV20261001-1.LOG')), 5000);
      assert.ok(existsSync(join(folder, 'RECV20261020-1.LOG')));

      // Refusals: the send log is not written; a file larger than the folder is not allowed.
      const send = mailroom(['Set-TransportService', 'MAIL01', '-SendProtocolLogMaxAge', '7.00:00:00'], env);
      assert.equal(send.status, 1);
      assert.match(send.stderr, /Mailroom does not support -SendProtocolLogMaxAge: it writes no send protocol log/);
      const tooBig = mailroom(['Set-FrontendTransportService', '-ReceiveProtocolLogMaxFileSize', '2MB', '-ReceiveProtocolLogMaxDirectorySize', '1MB'], env);
      assert.equal(tooBig.status, 1);
      assert.match(tooBig.stderr, /ReceiveProtocolLogMaxFileSize .* must not be larger than ReceiveProtocolLogMaxDirectorySize/);

      const set = mailroom(['Set-TransportService', 'MAIL01', '-ReceiveProtocolLogMaxAge', '15.00:00:00', '-ReceiveProtocolLogMaxDirectorySize', '8KB', '-ReceiveProtocolLogMaxFileSize', '1KB'], env);
      assert.equal(set.status, 0, set.stderr);
      const shown = JSON.parse(mailroom(['Get-FrontendTransportService', '--json'], env).stdout)[0];
      assert.equal(shown.ReceiveProtocolLogMaxAge, '15.00:00:00');
      assert.match(String(shown.ReceiveProtocolLogMaxDirectorySize), /^8 KB/);
      // Applied live: the 20-day-old file is past 15 days now.
      await eventually(() => !existsSync(join(folder, 'RECV20261020-1.LOG')), 5000);

      // Sessions on port 25 (ProtocolLoggingLevel Verbose) fill 1 KB files; the folder stays near 8 KB.
      for (let i = 0; i < 25; i++) {
        const c = await SmtpTestClient.connect(25 + offset);
        await c.read();
        await c.command(`EHLO client-${i}.example`);
        await c.command('QUIT');
        c.close();
      }
      await eventually(() => {
        const logs = readdirSync(folder).filter(isRecv);
        const total = logs.reduce((sum, n) => sum + statSync(join(folder, n)).size, 0);
        return logs.length >= 5 && total <= 8 * 1024 + 1024;
      }, 10_000);
      const logs = readdirSync(folder).filter(isRecv);
      for (const n of logs) assert.ok(statSync(join(folder, n)).size <= 1024, `${n}: ${statSync(join(folder, n)).size} bytes`);
      assert.ok(!logs.includes('RECV20261120-1.LOG'), 'the oldest file went to make room');
      assert.ok(existsSync(join(folder, 'keep-me.txt')), 'a file the log did not make stays');
      assert.match(server.output(), /receive protocol log files deleted/);
    } finally {
      await server.stop();
    }
  } finally {
    data.cleanup();
  }
});
