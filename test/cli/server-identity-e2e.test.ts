// Which server a `mailroom` process is, in an organization of two servers in PostgreSQL:
// MAILROOM_SERVER (name or FQDN) or -Server for cmdlets, --server for `mailroom start`; with two
// servers and a host name that is neither, cmdlets and start refuse with the list of servers.
// (The host-name and single-server cases: test/directory/server-identity.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../../src/directory/directory.ts';
import { joinOrganization, setupOrganization } from '../../src/host/setup.ts';
import { ENGINES } from '../engines.ts';
import { mailroom, mailroomOk, tempDataDir } from '../helpers.ts';

const data = tempDataDir('mailroom-identity-');
let cleanup: (() => Promise<void>) | undefined;
let env: Record<string, string>;

/** Whether this machine's host name would itself pick one of the test's servers. */
const hostIsAServer = /^mail0[12]\b/i.test(hostname());

before(async () => {
  const pg = await ENGINES.find((e) => e.name === 'postgres')!.open();
  cleanup = pg.cleanup;
  const dir = await Directory.openWith(pg.db);
  await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', fqdn: 'mail01.contoso.com', adminPassword: 'Admin-Pass-2026' });
  await joinOrganization(dir, { server: 'MAIL02', fqdn: 'mail02.contoso.com' });
  env = { MAILROOM_DIRECTORY: pg.url!, MAILROOM_DATA: data.path };
});

after(async () => {
  await cleanup?.();
  data.cleanup();
});

function json(args: string[], extra: Record<string, string> = {}): Record<string, unknown>[] {
  const out = JSON.parse(mailroomOk([...args, '--json'], { ...env, ...extra }).stdout) as Record<string, unknown> | Record<string, unknown>[];
  return Array.isArray(out) ? out : [out];
}

test('which server a process is: MAILROOM_SERVER or -Server; with two servers and a host name that is neither, refused with the list', { skip: hostIsAServer && 'the host name is a server of this test' }, () => {
  const refused = mailroom(['Get-Service', 'imap4'], env);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /Which server is this\? The organization has 2 servers \(MAIL01 \(mail01\.contoso\.com\), MAIL02 \(mail02\.contoso\.com\)\)/);
  assert.match(refused.stderr, /--server NAME .* MAILROOM_SERVER=NAME/);

  const start = mailroom(['start'], { ...env, MAILROOM_LOG_LEVEL: 'silent' });
  assert.equal(start.status, 1);
  assert.match(start.stderr, /Which server is this\?/);
  const unknownFlag = mailroom(['start', '--server', 'MAIL09'], env);
  assert.equal(unknownFlag.status, 1);
  assert.match(unknownFlag.stderr, /--server: there is no server 'MAIL09' in this organization \(servers: MAIL01 .*MAIL02/);

  assert.equal(json(['Get-Service', 'imap4'], { MAILROOM_SERVER: 'MAIL02' })[0]!.Server, 'MAIL02');
  assert.equal(json(['Get-Service', 'imap4'], { MAILROOM_SERVER: 'mail01.contoso.com' })[0]!.Server, 'MAIL01');
  assert.equal(json(['Get-Service', 'imap4', '-Server', 'MAIL02'])[0]!.Server, 'MAIL02');
  // mailroom import creates mailboxes and fills this server's databases: refused before it creates any.
  const passwd = join(data.path, 'passwd');
  writeFileSync(passwd, 'carol@contoso.com:{PLAIN}Carol-Pass-2026:1000:1000::/home/carol::\n');
  const imported = mailroom(['import', '--dovecot', data.path, '--passwd-file', passwd], env);
  assert.equal(imported.status, 1);
  assert.match(imported.stderr, /Which server is this\?/);
  const carol = mailroom(['Get-Mailbox', 'carol'], { ...env, MAILROOM_SERVER: 'MAIL01' });
  assert.match(carol.stderr, /The mailbox 'carol' was not found/);

  const wrong = mailroom(['Get-ImapSettings'], { ...env, MAILROOM_SERVER: 'MAIL09' });
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /MAILROOM_SERVER: there is no server 'MAIL09'/);
});
