// The admin center over HTTP: only Organization Management gets in; every action runs the
// cmdlet, so changes land in the directory and refusals carry the cmdlet's own message.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser } from './client.ts';
import { cmdlet } from './cmdlets.ts';
import { ADMIN_PW, ALICE_PW, BOB_PW, startWebHarness, type WebHarness } from './harness.ts';
import { blocks, pageText } from './page.ts';

let h: WebHarness;
let admin: Browser;

before(async () => {
  h = await startWebHarness();
  admin = new Browser(h.https, '127.0.0.50');
  assert.equal((await admin.signIn('Administrator@contoso.com', ADMIN_PW)).status, 303);
});
after(async () => {
  await h?.close();
});

/** Posts a form from the admin center as the browser would after loading `page`. */
async function submit(path: string, fields: Record<string, string>, from = path) {
  const page = await admin.get(from);
  assert.equal(page.status, 200, `${from}: ${page.status}`);
  return admin.post(path, fields, page.body);
}

describe('who may use the admin center', () => {
  test('a user outside Organization Management gets 403 on every page and action', async () => {
    const alice = new Browser(h.https, '127.0.0.51');
    await alice.signIn('alice', ALICE_PW);
    for (const path of ['/ecp/', '/ecp/servers', '/ecp/pop3', '/ecp/imap4', '/ecp/connectors', '/ecp/mailboxes', '/ecp/logs', '/ecp/sessions']) {
      const res = await alice.get(path);
      assert.equal(res.status, 403, path);
      assert.match(pageText(res.body), /Access denied/);
    }
    const account = await alice.get('/options/account');
    assert.doesNotMatch(account.body, /href="\/ecp\/"/, 'no admin link for users');
    const post = await alice.post('/ecp/pop3', { server: 'MAIL01', Banner: 'hacked' }, account.body);
    assert.equal(post.status, 403);
    assert.notEqual((await h.dir.settings('PopSettings', 'MAIL01')).Banner, 'hacked');
  });

  test('signed-out visitors are sent to sign in; a post without the token is refused', async () => {
    const anonymous = new Browser(h.https, '127.0.0.52');
    const res = await anonymous.get('/ecp/servers');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/signin?return=%2Fecp%2Fservers');
    const forged = await admin.request('/ecp/pop3', { form: { server: 'MAIL01', Banner: 'forged' } });
    assert.equal(forged.status, 403);
    assert.notEqual((await h.dir.settings('PopSettings', 'MAIL01')).Banner, 'forged');
  });

  test('membership is read at every request: a new member gets in at once', async () => {
    const xiaoming = new Browser(h.https, '127.0.0.53');
    await xiaoming.signIn('xiaoming', BOB_PW);
    assert.equal((await xiaoming.get('/ecp/servers')).status, 403);
    await cmdlet(h.dir, 'Add-RoleGroupMember', 'Organization Management', '-Member', 'xiaoming');
    const page = await xiaoming.get('/ecp/servers');
    assert.equal(page.status, 200);
    assert.match(page.body, /<html lang="zh-TW">/);
    assert.ok(pageText(page.body).includes('伺服器和服務'));
  });
});

describe('servers and services', () => {
  test('lists the services with their startup type', async () => {
    const text = pageText((await admin.get('/ecp/servers')).body);
    for (const s of ['Mailroom IMAP4', 'Mailroom POP3 Backend', 'MSExchangeIMAP4', 'Mailroom Web']) assert.ok(text.includes(s), s);
  });

  test('Set-Service and Start-Service through the buttons; a refusal shows the cmdlet\'s message', async () => {
    const refused = await submit('/ecp/servers', { server: 'MAIL01', service: 'imap4', action: 'start' });
    assert.equal(refused.status, 400);
    assert.ok(pageText(refused.body).includes("Service 'imap4' cannot be started because it is disabled."), pageText(refused.body));
    const set = await submit('/ecp/servers', { server: 'MAIL01', service: 'imap4', action: 'startup', StartupType: 'Manual' });
    assert.equal(set.status, 303);
    const start = await submit('/ecp/servers', { server: 'MAIL01', service: 'imap4', action: 'start' });
    assert.equal(start.status, 303);
    const imap = (await h.dir.services('MAIL01')).find((s) => s.name === 'imap4')!;
    assert.deepEqual([imap.startupType, imap.explicit], ['Manual', 'started']);
  });
});

