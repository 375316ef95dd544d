// New-MailboxImportRequest with an IMAP source, end to end: the request is queued by the
// `mailroom` command with the master user's password (kept sealed in the directory), the
// running server pulls the Dovecot account over STARTTLS with a pinned certificate, and the
// mailbox then holds what Dovecot serves. Parameters that do not fit together are refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory } from '../../src/directory/directory.ts';
import { createTestOrganization } from '../support/organization.ts';
import { dovecotAvailable, startDovecot, type DovecotServer } from '../support/dovecot-server.ts';
import { eventually, freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { migrationCorpus } from './corpus.ts';
import { assertSameFolders, fillAccount, mailboxContents, readAccount, type ServerFolder } from './dovecot-corpus.ts';

const skip = dovecotAvailable() ? false : 'dovecot is not installed';
const data = tempDataDir('mailroom-imap-request-');
let env: Record<string, string>;
let dovecot: DovecotServer;
let server: RunningServer | undefined;
let atSource: ServerFolder[];

before(async () => {
  if (skip) return;
  dovecot = await startDovecot({
    users: [{ name: 'alice', password: 'alice-pass-2026' }],
    masters: [{ name: 'migrator', password: 'master-pass-2026' }],
  });
  await fillAccount({ port: dovecot.plainPort, user: 'alice', password: 'alice-pass-2026' }, migrationCorpus({ bigMegabytes: 2 }));
  atSource = await readAccount({ port: dovecot.plainPort, user: 'alice', password: 'alice-pass-2026' });
  await createTestOrganization(data.path, { mailboxes: [['Chris Ashton', 'chris']], password: 'Pa55-word-2026' });
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(await freePortOffset()) };
});

after(async () => {
  await server?.stop();
  await dovecot?.stop();
  data.cleanup();
});

test('parameters that do not fit together are refused before anything is queued', { skip }, () => {
  const cases: [string[], RegExp][] = [
    [['-FilePath', '/tmp', '-Port', '993'], /-Port goes with -RemoteServer/],
    [['-RemoteServer', 'x', '-FilePath', '/tmp', '-RemoteUserName', 'a', '-RemotePassword', 'b'], /-FilePath is for file sources/],
    [['-RemoteServer', 'x', '-RemoteUserName', 'a'], /needs -RemoteUserName and -RemotePassword/],
    [['-RemoteServer', 'x', '-RemoteUserName', 'a', '-RemotePassword', 'b', '-RemoteCertificateThumbprint', 'abc'], /64 hexadecimal digits/],
    [['-RemoteServer', 'x', '-RemoteUserName', 'a', '-RemotePassword', 'b', '-Security', 'None', '-AcceptUntrustedCertificates'], /needs -Security Ssl or Tls/],
    [['-RemoteServer', 'x', '-RemoteUserName', 'a', '-RemotePassword', 'b', '-RemoteMasterUserSeparator', '*'], /goes with -RemoteMasterUserName/],
    [[], /-FilePath .* or -RemoteServer/],
  ];
  for (const [extra, message] of cases) {
    const r = mailroom(['New-MailboxImportRequest', 'chris', ...extra], env);
    assert.notEqual(r.status, 0, extra.join(' '));
    assert.match(r.stderr, message, extra.join(' '));
  }
  const list = mailroom(['Get-MailboxImportRequest', '--json'], env);
  assert.deepEqual(JSON.parse(list.stdout || '[]'), []);
});

test('the server runs a queued IMAP import as a master user; the mailbox then holds what Dovecot serves', { skip }, async () => {
  const r = mailroom([
    'New-MailboxImportRequest', 'chris', '-RemoteServer', '127.0.0.1', '-Port', String(dovecot.plainPort), '-Security', 'Tls',
    '-RemoteUserName', 'alice', '-RemoteMasterUserName', 'migrator', '-RemotePassword', 'master-pass-2026',
    '-RemoteCertificateThumbprint', dovecot.fingerprint,
  ], env);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Status\s+: Queued/);
  // The password is sealed in the directory, not stored as typed.
  const db = new Database(join(data.path, 'directory.db'), { readonly: true });
  const options = (db.prepare('SELECT options FROM mailbox_import_requests').get() as { options: string }).options;
  db.close();
  assert.doesNotMatch(options, /master-pass-2026/);
  assert.match(options, /mrsec1:/);

  server = await startMailroom(['start'], env);
  let stats = '';
  await eventually(() => {
    stats = mailroom(['Get-MailboxImportRequestStatistics', 'chris\\MailboxImport', '-IncludeReport'], env).stdout;
    return /Status\s+: (Completed|CompletedWithWarning|Failed)/.test(stats);
  }, 90_000, 500);
  assert.match(stats, /Status\s+: Completed\n/, stats);
  assert.match(stats, /FilePath\s+: imap:\/\/127\.0\.0\.1:\d+\/alice/);
  const total = atSource.reduce((n, f) => n + f.messages.length, 0);
  assert.match(stats, new RegExp(`ItemsTransferred\\s+: ${total}\\n`));
  assert.match(stats, /工作\/報告 -> 工作\/報告: 3 at the source, 3 imported, 0 already there, 0 skipped; adds up; UIDs kept/);

  process.env.MAILROOM_DATA = data.path;
  const directory = await Directory.open();
  const databases = new MailboxDatabases(directory);
  try {
    const mailbox = await directory.requireMailbox('chris');
    const held = await mailboxContents(await databases.storeFor(mailbox), mailbox.id, atSource.map((f) => f.path.join('/')));
    assert.equal(assertSameFolders(held, atSource, 'chris'), total);
  } finally {
    await databases.closeAll();
    await directory.close();
    delete process.env.MAILROOM_DATA;
  }
});
