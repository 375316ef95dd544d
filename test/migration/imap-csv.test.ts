// `mailroom import --imap-csv` end to end, as separate processes: a CSV of two Dovecot accounts
// (one logging on as itself, one in Exchange's Dovecot admin form `bob*migrator`) is pulled over
// STARTTLS with a pinned certificate into mailboxes the command creates. The first run is
// killed (SIGKILL) part-way through; the second goes on where it stopped, and the mailboxes then
// hold what Dovecot serves, message by message; a third run imports nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory } from '../../src/directory/directory.ts';
import { createTestOrganization } from '../support/organization.ts';
import { dovecotAvailable, startDovecot, type DovecotServer } from '../support/dovecot-server.ts';
import { BIN, mailroom, tempDataDir } from '../helpers.ts';
import { migrationCorpus } from './corpus.ts';
import { assertSameFolders, fillAccount, mailboxContents, readAccount, type ServerFolder } from './dovecot-corpus.ts';

const skip = dovecotAvailable() ? false : 'dovecot is not installed';
const data = tempDataDir('mailroom-imap-csv-');
const env = { MAILROOM_DATA: data.path };
let dovecot: DovecotServer;
const atSource = new Map<string, ServerFolder[]>();
let args: string[];

before(async () => {
  if (skip) return;
  dovecot = await startDovecot({
    users: [{ name: 'alice', password: 'alice-pass-2026' }, { name: 'bob', password: 'bob-pass-2026' }],
    masters: [{ name: 'migrator', password: 'master-pass-2026' }],
  });
  await fillAccount({ port: dovecot.plainPort, user: 'alice', password: 'alice-pass-2026' }, migrationCorpus({ bigMegabytes: 6 }));
  await fillAccount({ port: dovecot.plainPort, user: 'bob', password: 'bob-pass-2026' }, migrationCorpus({ bigMegabytes: 1 }).slice(0, 3));
  atSource.set('alice', await readAccount({ port: dovecot.plainPort, user: 'alice', password: 'alice-pass-2026' }));
  atSource.set('bob', await readAccount({ port: dovecot.plainPort, user: 'bob', password: 'bob-pass-2026' }));
  await createTestOrganization(data.path, { mailboxes: [], password: 'unused-Pa55-2026' });
  const csv = join(data.path, 'accounts.csv');
  writeFileSync(csv, 'EmailAddress,UserName,Password\r\nalice@contoso.com,alice,alice-pass-2026\r\n"bob@contoso.com","bob*migrator","master-pass-2026"\r\n');
  args = ['import', '--imap-csv', csv, '--remote-server', '127.0.0.1', '--port', String(dovecot.plainPort), '--security', 'Tls', '--certificate-thumbprint', dovecot.fingerprint];
});

after(async () => {
  await dovecot?.stop();
  data.cleanup();
});

/** Runs the command and kills it with SIGKILL once its output shows messages imported. */
function runUntilImporting(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, MAILROOM_LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/alice@contoso\.com \(1\/2\): \d+% .*, [1-9]\d* imported/.test(out)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`the first run ended by itself before it could be killed:\n${out}`));
      else resolve(out);
    });
  });
}

async function contents(alias: string): Promise<{ folders: ServerFolder[]; hasPassword: boolean }> {
  const previous = process.env.MAILROOM_DATA;
  process.env.MAILROOM_DATA = data.path;
  const directory = await Directory.open();
  const databases = new MailboxDatabases(directory);
  try {
    const mailbox = await directory.requireMailbox(alias);
    const names = atSource.get(alias)!.map((f) => f.path.join('/'));
    return { folders: await mailboxContents(await databases.storeFor(mailbox), mailbox.id, names), hasPassword: mailbox.hasPassword };
  } finally {
    await databases.closeAll();
    await directory.close();
    if (previous === undefined) delete process.env.MAILROOM_DATA;
    else process.env.MAILROOM_DATA = previous;
  }
}

test('killed part-way, run again: every message once, as Dovecot serves it; a third run imports nothing', { skip }, async () => {
  const aliceTotal = atSource.get('alice')!.reduce((n, f) => n + f.messages.length, 0);
  const bobTotal = atSource.get('bob')!.reduce((n, f) => n + f.messages.length, 0);
  const first = await runUntilImporting();
  assert.doesNotMatch(first, /bob@contoso\.com/, 'killed while importing the first account');

  const second = mailroom(args, env);
  assert.equal(second.status, 0, second.stdout + second.stderr);
  const resumed = /alice@contoso\.com \(1\/2\): Completed; mailbox alice existed; (\d+) messages imported \(\d+ bytes\), (\d+) already there, 0 skipped/.exec(second.stdout);
  assert.ok(resumed, second.stdout);
  assert.ok(Number(resumed[2]) > 0, 'some messages were in before the kill');
  assert.equal(Number(resumed[1]) + Number(resumed[2]), aliceTotal);
  assert.match(second.stdout, new RegExp(`bob@contoso\\.com \\(2/2\\): Completed; mailbox bob created; ${bobTotal} messages imported`));

  const alice = await contents('alice');
  assert.equal(assertSameFolders(alice.folders, atSource.get('alice')!, 'alice'), aliceTotal);
  assert.ok(alice.hasPassword, "alice's mailbox has the password from the CSV");
  const bob = await contents('bob');
  assert.equal(assertSameFolders(bob.folders, atSource.get('bob')!, 'bob'), bobTotal);
  assert.ok(!bob.hasPassword, "the administrator's password is not given to bob");

  const third = mailroom([...args, '--json'], env);
  assert.equal(third.status, 0, third.stdout + third.stderr);
  const summary = JSON.parse(third.stdout.slice(third.stdout.indexOf('\n['))) as { emailAddress: string; itemsTransferred: number; alreadyImported: number }[];
  assert.deepEqual(summary.map((s) => [s.emailAddress, s.itemsTransferred, s.alreadyImported]), [['alice@contoso.com', 0, aliceTotal], ['bob@contoso.com', 0, bobTotal]]);
});

test('a wrong password fails that account only, with the server\'s answer; bad CSV lines are reported', { skip }, () => {
  const csv = join(data.path, 'bad.csv');
  writeFileSync(csv, 'EmailAddress,UserName,Password\nalice@contoso.com,alice,wrong-password\nnot-an-address,x,y\n');
  const r = mailroom(['import', '--imap-csv', csv, ...args.slice(3)], env);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /alice@contoso\.com \(1\/1\): Failed; .*logon was refused/);
  assert.match(r.stderr, /bad\.csv:3: 'not-an-address' is not an email address; skipped/);
});
