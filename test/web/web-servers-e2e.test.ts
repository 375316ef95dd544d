// The web on two servers sharing one PostgreSQL directory: MAIL02 is a `mailroom start` process
// with its own data folder and port offset, holding bob's mailbox database; MAIL01's web service
// runs in this process. A sign-in on MAIL01 works on MAIL02's web and a sign-out there ends it
// here; bob's usage figures on MAIL01 come from MAIL02 (XQUOTA on its delivery port), no store
// of MAIL02's database is opened on MAIL01, and with MAIL02 down the page says where they are.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { NetworkDelivery } from '../../src/backend/delivery-router.ts';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory } from '../../src/directory/directory.ts';
import { pickCertificate, SecureContextCache, ServiceHost, type ServiceDeps } from '../../src/host/server.ts';
import { silentLogger } from '../../src/lib/log.ts';
import { databaseFolder } from '../../src/store/open.ts';
import { WebService } from '../../src/web/service.ts';
import { ENGINES } from '../engines.ts';
import { eventually, freePortOffset, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { fastCredentials } from '../support/passwords.ts';
import { Browser } from './client.ts';
import { pageText } from './page.ts';
import { setupTwoServers } from '../support/two-servers.ts';

const PASSWORD = 'Two-Servers-2026';
const dataA = tempDataDir('mailroom-web-a-');
const dataB = tempDataDir('mailroom-web-b-');
let directory: { url?: string; cleanup: () => Promise<void> } | undefined;
let dir: Directory;
let deps: ServiceDeps;
let web: WebService | undefined;
let serverB: RunningServer | undefined;
let offsetA: number;
let offsetB: number;

before(async () => {
  process.env.MAILROOM_DATA = dataA.path;
  const pg = await ENGINES.find((e) => e.name === 'postgres')!.open();
  directory = pg;
  dir = await Directory.openWith(pg.db);
  await setupTwoServers(dir);
  await dir.createMailbox({ name: 'Alice Wong', alias: 'alice', credentials: await fastCredentials(PASSWORD) });
  await dir.createMailbox({ name: 'Bob Kelly', alias: 'bob', database: 'Mailbox Database MAIL02', credentials: await fastCredentials(PASSWORD) });
  await dir.updateMailbox('bob', { settings: { UseDatabaseQuotaDefaults: false, IssueWarningQuota: 'unlimited', ProhibitSendQuota: 'unlimited', ProhibitSendReceiveQuota: 1_000_000 } });

  offsetB = await freePortOffset();
  serverB = await startMailroom(['start', '--server', 'MAIL02'], { MAILROOM_DIRECTORY: pg.url!, MAILROOM_DATA: dataB.path, MAILROOM_PORT_OFFSET: String(offsetB) });
  do offsetA = await freePortOffset(); while (offsetA === offsetB);
  deps = { directory: dir, databases: new MailboxDatabases(dir), authenticator: new Authenticator(dir, silentLogger), log: silentLogger, tls: new SecureContextCache() };
  web = await WebService.start(await new ServiceHost(deps, 'MAIL01', 'all').readSnapshot(), deps, offsetA);
});

after(async () => {
  await web?.stop();
  await serverB?.stop();
  await deps?.databases.closeAll();
  await dir?.close();
  await directory?.cleanup();
  dataA.cleanup();
  dataB.cleanup();
});

const mail01 = () => `https://127.0.0.1:${443 + offsetA}`;
const mail02 = () => `https://127.0.0.1:${443 + offsetB}`;

async function accountPage(b: Browser): Promise<{ status: number; text: string; body: string }> {
  const res = await b.get('/options/account');
  return { status: res.status, text: res.status === 200 ? pageText(res.body) : '', body: res.body };
}

test('a sign-in on MAIL01 works on the other process\'s web service (MAIL02), and a sign-out there ends it on MAIL01', async () => {
  const b = new Browser(mail01(), '127.0.0.21');
  assert.equal((await b.signIn('alice', PASSWORD)).status, 303);
  assert.equal((await accountPage(b)).status, 200);
  const other = new Browser(mail02(), '127.0.0.21');
  for (const [k, v] of b.cookies) other.cookies.set(k, v);
  const page = await accountPage(other);
  assert.equal(page.status, 200);
  assert.match(page.text, /alice@contoso\.com/);
  assert.equal((await other.post('/signout', {}, page.body)).status, 303);
  await eventually(async () => (await accountPage(b)).status !== 200, 1500, 100);
});

test('bob\'s usage figures on MAIL01 come from MAIL02, which holds his mailbox; MAIL01 opens no store of that database', async () => {
  // A message for bob, delivered to MAIL02 over its delivery port as MAIL01's SMTP would.
  const network = new NetworkDelivery({ directory: dir, serverName: 'MAIL01', log: silentLogger, portOffset: offsetA, pickCertificate });
  try {
    const bob = await dir.requireMailbox('bob');
    const message = Buffer.from(`From: alice@contoso.com\r\nTo: bob@contoso.com\r\nSubject: Usage\r\n\r\n${'x'.repeat(250_000)}\r\n`);
    const [result] = await network.deliver([{ address: 'bob@contoso.com', mailbox: bob, message }]);
    assert.equal(result!.ok, true, JSON.stringify(result));
    const quota = await network.quota(bob);
    assert.ok(quota.usage >= 250_000, `MAIL02 reports ${quota.usage} bytes`);
  } finally {
    network.close();
  }
  const b = new Browser(mail01(), '127.0.0.22');
  await b.signIn('bob', PASSWORD);
  const page = await accountPage(b);
  assert.equal(page.status, 200);
  assert.match(page.text, /Figures from MAIL02, which holds this mailbox/);
  assert.match(page.body, /<progress class="usage-bar ok" max="100" value="2[5-9]\.\d\d"/, 'about a quarter of the 1 MB ProhibitSendReceiveQuota');
  assert.doesNotMatch(page.text, /\d messages/, 'the message count is not among the figures MAIL02 gives');
  assert.equal(existsSync(databaseFolder('Mailbox Database MAIL02')), false, 'MAIL01 made no copy of MAIL02\'s database');
});

test('with MAIL02 down, MAIL01 says the figures are on MAIL02 instead of showing an empty mailbox', async () => {
  await serverB!.stop();
  serverB = undefined;
  const b = new Browser(mail01(), '127.0.0.23');
  await b.signIn('bob', PASSWORD);
  const page = await accountPage(b);
  assert.equal(page.status, 200);
  assert.match(page.text, /The figures of this mailbox are on MAIL02, which holds it, and could not be read from there just now\./);
  assert.doesNotMatch(page.body, /data-field="usage"/);
  assert.equal(existsSync(databaseFolder('Mailbox Database MAIL02')), false);
});
