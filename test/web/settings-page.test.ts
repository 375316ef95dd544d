// "Settings for POP or IMAP access": Exchange's rules for what is shown or "Not available",
// the internal settings, live changes, the mailbox's own switches and usage, and the language.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Browser } from './client.ts';
import { cmdlet } from './cmdlets.ts';
import { ALICE_PW, BOB_PW, startWebHarness, type WebHarness } from './harness.ts';
import { blocks, pageText, type Block } from './page.ts';
import { fastCredentials } from '../support/passwords.ts';

let h: WebHarness;
let alice: Browser;
const PAGE = '/options/account/pop-imap';

before(async () => {
  h = await startWebHarness();
  alice = new Browser(h.https, '127.0.0.20');
  assert.equal((await alice.signIn('alice@contoso.com', ALICE_PW)).status, 303);
});
after(async () => {
  await h?.close();
});

async function reset(): Promise<void> {
  await cmdlet(h.dir, 'Set-PopSettings', '-ExternalConnectionSettings', '$null', '-InternalConnectionSettings', 'mail01.contoso.com:995:SSL,mail01.contoso.com:110:TLS');
  await cmdlet(h.dir, 'Set-ImapSettings', '-ExternalConnectionSettings', '$null', '-InternalConnectionSettings', 'mail01.contoso.com:993:SSL,mail01.contoso.com:143:TLS');
  for (const [name, port] of [['Client Frontend MAIL01', 587], ['Client Frontend Secure MAIL01', 465]] as const) {
    await cmdlet(h.dir, 'Set-ReceiveConnector', name, '-AdvertiseClientSettings', '$false', '-Enabled', '$true',
      '-Fqdn', 'mail01.contoso.com', '-Bindings', `[::]:${port},0.0.0.0:${port}`);
  }
}

const NA = 'Not available' as const;
const ep = (server: string, port: number, encryption: string): Block => ({ server, port: String(port), encryption });

/** Configuration (cmdlet lines) → the three external blocks the page must show. */
const TABLE: { name: string; run: string[][]; pop: Block; imap: Block; smtp: Block }[] = [
  { name: 'a default install publishes nothing', run: [], pop: NA, imap: NA, smtp: NA },
  { name: 'POP with one SSL entry', run: [['Set-PopSettings', '-ExternalConnectionSettings', 'mail.contoso.com:995:SSL']],
    pop: ep('mail.contoso.com', 995, 'SSL'), imap: NA, smtp: NA },
  { name: 'POP with SSL and TLS shows only the SSL entry', run: [['Set-PopSettings', '-ExternalConnectionSettings', 'mail.contoso.com:995:SSL,mail.contoso.com:110:TLS']],
    pop: ep('mail.contoso.com', 995, 'SSL'), imap: NA, smtp: NA },
  { name: 'the SSL entry wins even when TLS is listed first', run: [['Set-PopSettings', '-ExternalConnectionSettings', 'pop.contoso.com:110:TLS,mail.contoso.com:995:SSL']],
    pop: ep('mail.contoso.com', 995, 'SSL'), imap: NA, smtp: NA },
  { name: 'IMAP with only a TLS entry', run: [['Set-ImapSettings', '-ExternalConnectionSettings', 'imap.contoso.com:143:TLS']],
    pop: NA, imap: ep('imap.contoso.com', 143, 'TLS'), smtp: NA },
  { name: 'IMAP without encryption', run: [['Set-ImapSettings', '-ExternalConnectionSettings', 'imap.contoso.com:143']],
    pop: NA, imap: ep('imap.contoso.com', 143, 'None'), smtp: NA },
  { name: 'SMTP is hidden until AdvertiseClientSettings, even with an Fqdn', run: [['Set-ReceiveConnector', 'Client Frontend MAIL01', '-Fqdn', 'smtp.contoso.com']],
    pop: NA, imap: NA, smtp: NA },
  { name: 'SMTP from the Client Frontend connector: Fqdn, binding port, TLS', run: [['Set-ReceiveConnector', 'Client Frontend MAIL01', '-AdvertiseClientSettings', '$true', '-Fqdn', 'smtp.contoso.com']],
    pop: NA, imap: NA, smtp: ep('smtp.contoso.com', 587, 'TLS') },
  { name: 'SMTP server name defaults to the server FQDN', run: [['Set-ReceiveConnector', 'Client Frontend MAIL01', '-AdvertiseClientSettings', '$true']],
    pop: NA, imap: NA, smtp: ep('mail01.contoso.com', 587, 'TLS') },
  { name: 'SMTP port follows the binding', run: [['Set-ReceiveConnector', 'Client Frontend MAIL01', '-AdvertiseClientSettings', '$true', '-Bindings', '0.0.0.0:2587']],
    pop: NA, imap: NA, smtp: ep('mail01.contoso.com', 2587, 'TLS') },
  { name: 'SMTP from the implicit-TLS connector is SSL on 465', run: [['Set-ReceiveConnector', 'Client Frontend Secure MAIL01', '-AdvertiseClientSettings', '$true', '-Fqdn', 'smtp.contoso.com']],
    pop: NA, imap: NA, smtp: ep('smtp.contoso.com', 465, 'SSL') },
  { name: 'with both submission connectors advertised, SSL is shown', run: [
      ['Set-ReceiveConnector', 'Client Frontend MAIL01', '-AdvertiseClientSettings', '$true', '-Fqdn', 'smtp.contoso.com'],
      ['Set-ReceiveConnector', 'Client Frontend Secure MAIL01', '-AdvertiseClientSettings', '$true', '-Fqdn', 'smtp.contoso.com']],
    pop: NA, imap: NA, smtp: ep('smtp.contoso.com', 465, 'SSL') },
  { name: 'a disabled connector is not advertised', run: [['Set-ReceiveConnector', 'Client Frontend MAIL01', '-AdvertiseClientSettings', '$true', '-Enabled', '$false']],
    pop: NA, imap: NA, smtp: NA },
  { name: 'everything published', run: [
      ['Set-PopSettings', '-ExternalConnectionSettings', 'mail.contoso.com:995:SSL'],
      ['Set-ImapSettings', '-ExternalConnectionSettings', 'mail.contoso.com:993:SSL,mail.contoso.com:143:TLS'],
      ['Set-ReceiveConnector', 'Client Frontend MAIL01', '-AdvertiseClientSettings', '$true', '-Fqdn', 'mail.contoso.com']],
    pop: ep('mail.contoso.com', 995, 'SSL'), imap: ep('mail.contoso.com', 993, 'SSL'), smtp: ep('mail.contoso.com', 587, 'TLS') },
];

