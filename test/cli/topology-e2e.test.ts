// Several servers in one organization, as an administrator builds it with `mailroom` processes
// on a PostgreSQL directory: setup --directory, setup --join (twice, with another secrets key, and
// on a directory with no organization), and Get-ExchangeServer. Which server a process is:
// test/cli/server-identity-e2e.test.ts; the database and site cmdlets:
// test/cli/databases-sites-e2e.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ENGINES } from '../engines.ts';
import { mailroom, mailroomOk, tempDataDir } from '../helpers.ts';

const data = tempDataDir('mailroom-topology-');
let url: string;
let emptyUrl: string;
const cleanups: (() => Promise<void>)[] = [];
let env: Record<string, string>;

before(async () => {
  const pg = await ENGINES.find((e) => e.name === 'postgres')!.open();
  const empty = await ENGINES.find((e) => e.name === 'postgres')!.open();
  // The processes connect by URL; these handles only drop the databases at the end.
  cleanups.push(pg.cleanup, empty.cleanup);
  url = pg.url!;
  emptyUrl = empty.url!;
  env = { MAILROOM_DIRECTORY: url, MAILROOM_DATA: data.path };
});

after(async () => {
  for (const cleanup of cleanups) await cleanup();
  data.cleanup();
});

function json(args: string[], extra: Record<string, string> = {}): Record<string, unknown>[] {
  const out = JSON.parse(mailroomOk([...args, '--json'], { ...env, ...extra }).stdout) as Record<string, unknown> | Record<string, unknown>[];
  return Array.isArray(out) ? out : [out];
}

test('setup --directory creates the organization in PostgreSQL; a second setup is refused and points to --join', () => {
  const made = mailroomOk(['setup', '--directory', url, '--organization', 'Contoso', '--domain', 'contoso.com', '--server', 'MAIL01', '--fqdn', 'mail01.contoso.com', '--admin-password', 'Admin-Pass-2026'], { MAILROOM_DATA: data.path });
  assert.match(made.stdout, /Server\s+: MAIL01/);
  const again = mailroom(['setup', '--directory', url, '--organization', 'Other', '--domain', 'fabrikam.com', '--admin-password', 'Admin-Pass-2026'], { MAILROOM_DATA: data.path });
  assert.equal(again.status, 1);
  assert.match(again.stderr, /An organization already exists in the directory at postgres:\/\/.*mailroom setup --join URL --server NAME/);
});

test('setup --join adds MAIL02 with its site, certificate and first database; joining twice or an empty directory is refused', () => {
  const joined = mailroomOk(['setup', '--join', url, '--server', 'MAIL02', '--fqdn', 'mail02.contoso.com', '--site', 'Branch'], { MAILROOM_DATA: data.path });
  assert.match(joined.stdout, /Server\s+: MAIL02/);
  assert.match(joined.stdout, /Site\s+: Branch/);
  assert.match(joined.stdout, /Database\s+: Mailbox Database MAIL02/);
  assert.match(joined.stdout, /mailroom start --server MAIL02/);

  const twice = mailroom(['setup', '--join', url, '--server', 'mail02'], { MAILROOM_DATA: data.path });
  assert.equal(twice.status, 1);
  assert.match(twice.stderr, /MAIL02 \(mail02\.contoso\.com\) is already a server of Contoso/);

  const empty = mailroom(['setup', '--join', emptyUrl, '--server', 'MAIL03'], { MAILROOM_DATA: data.path });
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /--join: there is no organization in the directory at postgres:\/\/.* yet/);

  // Another key than the organization's: this server could not open the certificates' keys.
  const otherKey = mailroom(['setup', '--join', url, '--server', 'MAIL03'], { MAILROOM_DATA: data.path, MAILROOM_SECRETS_KEY: randomBytes(32).toString('base64') });
  assert.equal(otherKey.status, 1);
  assert.match(otherKey.stderr, /--join: this machine cannot open the secrets in the directory .*Set MAILROOM_SECRETS_KEY to the same key on every server/);

  const noName = mailroom(['setup', '--join', url], { MAILROOM_DATA: data.path });
  assert.equal(noName.status, 2);
  assert.match(noName.stderr, /setup --join needs --server NAME/);
  const mixed = mailroom(['setup', '--join', url, '--server', 'MAIL03', '--organization', 'X'], { MAILROOM_DATA: data.path });
  assert.equal(mixed.status, 2);
  assert.match(mixed.stderr, /--organization belong to creating one/);

  const servers = json(['Get-ExchangeServer']);
  assert.deepEqual(servers.map((s) => [s.Name, s.Fqdn, s.Site]), [['MAIL01', 'mail01.contoso.com', 'Default-First-Site-Name'], ['MAIL02', 'mail02.contoso.com', 'Branch']]);
  for (const s of servers) {
    assert.equal(s.ServerRole, 'Mailbox, ClientAccess');
    assert.match(String(s.AdminDisplayVersion), /^Mailroom \d+\.\d+\.\d+/);
    assert.equal(s.Running, false);
    assert.equal(s.LastHeartbeat, null);
  }
  const certificates = json(['Get-ExchangeCertificate', '-Server', 'MAIL02']);
  assert.equal(certificates.length, 1);
  assert.match(String(certificates[0]!.Subject), /mail02\.contoso\.com/);
});
