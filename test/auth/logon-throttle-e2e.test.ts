// The failed-logon throttle on the wire: IMAP4 LOGIN over real sockets to a real front end and
// directory, from chosen loopback addresses (Linux answers on all of 127/8). The throttle's
// clock is fake and its sleep moves that clock, so the waits are exact and cost no time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { credentialsFor, organizationPasswordCost } from '../../src/auth/credentials.ts';
import type { SessionBackend } from '../../src/auth/session-logon.ts';
import { LogonThrottle } from '../../src/auth/throttle.ts';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory, type Mailbox } from '../../src/directory/directory.ts';
import { ProtocolFrontend } from '../../src/frontend/protocol-frontend.ts';
import { SecureContextCache, ServiceHost, type ServiceDeps } from '../../src/host/server.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import { silentLogger } from '../../src/lib/log.ts';
import { SqliteDatabase } from '../../src/lib/sql/sqlite.ts';
import { LineClient } from '../frontend/line-client.ts';
import { eventually, freePortOffset } from '../helpers.ts';

const PASSWORD = 'Right-Pass-2026';

let tmp: string;
let dir: Directory;
let fe: ProtocolFrontend;
let port: number;
let auth: Authenticator;
let carol: Mailbox;
let now = 1_700_000_000_000;
const sleeps: number[] = [];
/** While set, the throttle's sleeps wait for it: attempts pile up behind one that is waiting. */
let hold: Promise<void> | null = null;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mailroom-throttle-e2e-'));
  dir = await Directory.openWith(new SqliteDatabase(join(tmp, 'directory.db')));
  await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', adminPassword: 'Admin-Pass-2026' });
  await dir.updateSettings('OrganizationConfig', { PasswordHashCostFactor: 10, ScramIterationCount: 4096 });
  const credentials = await credentialsFor(PASSWORD, await organizationPasswordCost(dir));
  const created: Record<string, Mailbox> = {};
  for (const alias of ['alice', 'bob', 'carol', 'dan', 'erin']) created[alias] = await dir.createMailbox({ name: alias, alias, credentials });
  carol = created.carol!;
  await dir.updateSettings('ImapSettings', { UnencryptedOrTLSBindings: ['127.0.0.1:143'], SSLBindings: ['127.0.0.1:993'], LoginType: 'PlainTextLogin' }, 'MAIL01');
  const throttle = new LogonThrottle({
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
      if (hold) await hold;
    },
  });
  auth = new Authenticator(dir, silentLogger, { throttle });
  // A back end that only says the logon worked.
  const backend: SessionBackend = {
    open: async ({ tag }) => ({ ok: true, session: { start: (c) => { c.socket.end(`${tag} OK LOGIN completed.\r\n`); } } }),
  };
  const deps: ServiceDeps = {
    directory: dir, databases: new MailboxDatabases(dir), authenticator: auth,
    log: silentLogger, tls: new SecureContextCache(), backendFor: () => backend,
  };
  const offset = await freePortOffset([143, 993]);
  fe = new ProtocolFrontend('imap', deps, offset);
  await fe.reconfigure(await new ServiceHost(deps, 'MAIL01', 'all').readSnapshot());
  port = 143 + offset;
});

after(async () => {
  await fe?.stop();
  await dir?.close();
  rmSync(tmp, { recursive: true, force: true });
});