describe('the POP, IMAP and SMTP blocks follow Exchange', () => {
  for (const row of TABLE) {
    test(row.name, async () => {
      await reset();
      for (const [name, ...args] of row.run) await cmdlet(h.dir, name!, ...args);
      const page = await alice.get(PAGE);
      assert.equal(page.status, 200);
      assert.deepEqual(blocks(page.body, 'external'), { pop: row.pop, imap: row.imap, smtp: row.smtp });
    });
  }
});

describe('settings for inside the network', () => {
  test('the defaults: InternalConnectionSettings and the submission connectors', async () => {
    await reset();
    const page = await alice.get(PAGE);
    assert.deepEqual(blocks(page.body, 'internal'), {
      pop: ep('mail01.contoso.com', 995, 'SSL'),
      imap: ep('mail01.contoso.com', 993, 'SSL'),
      smtp: ep('mail01.contoso.com', 465, 'SSL'),
    });
  });

  test('a changed InternalConnectionSettings shows, with the same SSL-first rule', async () => {
    await reset();
    await cmdlet(h.dir, 'Set-ImapSettings', '-InternalConnectionSettings', 'imap.corp.contoso.com:143:TLS');
    await cmdlet(h.dir, 'Set-ReceiveConnector', 'Client Frontend Secure MAIL01', '-Enabled', '$false');
    const page = await alice.get(PAGE);
    const internal = blocks(page.body, 'internal');
    assert.deepEqual(internal.imap, ep('imap.corp.contoso.com', 143, 'TLS'));
    assert.deepEqual(internal.smtp, ep('mail01.contoso.com', 587, 'TLS'));
  });
});

describe('live changes', () => {
  test('a Set-PopSettings shows on the very next request, with no restart', async () => {
    await reset();
    assert.equal(blocks((await alice.get(PAGE)).body, 'external').pop, NA);
    await cmdlet(h.dir, 'Set-PopSettings', '-ExternalConnectionSettings', '{Dublin01.Contoso.com:995:SSL}');
    assert.deepEqual(blocks((await alice.get(PAGE)).body, 'external').pop, ep('Dublin01.Contoso.com', 995, 'SSL'));
    await cmdlet(h.dir, 'Set-PopSettings', '-ExternalConnectionSettings', '$null');
    assert.equal(blocks((await alice.get(PAGE)).body, 'external').pop, NA);
  });
});

