// The cmdlets for mailbox databases and sites on an organization of two servers in PostgreSQL
// (set up as `setup` and `setup --join` make it): Get-MailboxDatabase [-Status],
// New-MailboxDatabase (with the parameters Mailroom refuses), Mount-/Dismount-Database,
// Remove-MailboxDatabase, New-AdSite, Set-ExchangeServer -Site and Get-AdSite: output and errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Directory } from '../../src/directory/directory.ts';
import { joinOrganization, setupOrganization } from '../../src/host/setup.ts';
import { ENGINES } from '../engines.ts';
import { mailroom, mailroomOk, tempDataDir } from '../helpers.ts';

const data = tempDataDir('mailroom-databases-');
let cleanup: (() => Promise<void>) | undefined;
let env: Record<string, string>;

before(async () => {
  const pg = await ENGINES.find((e) => e.name === 'postgres')!.open();
  cleanup = pg.cleanup;
  const dir = await Directory.openWith(pg.db);
  await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', fqdn: 'mail01.contoso.com', adminPassword: 'Admin-Pass-2026' });
  await joinOrganization(dir, { server: 'MAIL02', fqdn: 'mail02.contoso.com', site: 'Branch' });
  env = { MAILROOM_DIRECTORY: pg.url!, MAILROOM_DATA: data.path };
});

after(async () => {
  await cleanup?.();
  data.cleanup();
});

function json(args: string[]): Record<string, unknown>[] {
  const out = JSON.parse(mailroomOk([...args, '--json'], env).stdout) as Record<string, unknown> | Record<string, unknown>[];
  return Array.isArray(out) ? out : [out];
}

test('Get-MailboxDatabase shows Mounted only with -Status; New-MailboxDatabase makes a dismounted one, Mount-/Dismount-Database switch it', () => {
  const plain = json(['Get-MailboxDatabase']);
  assert.deepEqual(plain.map((d) => [d.Name, d.Server, d.MountedOnServer]), [
    ['Mailbox Database MAIL01', 'MAIL01', 'mail01.contoso.com'], ['Mailbox Database MAIL02', 'MAIL02', 'mail02.contoso.com'],
  ]);
  assert.ok(!('Mounted' in plain[0]!));
  assert.deepEqual(json(['Get-MailboxDatabase', '-Server', 'MAIL02', '-Status']).map((d) => [d.Name, d.Mounted]), [['Mailbox Database MAIL02', true]]);

  const made = mailroomOk(['New-MailboxDatabase', 'Archive', '-Server', 'MAIL02', '--json'], env);
  assert.match(made.stderr, /WARNING: The database is dismounted\. Run Mount-Database "Archive" to mount it on MAIL02\./);
  assert.equal((JSON.parse(made.stdout) as Record<string, unknown>).Mounted, false);
  assert.equal(json(['Get-MailboxDatabase', 'archive', '-Status'])[0]!.Mounted, false);

  const twice = mailroom(['New-MailboxDatabase', 'Archive', '-Server', 'MAIL01'], env);
  assert.match(twice.stderr, /The mailbox database 'Archive' already exists/);
  const noServer = mailroom(['New-MailboxDatabase', 'Other', '-Server', 'MAIL09'], env);
  assert.match(noServer.stderr, /there is no server 'MAIL09'/);
  const edb = mailroom(['New-MailboxDatabase', 'Other', '-Server', 'MAIL02', '-EdbFilePath', 'D:\\DB\\Other.edb'], env);
  assert.equal(edb.status, 1);
  assert.match(edb.stderr, /-EdbFilePath is not supported: a mailbox database is a folder named after it/);
  const logs = mailroom(['New-MailboxDatabase', 'Other', '-Server', 'MAIL02', '-LogFolderPath', 'D:\\Logs'], env);
  assert.match(logs.stderr, /-LogFolderPath is not supported/);
  assert.equal(json(['Get-MailboxDatabase']).length, 3, 'nothing was made by the refused ones');

  mailroomOk(['Mount-Database', 'Archive'], env);
  assert.equal(json(['Get-MailboxDatabase', 'Archive', '-Status'])[0]!.Mounted, true);
  mailroomOk(['Dismount-Database', 'Archive'], env);
  assert.equal(json(['Get-MailboxDatabase', 'Archive', '-Status'])[0]!.Mounted, false);
  const missing = mailroom(['Mount-Database', 'Nowhere'], env);
  assert.match(missing.stderr, /there is no mailbox database 'Nowhere'/);
});

test('Remove-MailboxDatabase is refused while mailboxes are in it, and works once it is empty', () => {
  mailroomOk(['New-Mailbox', '-Name', 'Carol', '-Database', 'Archive', '-Password', 'Carol-Pass-2026'], env);
  // An import request runs where the mailbox is, once its database is mounted: the admin is told.
  const maildir = join(data.path, 'Maildir');
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
  const waiting = mailroomOk(['New-MailboxImportRequest', '-Mailbox', 'Carol', '-FilePath', maildir], { ...env, MAILROOM_SERVER: 'MAIL01' });
  assert.match(waiting.stderr, /WARNING: The mailbox database Archive of Carol@contoso\.com is dismounted: the request stays Queued until Mount-Database mounts it on MAIL02\./);
  const elsewhere = mailroomOk(['New-MailboxImportRequest', '-Mailbox', 'Administrator', '-FilePath', maildir, '-Name', 'Elsewhere'], { ...env, MAILROOM_SERVER: 'MAIL02' });
  assert.match(elsewhere.stderr, /WARNING: The request runs on MAIL01, which holds Administrator@contoso\.com: -FilePath must be readable there, at that path\./);
  const refused = mailroom(['Remove-MailboxDatabase', 'Archive'], env);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /The mailbox database 'Archive' contains mailboxes \(Carol\)\. Move them to another database or remove them \(Remove-Mailbox\) first\./);
  mailroomOk(['Remove-Mailbox', 'Carol'], env);
  const removed = mailroomOk(['Remove-MailboxDatabase', 'Archive'], env);
  assert.match(removed.stderr, /The files of Archive stay on MAIL02/);
  assert.deepEqual(json(['Get-MailboxDatabase']).map((d) => d.Name), ['Mailbox Database MAIL01', 'Mailbox Database MAIL02']);
});

test('sites: New-AdSite, Set-ExchangeServer -Site, Get-AdSite', () => {
  mailroomOk(['New-AdSite', 'Hub'], env);
  assert.match(mailroom(['New-AdSite', 'hub'], env).stderr, /The site 'hub' already exists/);
  assert.match(mailroom(['New-AdSite', 'Two Words'], env).stderr, /-Name must be 1–63 characters without spaces/);
  assert.equal(json(['Set-ExchangeServer', 'MAIL02', '-Site', 'hub'])[0]!.Site, 'Hub');
  assert.match(mailroom(['Set-ExchangeServer', 'MAIL02', '-Site', 'Nowhere'], env).stderr, /-Site: there is no site 'Nowhere'\. Get-AdSite lists them; New-AdSite adds one\./);
  assert.deepEqual(json(['Get-AdSite']).map((s) => [s.Name, s.Servers]), [['Branch', []], ['Default-First-Site-Name', ['MAIL01']], ['Hub', ['MAIL02']]]);
  assert.deepEqual(json(['Get-AdSite', 'Hub']).map((s) => s.Name), ['Hub']);
});
