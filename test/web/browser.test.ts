// The pages in headless Chromium (Debian's chromium, driven by playwright-core) against a real
// `mailroom start`: sign in with the keyboard-reachable form, read the settings page, see "Not
// available" turn into values after a Set-PopSettings from another process, switch to zh-TW,
// take a screenshot, then enable IMAP4 from the admin center and log on with an IMAP client.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { eventually, freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN_PW = 'Admin-Pass-2026';
const ALICE_PW = 'Alice-Pass-2026';

const data = tempDataDir('mailroom-web-browser-');
const profile = mkdtempSync(join(tmpdir(), 'mailroom-chromium-'));
// MAILROOM_WEB_SCREENSHOTS keeps the screenshots in a folder of your choice, to look at them.
const keepScreenshots = process.env.MAILROOM_WEB_SCREENSHOTS;
const SCREENSHOTS = keepScreenshots ?? mkdtempSync(join(tmpdir(), 'mailroom-screens-'));
let env: Record<string, string>;
let offset = 0;
let server: RunningServer | undefined;
let context: BrowserContext | undefined;
let base = '';

/** The end of the server's log, for failure messages. */
const serverTail = () => server?.output().slice(-3000) ?? '';

function admin(...args: string[]): string {
  const r = mailroom(args, env);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  if (!existsSync(CHROMIUM)) return;
  offset = await freePortOffset();
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  admin('setup', '--organization', 'Contoso', '--domain', 'contoso.com', '--fqdn', 'mail01.contoso.com', '--server', 'MAIL01', '--admin-password', ADMIN_PW);
  admin('New-Mailbox', '-Name', 'Alice Wong', '-Alias', 'alice', '-Password', ALICE_PW);
  server = await startMailroom(['start'], env, /Mailroom ready.*web/);
  base = `https://127.0.0.1:${443 + offset}`;
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await context?.close();
  await server?.stop();
  data.cleanup();
  rmSync(profile, { recursive: true, force: true });
  if (!keepScreenshots) rmSync(SCREENSHOTS, { recursive: true, force: true });
});

async function signIn(page: Page, user: string, password: string): Promise<void> {
  await context!.clearCookies();
  await page.goto(`${base}/`);
  assert.match(page.url(), /\/signin$/);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/options\/account$/);
}

/** The three published blocks as the page shows them. */
async function externalBlocks(page: Page): Promise<string[]> {
  const texts = await page.locator('section[data-scope="external"]').allInnerTexts();
  // Without the copy buttons the script adds beside each value.
  return texts.map((t) => t.replace(/\s*(Copy|複製)\b/g, '').replace(/\s*複製/g, '').replace(/\s+/g, ' ').trim());
}

test('sign in, read the settings, see a change from another process, switch to zh-TW', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium' }, async () => {
  const page = await context!.newPage();
  await signIn(page, 'CONTOSO\\alice', ALICE_PW);
  assert.equal(await page.locator('h1').innerText(), 'My account');

  // The first Tab reaches the skip link, for keyboard users.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate('document.activeElement && document.activeElement.textContent'), 'Skip to main content');

  await page.getByRole('link', { name: 'Settings for POP or IMAP access...' }).click();
  await page.waitForURL(/\/options\/account\/pop-imap$/);
  assert.deepEqual(await externalBlocks(page), ['POP setting Not available', 'IMAP setting Not available', 'SMTP setting Not available']);

  admin('Set-PopSettings', '-ExternalConnectionSettings', 'mail.contoso.com:995:SSL,mail.contoso.com:110:TLS');
  admin('Set-ReceiveConnector', 'Client Frontend MAIL01', '-AdvertiseClientSettings', '$true', '-Fqdn', 'mail.contoso.com');
  await page.reload();
  const [pop, imap, smtp] = await externalBlocks(page);
  assert.equal(pop, 'POP setting Server name mail.contoso.com Port 995 Encryption method SSL');
  assert.equal(imap, 'IMAP setting Not available');
  assert.equal(smtp, 'SMTP setting Server name mail.contoso.com Port 587 Encryption method TLS');

  // The language list applies on change (progressive script); the page comes back in zh-TW.
  await Promise.all([page.waitForURL(/\/options\/account\/pop-imap$/), page.getByLabel('Language').selectOption('zh-TW')]);
  await page.waitForSelector('html[lang="zh-TW"]');
  assert.equal(await page.locator('h1').innerText(), 'POP 或 IMAP 存取的設定');
  const zh = await externalBlocks(page);
  assert.equal(zh[0], 'POP 設定 伺服器名稱 mail.contoso.com 連接埠 995 加密方法 SSL');
  assert.equal(zh[1], 'IMAP 設定 無法使用');
  const file = join(SCREENSHOTS, 'pop-imap-zh-TW.png');
  await page.screenshot({ path: file, fullPage: true });
  assert.ok(statSync(file).size > 10_000);
  await page.getByLabel('語言').selectOption('en');
  await page.waitForSelector('html[lang="en"]');
  await page.screenshot({ path: join(SCREENSHOTS, 'pop-imap-en.png'), fullPage: true });
  await page.getByRole('link', { name: 'My account' }).click();
  await page.screenshot({ path: join(SCREENSHOTS, 'my-account-en.png'), fullPage: true });
  await page.close();
});

