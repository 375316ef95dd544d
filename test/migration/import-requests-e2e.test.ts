// New-MailboxImportRequest end to end: the cmdlet queues, a running `mailroom start` imports
// (clients see the mail over IMAP), Get-MailboxImportRequestStatistics reports, a server killed
// mid-import goes on after a restart without duplicates, Remove-MailboxImportRequest removes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { eventually, freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';

const PASSWORD = 'Import-Pass-2026';
const data = tempDataDir('mailroom-import-requests-');
let env: Record<string, string>;
let offset: number;
let server: RunningServer | undefined;

function admin(...args: string[]): string {
  const r = mailroom(args, env);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function statistics(identity: string): Record<string, unknown> {
  const out = JSON.parse(admin('Get-MailboxImportRequestStatistics', identity, '-IncludeReport', '--json')) as Record<string, unknown> | Record<string, unknown>[];
  return Array.isArray(out) ? out[0]! : out;
}

/** A Dovecot-style Maildir++ root with `count` messages in INBOX (UIDVALIDITY 1600000000) and two in .Sent, one of them truncated. */
function writeMaildir(path: string, count: number): void {
  for (const dir of [path, join(path, '.Sent')]) for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
  const lines: string[] = [];
  for (let i = 1; i <= count; i++) {
    const body = `From: sender${i}@example.com\nSubject: message ${i}\nMessage-ID: <${i}@example.com>\n\n${'text '.repeat(100)}\n`;
    const base = `16000${i}.M${i}P1.old,S=${Buffer.byteLength(body)}`;
    const file = join(path, 'cur', `${base}:2,S`);
    writeFileSync(file, body);
    utimesSync(file, new Date(1600000000000 + i * 1000), new Date(1600000000000 + i * 1000));
    lines.push(`${i * 2} :${base}`);
  }
  writeFileSync(join(path, 'dovecot-uidlist'), `3 V1600000000 N${count * 2 + 1}\n${lines.join('\n')}\n`);
  writeFileSync(join(path, '.Sent', 'cur', '1.M1P1.old:2,S'), 'Subject: sent\n\nsent\n');
  writeFileSync(join(path, '.Sent', 'cur', '2.M2P1.old,S=9999:2,S'), 'Subject: cut off\n');
}

before(async () => {
  offset = await freePortOffset([143, 993]);
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  await createTestOrganization(data.path, { mailboxes: [['Chris Ashton', 'chris'], ['Mei Lin', 'mei']], password: PASSWORD });
  server = await startMailroom(['start'], env);
});

after(async () => {
  await server?.stop();
  data.cleanup();
});

describe('import requests (New-/Get-/Remove-MailboxImportRequest, Get-MailboxImportRequestStatistics)', () => {
  test('queued by the cmdlet, run by the server, seen over IMAP, reported per folder', async () => {
    const source = join(data.path, 'old-chris');
    writeMaildir(source, 20);
    const refused = mailroom(['New-MailboxImportRequest', '-Mailbox', 'chris', '-FilePath', source, '-BadItemLimit', '60'], env);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /AcceptLargeDataLoss/);
    assert.match(mailroom(['New-MailboxImportRequest', '-Mailbox', 'chris', '-FilePath', join(data.path, 'nothing-here')], env).stderr, /There is no file or folder/);

    const queued = JSON.parse(admin('New-MailboxImportRequest', '-Mailbox', 'chris', '-FilePath', source, '-BadItemLimit', '1', '--json'));
    assert.deepEqual([queued.Name, queued.Status, queued.Identity], ['MailboxImport', 'Queued', 'chris\\MailboxImport']);
    await eventually(() => ['Completed', 'CompletedWithWarning', 'Failed'].includes(statistics('chris\\MailboxImport').Status as string), 20_000, 200);
    const stats = statistics('chris\\MailboxImport');
    assert.equal(stats.Status, 'CompletedWithWarning', JSON.stringify(stats));
    assert.equal(stats.PercentComplete, 100);
    assert.equal(stats.ItemsTransferred, 21);
    assert.equal(stats.BadItemsEncountered, 1);
    assert.equal(stats.SourceFormat, 'Maildir');
    const report = (stats.Report as string[]).join('\n');
    assert.match(report, /INBOX -> INBOX: 20 at the source, 20 imported, 0 already there, 0 skipped; adds up; UIDs kept \(UIDVALIDITY 1600000000\)/);
    assert.match(report, /Sent -> Sent: 2 at the source, 1 imported, 0 already there, 1 skipped; adds up/);
    assert.match(report, /truncated/);
    const listed = [JSON.parse(admin('Get-MailboxImportRequest', '-Mailbox', 'chris', '--json'))].flat() as Record<string, unknown>[];
    assert.deepEqual(listed.map((r) => [r.Identity, r.Status]), [['chris\\MailboxImport', 'CompletedWithWarning']]);

    const client = new ImapFlow({ host: '127.0.0.1', port: 993 + offset, secure: true, auth: { user: 'chris@contoso.com', pass: PASSWORD }, tls: { rejectUnauthorized: false }, logger: false });
    await client.connect();
    const status = await client.status('INBOX', { messages: true, uidValidity: true, uidNext: true });
    await client.logout();
    assert.ok(status);
    assert.deepEqual([status.messages, String(status.uidValidity), status.uidNext], [20, '1600000000', 41]);

    // A second request of the same source: a new name, nothing imported twice.
    const second = JSON.parse(admin('New-MailboxImportRequest', 'chris', '-FilePath', source, '-BadItemLimit', '1', '--json'));
    assert.equal(second.Name, 'MailboxImport1');
    await eventually(() => statistics('chris\\MailboxImport1').Status === 'CompletedWithWarning', 20_000, 200);
    assert.equal(statistics('chris\\MailboxImport1').ItemsTransferred, 0);

    const removed = [JSON.parse(admin('Remove-MailboxImportRequest', '-Mailbox', 'chris', '-Status', 'CompletedWithWarning', '--json'))].flat();
    assert.equal(removed.length, 2);
    assert.match(mailroom(['Get-MailboxImportRequestStatistics', 'chris\\MailboxImport'], env).stderr, /no import request/);
  });

  test('a server killed in the middle of an import goes on with it after a restart, without duplicates', async () => {
    const source = join(data.path, 'old-mei');
    const count = 2500;
    writeMaildir(source, count);
    admin('New-MailboxImportRequest', '-Mailbox', 'mei', '-FilePath', source, '-IncludeFolders', '#Inbox#', '-Name', 'FromDovecot');
    let seen = 0;
    await eventually(() => {
      const s = statistics('mei\\FromDovecot');
      seen = s.ItemsTransferred as number;
      return s.Status === 'InProgress' && seen > 0;
    }, 30_000, 20);
    server!.child.kill('SIGKILL');
    await server!.stop();
    const stopped = statistics('mei\\FromDovecot');
    assert.equal(stopped.Status, 'InProgress', 'killed: nobody finished it');
    assert.ok((stopped.ItemsTransferred as number) < count, `killed mid-way (${stopped.ItemsTransferred} of ${count} saved)`);

    server = await startMailroom(['start'], env);
    await eventually(() => statistics('mei\\FromDovecot').Status === 'Completed', 60_000, 200);
    const done = statistics('mei\\FromDovecot');
    assert.equal(done.PercentComplete, 100);
    const client = new ImapFlow({ host: '127.0.0.1', port: 993 + offset, secure: true, auth: { user: 'mei@contoso.com', pass: PASSWORD }, tls: { rejectUnauthorized: false }, logger: false });
    await client.connect();
    const status = await client.status('INBOX', { messages: true, uidNext: true });
    const lock = await client.getMailboxLock('INBOX');
    const uids: number[] = [];
    try {
      for await (const m of client.fetch('1:*', { uid: true })) uids.push(m.uid);
    } finally {
      lock.release();
    }
    await client.logout();
    assert.ok(status);
    assert.equal(status.messages, count, 'every message once');
    assert.deepEqual(uids, Array.from({ length: count }, (_, i) => (i + 1) * 2), 'the kept UIDs, each once');
    assert.equal(status.uidNext, count * 2 + 1);
  });
});