describe('POP3 and IMAP4 settings', () => {
  test('the form has one field per parameter, with the values as Get-PopSettings shows them', async () => {
    const page = await admin.get('/ecp/pop3');
    for (const name of ['Banner', 'LoginType', 'SSLBindings', 'ExternalConnectionSettings', 'AuthenticatedConnectionTimeout', 'LogPerFileSizeQuota', 'MessageRetrievalSortOrder']) {
      assert.match(page.body, new RegExp(`<label class="param" for="setting-${name}">${name}</label>`), name);
    }
    assert.match(page.body, /id="setting-AuthenticatedConnectionTimeout"[^>]*value="00:30:00"/);
    assert.match(page.body, /<textarea id="setting-SSLBindings"[^>]*>\[::\]:995\n0\.0\.0\.0:995<\/textarea>/);
  });

  test('a bad value is refused with the cmdlet\'s message, marked on its field, and nothing is stored', async () => {
    const before = await h.dir.settings('PopSettings', 'MAIL01');
    const res = await submit('/ecp/pop3', { server: 'MAIL01', Banner: 'Welcome to Contoso', MaxCommandSize: '5' });
    assert.equal(res.status, 400);
    assert.ok(pageText(res.body).includes('-MaxCommandSize must be from 40 to 1024 (got 5).'), pageText(res.body));
    assert.match(res.body, /id="setting-MaxCommandSize" name="MaxCommandSize" aria-describedby="setting-MaxCommandSize-error setting-MaxCommandSize-hint" aria-invalid="true"/);
    // What the admin typed stays in the form.
    assert.match(res.body, /id="setting-Banner"[^>]*value="Welcome to Contoso"/);
    assert.deepEqual(await h.dir.settings('PopSettings', 'MAIL01'), before);
  });

  test('text is parsed like the command line: sizes, time spans, lists, $null', async () => {
    const res = await submit('/ecp/pop3', {
      server: 'MAIL01', LogPerFileSizeQuota: '10MB', AuthenticatedConnectionTimeout: '01:00:00',
      ExternalConnectionSettings: 'mail.contoso.com:995:SSL\r\nmail.contoso.com:110:TLS\r\n', X509CertificateName: 'mail.contoso.com',
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/ecp/pop3?server=MAIL01&done=1');
    const doc = await h.dir.settings('PopSettings', 'MAIL01');
    assert.equal(doc.LogPerFileSizeQuota, 10 * 1024 * 1024);
    assert.equal(doc.AuthenticatedConnectionTimeout, 3600);
    assert.deepEqual(doc.ExternalConnectionSettings, ['mail.contoso.com:995:SSL', 'mail.contoso.com:110:TLS']);
    assert.equal(doc.X509CertificateName, 'mail.contoso.com');
    const cleared = await submit('/ecp/pop3', { server: 'MAIL01', X509CertificateName: '' }, '/ecp/pop3?server=MAIL01');
    assert.equal(cleared.status, 303);
    assert.equal((await h.dir.settings('PopSettings', 'MAIL01')).X509CertificateName, null);
  });

  test('the rule between parameters is the cmdlet\'s: a published port needs a binding', async () => {
    const res = await submit('/ecp/imap4', { server: 'MAIL01', ExternalConnectionSettings: 'mail.contoso.com:1993:SSL' });
    assert.equal(res.status, 400);
    assert.ok(pageText(res.body).includes("-ExternalConnectionSettings entry 'mail.contoso.com:1993:SSL' must match a binding"));
    assert.match(res.body, /id="setting-ExternalConnectionSettings"[^>]*aria-invalid="true"/);
  });

  test('saving unchanged says so and runs nothing', async () => {
    const res = await submit('/ecp/imap4', { server: 'MAIL01', Banner: String((await h.dir.settings('ImapSettings', 'MAIL01')).Banner) });
    assert.equal(res.headers.location, '/ecp/imap4?server=MAIL01&unchanged=1');
  });
});

describe('receive connectors', () => {
  test('publishing the Client Frontend connector shows on the users\' settings page', async () => {
    const list = pageText((await admin.get('/ecp/connectors')).body);
    assert.ok(list.includes('Client Frontend MAIL01'));
    const edit = '/ecp/connectors/edit?identity=MAIL01%5CClient%20Frontend%20MAIL01';
    const res = await submit('/ecp/connectors/edit', { identity: 'MAIL01\\Client Frontend MAIL01', AdvertiseClientSettings: '$true', Fqdn: 'smtp.contoso.com', 'AuthMechanism.present': '1', AuthMechanism: 'Tls' }, edit);
    assert.equal(res.status, 303, pageText(res.body));
    const alice = new Browser(h.https, '127.0.0.54');
    await alice.signIn('alice', ALICE_PW);
    assert.deepEqual(blocks((await alice.get('/options/account/pop-imap')).body, 'external').smtp, { server: 'smtp.contoso.com', port: '587', encryption: 'TLS' });
    const connector = await h.dir.receiveConnector('Client Frontend MAIL01');
    assert.deepEqual(connector.settings.AuthMechanism, ['Tls']);
  });
});

describe('mailboxes', () => {
  test('create a mailbox; a bad password is refused with New-Mailbox\'s message', async () => {
    const bad = await submit('/ecp/mailboxes/new', { Name: 'Dana Lee', Alias: 'dana', Password: 'short' }, '/ecp/mailboxes');
    assert.equal(bad.status, 400);
    assert.match(pageText(bad.body), /-Password /);
    assert.equal(await h.dir.findMailbox('dana'), undefined);
    const ok = await submit('/ecp/mailboxes/new', { Name: 'Dana Lee', Alias: 'dana', Password: 'Dana-Pass-2026', Languages: 'zh-TW' }, '/ecp/mailboxes');
    assert.equal(ok.status, 303, pageText(ok.body));
    const dana = await h.dir.requireMailbox('dana');
    assert.deepEqual(dana.settings.Languages, ['zh-TW']);
    const generated = await submit('/ecp/mailboxes/new', { Name: 'Evan Ko', Alias: 'evan' }, '/ecp/mailboxes');
    assert.equal(generated.status, 200);
    assert.match(pageText(generated.body), /Generated password for evan@contoso\.com: \S+/);
  });

  test('POP/IMAP access, quotas, password reset and FullAccess on a mailbox', async () => {
    const alice = await h.dir.requireMailbox('alice');
    const page = `/ecp/mailboxes/${alice.id}`;
    assert.equal((await submit(`${page}/access`, { PopEnabled: '$true', ImapEnabled: '$false' }, page)).status, 303);
    assert.equal((await h.dir.requireMailbox('alice')).settings.ImapEnabled, false);

    const quota = await submit(`${page}/quota`, { UseDatabaseQuotaDefaults: '$false', ProhibitSendReceiveQuota: '5GB', ProhibitSendQuota: '4.5GB', IssueWarningQuota: '4GB' }, page);
    assert.equal(quota.status, 303, pageText(quota.body));
    assert.equal((await h.dir.requireMailbox('alice')).settings.ProhibitSendReceiveQuota, 5 * 1024 ** 3);
    const badQuota = await submit(`${page}/quota`, { ProhibitSendReceiveQuota: 'lots' }, page);
    assert.equal(badQuota.status, 400);
    assert.match(badQuota.body, /id="quota-ProhibitSendReceiveQuota"[^>]*aria-invalid="true"/);

    assert.equal((await submit(`${page}/password`, { Password: 'Alice-New-Pass-2026' }, page)).status, 303);
    assert.equal((await new Browser(h.https, '127.0.0.55').signIn('alice', 'Alice-New-Pass-2026')).status, 303);

    const sales = await h.dir.requireMailbox('sales');
    const salesPage = `/ecp/mailboxes/${sales.id}`;
    assert.equal((await submit(`${salesPage}/permission`, { action: 'add', User: 'xiaoming', AccessRights: 'FullAccess' }, salesPage)).status, 303);
    assert.ok(pageText((await admin.get(salesPage)).body).includes('王小明 (FullAccess)'));
    const unknown = await submit(`${salesPage}/permission`, { action: 'add', User: 'nobody', AccessRights: 'FullAccess' }, salesPage);
    assert.equal(unknown.status, 400);
    assert.match(pageText(unknown.body), /The mailbox 'nobody' was not found/);
    assert.equal((await submit(`${salesPage}/permission`, { action: 'remove', User: '王小明', AccessRights: 'FullAccess' }, salesPage)).status, 303);
    assert.deepEqual(await h.dir.mailboxPermissions('sales'), [{ user: 'Alice Wong', right: 'FullAccess' }]);
  });
});

describe('monitoring', () => {
  test('protocol log files under LogFileLocation are listed and shown; nothing outside is reachable', async () => {
    const folder = join(process.env.MAILROOM_DATA!, 'Logging', 'Imap4');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'IMAP4BE2026112008-1.LOG'), '#Software: Mailroom\n2026-11-20T08:00:00.000Z,abc,1,127.0.0.1:993,127.0.0.1:5000,alice,0,10,20,LOGIN,,\n');
    const list = await admin.get('/ecp/logs');
    assert.match(list.body, /href="\/ecp\/logs\/imap4\/IMAP4BE2026112008-1\.LOG"/);
    const view = await admin.get('/ecp/logs/imap4/IMAP4BE2026112008-1.LOG');
    assert.equal(view.status, 200);
    assert.match(view.body, /127\.0\.0\.1:5000,alice/);
    assert.equal((await admin.get('/ecp/logs/imap4/..%2F..%2Fdirectory.db')).status, 404);
    assert.equal((await admin.get('/ecp/logs/other/IMAP4BE2026112008-1.LOG')).status, 404);
  });

  test('live sessions list the back ends\' logged-on clients, and /metrics counts them', async () => {
    assert.match(pageText((await admin.get('/ecp/sessions')).body), /No POP3 or IMAP4 client is logged on right now/);
    h.deps.liveSessions = () => [
      { protocol: 'IMAP4', user: 'alice@contoso.com', mailbox: 'sales@contoso.com', client: '192.0.2.7', since: new Date() },
      { protocol: 'POP3', user: 'xiaoming@contoso.com', mailbox: 'xiaoming@contoso.com', client: '192.0.2.8', since: new Date() },
    ];
    try {
      const text = pageText((await admin.get('/ecp/sessions')).body);
      assert.match(text, /IMAP4\s+alice@contoso\.com\s+sales@contoso\.com\s+192\.0\.2\.7/);
      assert.match(text, /POP3\s+xiaoming@contoso\.com/);
      const metrics = await admin.get('/metrics');
      assert.match(metrics.body, /mailroom_sessions\{protocol="IMAP4"\} 1/);
      assert.match(metrics.body, /mailroom_sessions\{protocol="POP3"\} 1/);
    } finally {
      delete h.deps.liveSessions;
    }
  });
});