/** Logs on over implicit TLS and returns the server's lines. */
function imapLogon(port: number, user: string, password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    const script = [`a LOGIN "${user}" "${password}"`, 'b LOGOUT'];
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => undefined);
    let buffer = '';
    s.setTimeout(10_000, () => s.destroy(new Error(`IMAP timeout; got ${lines.join(' | ')}`)));
    s.on('data', (d: Buffer) => {
      buffer += d.toString('utf8');
      let i;
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i);
        lines.push(line);
        buffer = buffer.slice(i + 2);
        // The next command goes after the greeting and after each tagged answer.
        if (line.startsWith('* OK') && lines.length === 1 || /^[ab] /.test(line)) {
          const next = script.shift();
          if (next) s.write(`${next}\r\n`);
        }
      }
    });
    s.on('close', () => resolve(lines.join('\n')));
    s.on('error', reject);
  });
}

test('the admin center enables IMAP4, and an IMAP client then logs on', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium' }, async () => {
  const page = await context!.newPage();
  await signIn(page, 'Administrator@contoso.com', ADMIN_PW);
  await page.getByRole('link', { name: 'Admin center' }).click();
  await page.waitForURL(/\/ecp\/servers$/);
  for (const service of ['imap4', 'imap4-backend']) {
    const row = page.locator(`tr[data-service="${service}"]`);
    await row.locator('select[name="StartupType"]').selectOption('Automatic');
    await Promise.all([page.waitForURL(/\/ecp\/servers\?done=1$/), row.getByRole('button', { name: 'Apply' }).click()]);
  }
  // The running server applies it within a second; the page shows it once the host reports.
  // A fresh load each time, not a reload: a reload that meets the form post's navigation still
  // settling can fail with "Not attached to an active page"; such a probe only counts as not yet.
  await eventually(async () => {
    if (!(await page.goto(`${base}/ecp/servers`).then(() => true, () => false))) return false;
    const status = (service: string) => page.locator(`tr[data-service="${service}"] [data-field="status"]`).innerText();
    return (await status('imap4')) === 'Running' && (await status('imap4-backend')) === 'Running';
  }, 5000, 250);
  await page.screenshot({ path: join(SCREENSHOTS, 'admin-servers.png'), fullPage: true });
  const transcript = await imapLogon(993 + offset, 'alice@contoso.com', ALICE_PW);
  assert.match(transcript, /^\* OK /);
  assert.match(transcript, /^a OK /m, `${transcript}\n--- server output ---\n${serverTail()}`);

  await page.goto(`${base}/ecp/imap4`);
  await page.getByLabel('MaxCommandSize').fill('5');
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(await page.getByRole('alert').innerText(), /-MaxCommandSize must be from 1024 to 16384 \(got 5\)\./);
  await page.screenshot({ path: join(SCREENSHOTS, 'admin-imap4-error.png'), fullPage: true });
  await page.close();
});

test('Stop-Service web closes its listeners, Start-Service opens them again', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium' }, async () => {
  const health = () => fetch(`http://127.0.0.1:${80 + offset}/healthz`).then((r) => r.status, () => 0);
  assert.equal(await health(), 200, serverTail());
  admin('Stop-Service', 'web');
  await eventually(async () => (await health()) === 0, 3000);
  admin('Start-Service', 'web');
  await eventually(async () => (await health()) === 200, 3000);
});
