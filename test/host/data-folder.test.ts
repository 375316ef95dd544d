// The data folder is the service user's alone: after setup, a running server, a delivered message,
// a message large enough to be kept as a blob file, the queue and the receive protocol log, every
// folder is 0700 and every file 0600, although this test process (and so the `mailroom`
// processes it starts) runs with the usual umask 022. A folder left readable by others gets a
// warning at start-up with the command that fixes it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { eventually, freePortOffset, mailroom, startMailroom, tempDataDir } from '../helpers.ts';

const parent = tempDataDir('mailroom-modes-');
const data = join(parent.path, 'data');
let env: Record<string, string>;
let offset: number;
const previousUmask = process.umask(0o022);

before(async () => {
  offset = await freePortOffset();
  env = { MAILROOM_DATA: data, MAILROOM_PORT_OFFSET: String(offset) };
});
after(() => {
  process.umask(previousUmask);
  parent.cleanup();
});

function walk(path: string, out: { path: string; dir: boolean; mode: number }[] = []): typeof out {
  const st = lstatSync(path);
  out.push({ path, dir: st.isDirectory(), mode: st.mode & 0o777 });
  if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name), out);
  return out;
}

test('setup, start, delivery, a blob, the queue and the logs leave only 0700 folders and 0600 files', async () => {
  const setup = mailroom(['setup', '--organization', 'Contoso', '--domain', 'contoso.test', '--server', 'MAIL01', '--admin-password', 'Admin-Pass-2026'], env);
  assert.equal(setup.status, 0, setup.stderr);
  const server = await startMailroom(['start'], env);
  try {
    assert.doesNotMatch(server.output(), /can be read by other local users/);
    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: 25 + offset, secure: false, ignoreTLS: true });
    await smtp.sendMail({ from: 'news@fabrikam.example', to: 'administrator@contoso.test', subject: 'Small', text: 'Hello.' });
    // Past the 128 KB kept inside the database: the body goes to a file under blobs/.
    await smtp.sendMail({ from: 'news@fabrikam.example', to: 'administrator@contoso.test', subject: 'Large', text: 'x'.repeat(400 * 1024) });
    // The receive protocol log is written in batches; wait until it is on disk.
    await eventually(() => walk(data).some((e) => /RECV\d+-\d+\.LOG$/.test(e.path)), 10_000);
  } finally {
    await server.stop();
  }
  const entries = walk(data);
  const files = entries.filter((e) => !e.dir).map((e) => e.path);
  assert.ok(files.some((f) => f.endsWith('directory.db')), 'the directory is there');
  assert.ok(files.some((f) => f.endsWith('mailbox.db')), 'a mailbox database is there');
  assert.ok(files.some((f) => f.endsWith('queue.db')), 'the queue is there');
  assert.ok(files.some((f) => /blobs\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(f)), `a blob file is there: ${files.join('\n')}`);
  assert.ok(files.some((f) => f.endsWith('-wal')), 'SQLite write-ahead logs are there');
  const wide = entries.filter((e) => e.mode !== (e.dir ? 0o700 : 0o600)).map((e) => `${e.mode.toString(8)} ${e.path}`);
  assert.deepEqual(wide, []);
});

test('a data folder others can read gets a warning at start-up naming the fix', async () => {
  chmodSync(data, 0o755);
  chmodSync(join(data, 'directory.db'), 0o644);
  const server = await startMailroom(['start'], env);
  try {
    const warning = await server.waitFor(/can be read by other local users[^"]*chmod -R go= '[^']+'/);
    assert.ok(warning.includes(data), warning);
    assert.ok(warning.includes(join(data, 'directory.db')), warning);
  } finally {
    await server.stop();
  }
  // The command it gives does fix it: the next start is quiet.
  const fix = /chmod -R go= '([^']+)'/.exec(server.output())![1]!;
  const { spawnSync } = await import('node:child_process');
  assert.equal(spawnSync('chmod', ['-R', 'go=', fix]).status, 0);
  const again = await startMailroom(['start'], env);
  try {
    assert.doesNotMatch(again.output(), /can be read by other local users/);
  } finally {
    await again.stop();
  }
});
