// Sign-in over real sockets: every logon name form, the same refusal for every failure, the
// session cookie's flags, form tokens, sign-out, plain HTTP and the failed-logon throttle.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Browser, send } from './client.ts';
import { ADMIN_PW, ALICE_PW, BOB_PW, startWebHarness, type WebHarness } from './harness.ts';
import { pageText } from './page.ts';

let h: WebHarness;
// Each test signs in from its own loopback address, so throttled failures never spill over.
let nextAddress = 10;
const browser = () => new Browser(h.https, `127.0.0.${nextAddress++}`);

before(async () => {
  h = await startWebHarness();
});
after(async () => {
  await h?.close();
});

const REFUSAL = "The user name or password you entered isn't correct. Try entering it again.";

describe('sign-in', () => {
  test('plain HTTP is sent to HTTPS, and a password is never taken over it', async () => {
    const page = await send(`${h.http}/signin`);
    assert.equal(page.status, 302);
    assert.equal(page.headers.location, `${h.https}/signin`);
    const account = await send(`${h.http}/options/account`);
    assert.equal(account.headers.location, `${h.https}/options/account`);
    const post = await send(`${h.http}/signin`, { form: { username: 'alice', password: ALICE_PW } });
    assert.equal(post.status, 403);
    assert.equal(post.setCookies.length, 0);
  });

  const forms: [string, string, string][] = [
    ['alice@contoso.com', ALICE_PW, 'alice@contoso.com'],
    ['CONTOSO\\alice', ALICE_PW, 'alice@contoso.com'],
    ['contoso\\Alice', ALICE_PW, 'alice@contoso.com'],
    ['alice', ALICE_PW, 'alice@contoso.com'],
    ['Alice Wong', ALICE_PW, 'alice@contoso.com'],
    ['  ALICE@Contoso.COM ', ALICE_PW, 'alice@contoso.com'],
    ['alice@contoso.com\\sales', ALICE_PW, 'sales@contoso.com'],
    ['CONTOSO\\alice\\sales', ALICE_PW, 'sales@contoso.com'],
    ['alice@contoso.com\\sales@contoso.com', ALICE_PW, 'sales@contoso.com'],
    ['Administrator', ADMIN_PW, 'Administrator@contoso.com'],
    ['CONTOSO\\Administrator', ADMIN_PW, 'Administrator@contoso.com'],
  ];
  for (const [name, password, mailbox] of forms) {
    test(`signs in as ${JSON.stringify(name)}`, async () => {
      const b = browser();
      const res = await b.signIn(name, password);
      assert.equal(res.status, 303, pageText(res.body));
      assert.equal(res.headers.location, '/options/account');
      const account = await b.get('/options/account');
      assert.equal(account.status, 200);
      assert.match(account.body, new RegExp(`data-field="email">${mailbox.replace('.', '\\.')}<`, 'i'));
    });
  }

  test('wrong passwords, unknown users, Anonymous, Guest and a mailbox without FullAccess get one and the same refusal', async () => {
    const attempts: [string, string][] = [
      ['alice@contoso.com', 'Wrong-Pass-2026'],
      ['nobody@contoso.com', ALICE_PW],
      ['Anonymous', ''],
      ['Anonymous', 'anything'],
      ['CONTOSO\\Guest', 'anything'],
      ['guest@contoso.com', 'anything'],
      ['alice@contoso.com\\xiaoming', ALICE_PW],
      ['sales@contoso.com', ALICE_PW],
    ];
    for (const [name, password] of attempts) {
      const b = browser();
      const res = await b.signIn(name, password);
      assert.ok(res.status === 403 || (password === '' && res.status === 400), `${name}: ${res.status}`);
      assert.ok(!b.cookies.has('__Host-mailroom-session'), `${name} got a session`);
      if (password !== '') assert.ok(pageText(res.body).includes(REFUSAL), name);
      assert.match(res.body, /role="alert"/);
      // The name typed stays in the field; the password never comes back.
      assert.ok(!password || !res.body.includes(password));
    }
  });

  test('the session cookie is __Host-, Secure, HttpOnly and SameSite', async () => {
    const b = browser();
    const res = await b.signIn('alice@contoso.com', ALICE_PW);
    const cookie = res.setCookies.find((c) => c.startsWith('__Host-mailroom-session='));
    assert.ok(cookie, res.setCookies.join('\n'));
    assert.match(cookie, /; Path=\/(;|$)/);
    assert.match(cookie, /; Secure(;|$)/);
    assert.match(cookie, /; HttpOnly(;|$)/);
    assert.match(cookie, /; SameSite=(Lax|Strict)(;|$)/);
    assert.doesNotMatch(cookie, /Domain=/i);
    // Pages with personal data are not cached.
    const page = await b.get('/options/account');
    assert.equal(page.headers['cache-control'], 'no-store');
  });

  test('a sign-in form without its token, or posted from another site, is refused', async () => {
    const b = browser();
    const page = await b.get('/signin');
    const noToken = await b.request('/signin', { form: { username: 'alice', password: ALICE_PW } });
    assert.equal(noToken.status, 403);
    assert.ok(!b.cookies.has('__Host-mailroom-session'));
    const other = browser();
    const stolen = await other.post('/signin', { username: 'alice', password: ALICE_PW }, page.body);
    assert.equal(stolen.status, 403, 'a token is only good with its own cookie');
    const crossSite = await b.request('/signin', {
      form: { _csrf: /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!, username: 'alice', password: ALICE_PW },
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(crossSite.status, 403);
    assert.ok(!b.cookies.has('__Host-mailroom-session'));
  });

  test('signed-in forms need the session token: sign-out and the language control', async () => {
    const b = browser();
    await b.signIn('alice', ALICE_PW);
    const forged = await b.request('/signout', { form: { _csrf: 'forged' } });
    assert.equal(forged.status, 303);
    assert.equal((await b.get('/options/account')).status, 200, 'still signed in');
    const language = await b.request('/language', { form: { _csrf: 'forged', language: 'zh-TW', return: '/options/account' } });
    assert.equal(language.status, 303);
    assert.ok(!b.cookies.has('mailroom-language'));
  });

  test('sign-out ends the session on the server, not only in the browser', async () => {
    const b = browser();
    await b.signIn('alice', ALICE_PW);
    const saved = b.cookies.get('__Host-mailroom-session')!;
    const page = await b.get('/options/account');
    const out = await b.post('/signout', {}, page.body);
    assert.equal(out.status, 303);
    assert.equal(out.headers.location, '/signin');
    assert.ok(!b.cookies.has('__Host-mailroom-session'));
    b.cookies.set('__Host-mailroom-session', saved);
    const again = await b.get('/options/account');
    assert.equal(again.status, 303);
    assert.equal(again.headers.location, '/signin?return=%2Foptions%2Faccount');
  });

  test('after sign-in the browser returns to the page it asked for, never to another site', async () => {
    const b = browser();
    const first = await b.get('/options/account/pop-imap');
    assert.equal(first.headers.location, '/signin?return=%2Foptions%2Faccount%2Fpop-imap');
    const page = await b.get(first.headers.location as string);
    const res = await b.post('/signin', { username: 'alice', password: ALICE_PW, return: '/options/account/pop-imap' }, page.body);
    assert.equal(res.headers.location, '/options/account/pop-imap');
    const other = browser();
    const evil = await other.get('/signin?return=//evil.example/x');
    const res2 = await other.post('/signin', { username: 'alice', password: ALICE_PW, return: '//evil.example/x' }, evil.body);
    assert.equal(res2.headers.location, '/options/account');
  });

  test('a disabled account loses its session at the next request', async () => {
    const b = browser();
    assert.equal((await b.signIn('xiaoming', BOB_PW)).status, 303);
    assert.equal((await b.get('/options/account')).status, 200);
    await h.dir.updateMailbox('xiaoming', { accountDisabled: true });
    try {
      assert.equal((await b.get('/options/account')).status, 303);
    } finally {
      await h.dir.updateMailbox('xiaoming', { accountDisabled: false });
    }
  });

  test('repeated failures are slowed down by the logon throttle', async () => {
    const b = browser();
    const page = await b.get('/signin');
    let guess = 0;
    const attempt = async () => {
      const started = Date.now();
      // A new password each time: the same wrong one again is not a new guess and is not counted.
      const res = await b.post('/signin', { username: 'throttled@contoso.com', password: `Wrong-2026-${guess++}` }, page.body);
      assert.equal(res.status, 403);
      return Date.now() - started;
    };
    // Three failures cost nothing (typos); the fifth attempt waits for the fourth failure's delay.
    for (let i = 0; i < 4; i++) await attempt();
    const slowed = await attempt();
    assert.ok(slowed >= 900, `fifth attempt took ${slowed} ms`);
  });
});