describe('the mailbox on My account and the settings page', () => {
  test('POP and IMAP switches of the mailbox', async () => {
    await cmdlet(h.dir, 'Set-CASMailbox', 'alice', '-PopEnabled', '$false');
    try {
      for (const path of ['/options/account', PAGE]) {
        const body = (await alice.get(path)).body;
        assert.match(body, /class="status off" data-field="pop-enabled">Disabled</);
        assert.match(body, /class="status on" data-field="imap-enabled">Enabled</);
      }
    } finally {
      await cmdlet(h.dir, 'Set-CASMailbox', 'alice', '-PopEnabled', '$true');
    }
  });

  test('usage against the quota in force', async () => {
    const mailbox = await h.dir.requireMailbox('alice');
    const store = await h.deps.databases.storeFor(mailbox);
    const inbox = (await store.folder(mailbox.id, 'INBOX'))!;
    await store.append(inbox.id, { raw: Buffer.from(`Subject: hello\r\n\r\n${'x'.repeat(300 * 1024)}\r\n`) });
    let text = pageText((await alice.get('/options/account')).body);
    assert.match(text, /300(\.\d)? KB used of 2\.3 GB/);
    assert.match(text, /1 messages/);
    await cmdlet(h.dir, 'Set-Mailbox', 'alice', '-UseDatabaseQuotaDefaults', '$false', '-ProhibitSendReceiveQuota', '1MB', '-IssueWarningQuota', '200KB');
    text = pageText((await alice.get('/options/account')).body);
    assert.match(text, /used of 1 MB/);
    assert.match(text, /Your mailbox is almost full/);
    await cmdlet(h.dir, 'Set-Mailbox', 'alice', '-UseDatabaseQuotaDefaults', '$true');
  });

  test('a FullAccess mailbox opened as user\\alias shows that mailbox', async () => {
    const b = new Browser(h.https, '127.0.0.21');
    await b.signIn('alice@contoso.com\\sales', ALICE_PW);
    const text = pageText((await b.get(PAGE)).body);
    assert.match(text, /User name for your mail app: alice@contoso\.com\\sales/);
  });
});

describe('language', () => {
  test('the mailbox language comes first: zh-TW for 王小明', async () => {
    const b = new Browser(h.https, '127.0.0.22');
    await b.signIn('xiaoming@contoso.com', BOB_PW);
    await reset();
    const page = await b.get(PAGE, { 'accept-language': 'en-US,en;q=0.9' });
    assert.match(page.body, /<html lang="zh-TW">/);
    const text = pageText(page.body);
    for (const s of ['POP 或 IMAP 存取的設定', 'POP 設定', 'IMAP 設定', 'SMTP 設定', '無法使用', '伺服器名稱', '連接埠', '加密方法']) assert.ok(text.includes(s), s);
  });

  test('a mailbox in a language we lack follows Accept-Language; English mailboxes stay English', async () => {
    await h.dir.createMailbox({ name: 'Claire Dubois', alias: 'claire', credentials: await fastCredentials('Claire-Pass-2026'), settings: { Languages: ['fr-FR'] } });
    const claire = new Browser(h.https, '127.0.0.23');
    await claire.signIn('claire', 'Claire-Pass-2026');
    assert.match((await claire.get(PAGE, { 'accept-language': 'fr-FR, zh-TW;q=0.8, en;q=0.5' })).body, /<html lang="zh-TW">/);
    assert.match((await claire.get(PAGE, { 'accept-language': 'de' })).body, /<html lang="en">/);
    assert.match((await alice.get(PAGE, { 'accept-language': 'zh-TW' })).body, /<html lang="en">/);
  });

  test('the sign-in page follows Accept-Language', async () => {
    const b = new Browser(h.https, '127.0.0.24');
    const text = pageText((await b.get('/signin', { 'accept-language': 'zh-Hant-TW,zh;q=0.9' })).body);
    assert.ok(text.includes('使用者名稱'), text);
  });

  test('the language control switches and remembers, for every page', async () => {
    const b = new Browser(h.https, '127.0.0.25');
    await b.signIn('alice', ALICE_PW);
    const page = await b.get(PAGE);
    const res = await b.post('/language', { language: 'zh-TW', return: PAGE }, page.body);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, PAGE);
    assert.match(res.setCookies.join('\n'), /mailroom-language=zh-TW; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Lax/);
    assert.ok(pageText((await b.get(PAGE)).body).includes('POP 設定'));
    assert.ok(pageText((await b.get('/options/account')).body).includes('信箱使用量'));
    const back = await b.get(PAGE);
    await b.post('/language', { language: 'en', return: PAGE }, back.body);
    assert.ok(pageText((await b.get(PAGE)).body).includes('POP setting'));
  });
});
