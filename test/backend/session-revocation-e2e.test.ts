// Sessions end when their logon no longer holds: a real `mailroom start`, clients logged on by
// IMAP4, POP3 and the web pages, and the admin's cmdlet run from a second process. A password
// reset ends the account's sessions; a removed FullAccess ends the sessions that opened the
// shared mailbox through it; a hash redone at a new cost ends nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { LineClient } from '../frontend/line-client.ts';
import { freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { FAST_PASSWORDS_CMDLET } from '../support/passwords.ts';
import { Browser } from '../web/client.ts';

const ALICE_PW = 'Alice-Pass-2026';
const BOB_PW = 'Bob-Pass-2026!';

const data = tempDataDir('mailroom-revoke-');
let env: Record<string, string>;
let offset: number;
let server: RunningServer | undefined;
// Each client comes from an address of its own, so no test meets another's throttle.
let nextAddress = 80;
const address = () => `127.0.0.${nextAddress++}`;

function admin(...args: string[]): string {
  const r = mailroom(args, env);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  offset = await freePortOffset();
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  admin('setup', '--organization', 'Contoso', '--domain', 'contoso.com', '--fqdn', 'mail01.contoso.com', '--server', 'MAIL01', '--admin-password', 'Admin-Pass-2026');
  admin(...FAST_PASSWORDS_CMDLET);
  admin('Set-ImapSettings', '-UnencryptedOrTLSBindings', '127.0.0.1:143', '-SSLBindings', '127.0.0.1:993', '-LoginType', 'PlainTextLogin');
  admin('Set-PopSettings', '-UnencryptedOrTLSBindings', '127.0.0.1:110', '-SSLBindings', '127.0.0.1:995', '-LoginType', 'PlainTextLogin');
  admin('Set-Service', 'MSExchangeIMAP4,MSExchangeIMAP4BE,MSExchangePOP3,MSExchangePOP3BE', '-StartupType', 'Automatic');
  admin('Set-Service', 'smtp,smtp-backend', '-StartupType', 'Disabled');
  admin('New-Mailbox', '-Name', 'Alice Wong', '-Alias', 'alice', '-Password', ALICE_PW);
  admin('New-Mailbox', '-Name', 'Bob Kelly', '-Alias', 'bob', '-Password', BOB_PW);
  admin('New-Mailbox', '-Shared', '-Name', 'Sales', '-Alias', 'sales');
  admin('Add-MailboxPermission', 'sales', '-User', 'bob', '-AccessRights', 'FullAccess');
  server = await startMailroom(['start'], env, /Mailroom ready.*web/);
});

after(async () => {
  await server?.stop();
  data.cleanup();
});

class Client extends LineClient {
  static async open(port: number): Promise<Client> {
    const socket: Socket = connect({ host: '127.0.0.1', port: port + offset, localAddress: address() });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new Client(socket);
    assert.match(await client.line(), /^(\* OK|\+OK) /);
    return client;
  }

  /** IMAP4: a tagged command; every line up to the tagged answer. */
  async imap(tag: string, command: string): Promise<string[]> {
    this.send(`${tag} ${command}`);
    const got: string[] = [];
    for (;;) {
      const line = await this.line(10_000);
      got.push(line);
      if (line.startsWith(`${tag} `)) return got;
    }
  }

  /** POP3: one command, its first line. */
  async pop(command: string): Promise<string> {
    this.send(command);
    return this.line(10_000);
  }

  /** Every line still to come, up to the close. */
  async rest(): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      try {
        lines.push(await this.line(10_000));
      } catch {
        return lines;
      }
    }
  }
}

const quoted = (text: string) => `"${text.replace(/\\/g, '\\\\')}"`;

async function imapSession(user: string, password: string, folder = 'INBOX'): Promise<Client> {
  const client = await Client.open(143);
  assert.match((await client.imap('a', `LOGIN ${quoted(user)} ${quoted(password)}`)).at(-1)!, /^a OK /);
  assert.match((await client.imap('b', `SELECT ${quoted(folder)}`)).at(-1)!, /^b OK /);
  return client;
}

async function popSession(user: string, password: string): Promise<Client> {
  const client = await Client.open(110);
  assert.equal(await client.pop(`USER ${user}`), '+OK');
  assert.match(await client.pop(`PASS ${password}`), /^\+OK /);
  return client;
}