class Imap extends LineClient {
  static async from(localAddress: string): Promise<Imap> {
    const socket: Socket = connect({ host: '127.0.0.1', port, localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new Imap(socket);
    assert.match(await client.line(), /^\* OK /);
    return client;
  }

  /** LOGIN with a quoted user name (backslashes escaped, RFC 3501 §4.3); the tagged answer. */
  async login(user: string, password: string): Promise<string> {
    this.send(`a LOGIN "${user.replace(/\\/g, '\\\\')}" "${password}"`);
    for (;;) {
      const line = await this.line(10_000);
      if (line.startsWith('a ')) return line;
    }
  }
}

/** One LOGIN on a connection of its own; the answer and the fake time it took. */
async function loginOnce(from: string, user: string, password: string): Promise<{ answer: string; waited: number }> {
  const client = await Imap.from(from);
  const started = now;
  try {
    return { answer: await client.login(user, password), waited: now - started };
  } finally {
    client.socket.destroy();
  }
}

const FAILED = 'a NO [AUTHENTICATIONFAILED] LOGIN failed.';
const BUSY = 'a NO [UNAVAILABLE] Too many logon attempts are waiting; try again later.';
const OK = 'a OK LOGIN completed.';

test('parallel LOGINs at one account take turns, each paying the delay the earlier ones earned', async () => {
  // Four guesses first, from elsewhere: the next attempt on bob has to wait.
  for (let i = 0; i < 4; i++) assert.equal((await loginOnce('127.0.0.30', 'bob', `warm-up-${i}`)).answer, FAILED);
  sleeps.length = 0;
  const clients = await Promise.all(Array.from({ length: 12 }, () => Imap.from('127.0.0.31')));
  let release!: () => void;
  hold = new Promise((resolve) => { release = resolve; });
  const answers: string[] = [];
  const done = Promise.all(clients.map(async (client, i) => { answers.push(await client.login('bob', `burst-${i}`)); }));
  // The first is held in its delay; eight queue behind it and three are turned away at once.
  // (Were the delay read before the check, all twelve would be checked side by side.)
  await eventually(() => answers.length === 3, 10_000);
  assert.deepEqual(answers, [BUSY, BUSY, BUSY]);
  hold = null;
  release();
  await done;
  for (const client of clients) client.socket.destroy();
  assert.equal(answers.filter((a) => a === FAILED).length, 9);
  assert.deepEqual(sleeps, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
});

test('respelled logon names count against one account', async () => {
  sleeps.length = 0;
  const spellings = ['CONTOSO\\carol', 'contoso \\carol', 'contoso  \\carol', 'carol', 'carol@contoso.com', 'Contoso\\Carol'];
  const waits: number[] = [];
  for (const [i, spelling] of spellings.entries()) {
    const { answer, waited } = await loginOnce('127.0.0.32', spelling, `guess-${i}`);
    assert.equal(answer, FAILED);
    waits.push(waited);
  }
  assert.deepEqual(waits, [0, 0, 0, 0, 1000, 2000]);
  assert.equal(auth.throttle.failures('account', `id:${carol.id}`), 6);
});

test('a shared address: guessing from it is slowed, its regular users log on at once', async () => {
  const office = '127.0.0.40';
  // Alice has used her mail from the office before.
  assert.equal((await loginOnce(office, 'alice@contoso.com', PASSWORD)).answer, OK);
  // Someone behind the same address sprays guesses at other accounts, and a phone keeps trying
  // an old password for dan.
  let guesserWaited = 0;
  for (let i = 0; i < 24; i++) {
    const user = i % 3 === 0 ? 'dan' : `victim${i % 4}`;
    const password = i % 3 === 0 ? 'dans-old-password' : `guess-${i}`;
    const { answer, waited } = await loginOnce(office, user, password);
    assert.equal(answer, FAILED);
    guesserWaited += waited;
  }
  // 17 guesses counted (the phone's repeats of one password are one): ten free for the
  // address, then 1, 2, 4, 8, 16 and 30 s.
  assert.equal(guesserWaited, 61_000);
  // Alice is answered at once, whatever the address has earned.
  const alice = await loginOnce(office, 'alice@contoso.com', PASSWORD);
  assert.deepEqual(alice, { answer: OK, waited: 0 });
  // Erin, at the office for the first time, waits out the address delay once, never more than
  // its 30 s cap; after that the office is a known address for her too.
  const erin = await loginOnce(office, 'erin', PASSWORD);
  assert.equal(erin.answer, OK);
  assert.ok(erin.waited <= 30_000, `erin waited ${erin.waited} ms`);
  assert.deepEqual(await loginOnce(office, 'erin', PASSWORD), { answer: OK, waited: 0 });
});