async function webSession(user: string, password: string): Promise<Browser> {
  const browser = new Browser(`https://127.0.0.1:${443 + offset}`, address());
  assert.equal((await browser.signIn(user, password)).status, 303);
  assert.equal((await browser.get('/options/account')).status, 200);
  return browser;
}

/** The client still answers a command (its session lives). */
async function alive(client: Client, kind: 'imap' | 'pop'): Promise<boolean> {
  if (kind === 'imap') return (await client.imap('n', 'NOOP')).at(-1) === 'n OK NOOP completed.';
  return (await client.pop('NOOP')).startsWith('+OK');
}

test('a password reset ends the account\'s IMAP4, POP3 and web sessions; the new password works', async () => {
  const imap = await imapSession('alice@contoso.com', ALICE_PW);
  const pop = await popSession('alice', ALICE_PW);
  const web = await webSession('alice', ALICE_PW);
  const bobsImap = await imapSession('bob', BOB_PW);
  admin('Set-Mailbox', 'alice', '-Password', 'Alice-New-Pass-2026');
  // Ended within a second, by the server's directory poll.
  assert.deepEqual(await imap.rest(), ['* BYE The password of this account was changed; log on again.']);
  assert.ok(imap.isClosed);
  await pop.waitClosed(10_000);
  assert.equal((await web.get('/options/account')).status, 303);
  // Another account's session goes on.
  assert.ok(await alive(bobsImap, 'imap'));
  bobsImap.close();
  const again = await Client.open(143);
  assert.match((await again.imap('a', `LOGIN alice ${quoted(ALICE_PW)}`)).at(-1)!, /^a NO \[AUTHENTICATIONFAILED\]/);
  assert.match((await again.imap('b', `LOGIN alice ${quoted('Alice-New-Pass-2026')}`)).at(-1)!, /^b OK /);
  again.close();
});

test('a removed FullAccess ends the sessions on the shared mailbox, not the user\'s own', async () => {
  const shared = await imapSession('bob@contoso.com\\sales', BOB_PW);
  const sharedFolder = await imapSession('bob', BOB_PW, 'Other Users/sales/INBOX');
  const own = await imapSession('bob', BOB_PW);
  const pop = await popSession('bob@contoso.com\\sales', BOB_PW);
  const web = await webSession('bob@contoso.com\\sales', BOB_PW);
  const ownWeb = await webSession('bob', BOB_PW);
  admin('Remove-MailboxPermission', 'sales', '-User', 'bob', '-AccessRights', 'FullAccess');
  assert.deepEqual(await shared.rest(), ['* BYE Access to this mailbox was removed.']);
  assert.deepEqual(await sharedFolder.rest(), ['* BYE Access to this mailbox was removed.']);
  await pop.waitClosed(10_000);
  assert.equal((await web.get('/options/account')).status, 303);
  assert.ok(await alive(own, 'imap'));
  assert.equal((await ownWeb.get('/options/account')).status, 200);
  own.close();
});

test('a hash redone at a new cost is no password change: sessions go on', async () => {
  const first = await imapSession('bob', BOB_PW);
  const pop = await popSession('bob', BOB_PW);
  admin('Set-OrganizationConfig', '-PasswordHashCostFactor', '11');
  // The next password logon redoes bob's hash in the background (no revision change) ... The
  // server reads the organization's cost at most once a second, so a logon right after the
  // change may still see the old one: log on again until it has redone the hash.
  const extra: Client[] = [];
  let second = await imapSession('bob', BOB_PW);
  for (let i = 0; i < 20 && !/password hash redone/.test(server!.output()); i++) {
    await new Promise((r) => setTimeout(r, 250));
    extra.push(second);
    second = await imapSession('bob', BOB_PW);
  }
  await server!.waitFor(/password hash redone/, 10_000);
  for (const client of extra) assert.ok(await alive(client, 'imap'));
  // ... and the next change makes the server check every session again: once alice's session
  // has ended for it, bob's have been checked too.
  const witness = await imapSession('alice', 'Alice-New-Pass-2026');
  admin('Set-Mailbox', 'alice', '-Password', 'Alice-Third-Pass-2026');
  assert.deepEqual(await witness.rest(), ['* BYE The password of this account was changed; log on again.']);
  for (const client of [first, second]) assert.ok(await alive(client, 'imap'));
  assert.ok(await alive(pop, 'pop'));
  for (const client of [first, second, pop, ...extra]) client.close();
});
