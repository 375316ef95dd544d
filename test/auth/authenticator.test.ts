// The Authenticator against a real directory on SQLite: which account an attempt counts against,
// one password check per account at a time, addresses remembered across restarts, and stored
// hashes redone at the organization's cost. The throttle runs on a fake clock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { cmdletCommand } from '../../src/cli/run.ts';
import { credentialsFor, organizationPasswordCost } from '../../src/auth/credentials.ts';
import { KnownLogonAddresses } from '../../src/auth/known-addresses.ts';
import { hashWork, parseScramCredentials, parseScryptPhc } from '../../src/auth/passwords.ts';
import { LogonThrottle } from '../../src/auth/throttle.ts';
import { Directory, type Mailbox } from '../../src/directory/directory.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import { silentLogger } from '../../src/lib/log.ts';
import { SqliteDatabase } from '../../src/lib/sql/sqlite.ts';

const ALICE_PW = 'Alice-Pass-2026';
const BOB_PW = 'Bob-Pass-2026!';
// Cheap hashes: the tests are about who is checked when, not about the cost.
const TEST_COST = { PasswordHashCostFactor: 10, ScramIterationCount: 4096 };

let tmp: string;
let dir: Directory;
let alice: Mailbox;
let bob: Mailbox;

function fakeThrottle() {
  let now = 1_700_000_000_000;
  const sleeps: number[] = [];
  const throttle = new LogonThrottle({ now: () => now, sleep: async (ms) => { sleeps.push(ms); now += ms; } });
  return { throttle, sleeps };
}

function authenticator(throttle = fakeThrottle().throttle): Authenticator {
  return new Authenticator(dir, silentLogger, { throttle, costTtlMs: 0 });
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mailroom-auth-'));
  dir = await Directory.openWith(new SqliteDatabase(join(tmp, 'directory.db')));
  await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', adminPassword: 'Admin-Pass-2026' });
  await dir.updateSettings('OrganizationConfig', TEST_COST);
  const cost = await organizationPasswordCost(dir);
  alice = await dir.createMailbox({ name: 'Alice Wong', alias: 'alice', credentials: await credentialsFor(ALICE_PW, cost) });
  bob = await dir.createMailbox({ name: 'Bob Kelly', alias: 'bob', credentials: await credentialsFor(BOB_PW, cost) });
});

after(async () => {
  await dir?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('every spelling of one account counts against the same throttle key', async () => {
  const { throttle } = fakeThrottle();
  const auth = authenticator(throttle);
  const spellings = ['CONTOSO\\bob', 'contoso \\bob', 'contoso  \\bob', ' bob ', 'BOB@contoso.com', 'contoso\\bob\\bob'];
  for (const [i, logonName] of spellings.entries()) {
    // A new address each time: only the account key can tie the guesses together.
    const result = await auth.logon({ protocol: 'imap', logonName, password: `guess-${i}`, clientAddress: `192.0.2.${i + 1}` });
    assert.deepEqual(result, { ok: false, reason: 'credentials' });
  }
  assert.equal(throttle.failures('account', `id:${bob.id}`), spellings.length);
  assert.equal(throttle.delayFor({ account: `id:${bob.id}`, address: '192.0.2.200' }), 4000);
  // Unknown names are keyed by their parsed, trimmed, lower-case form.
  for (const [i, logonName] of ['CONTOSO\\ghost', 'contoso \\ghost', 'Contoso  \\ Ghost'].entries()) {
    await auth.logon({ protocol: 'imap', logonName, password: `guess-${i}`, clientAddress: `198.51.100.${i + 1}` });
  }
  assert.equal(throttle.failures('account', 'name:contoso\\ghost'), 3);
});

test('concurrent logons of one user share one password check', async () => {
  const auth = authenticator();
  const before = hashWork().started;
  const results = await Promise.all(Array.from({ length: 5 }, () => auth.logon({ protocol: 'imap', logonName: 'alice@contoso.com', password: ALICE_PW, clientAddress: '192.0.2.50' })));
  assert.deepEqual(results.map((r) => r.ok), [true, true, true, true, true]);
  assert.equal(hashWork().started - before, 1, 'one scrypt for five logons');
  // Five different wrong passwords at once: five checks, never two at a time for one account.
  let peak = 0;
  const probe = setInterval(() => { peak = Math.max(peak, hashWork().active); }, 0);
  try {
    const wrong = await Promise.all(Array.from({ length: 5 }, (_, i) => auth.logon({ protocol: 'imap', logonName: 'bob', password: `wrong-${i}`, clientAddress: '192.0.2.51' })));
    assert.deepEqual(wrong.map((r) => r.ok), [false, false, false, false, false]);
  } finally {
    clearInterval(probe);
  }
  assert.ok(peak <= 1, `peak ${peak}`);
});

test('a full queue is refused without a check, as "busy"', async () => {
  const auth = new Authenticator(dir, silentLogger, { throttle: new LogonThrottle({ maxWaiting: 1, sleep: async () => {} }), costTtlMs: 0 });
  const before = hashWork().started;
  const results = await Promise.all(Array.from({ length: 4 }, (_, i) => auth.logon({ protocol: 'pop', logonName: 'bob', password: `try-${i}`, clientAddress: '192.0.2.60' })));
  assert.deepEqual(results.map((r) => (r.ok ? 'ok' : r.reason)).sort(), ['busy', 'busy', 'credentials', 'credentials']);
  assert.equal(hashWork().started - before, 2);
});

test('addresses an account logged on from are remembered in the directory', async () => {
  const auth = authenticator();
  assert.equal(await auth.knownAddresses.has(alice.id, '203.0.113.77'), false);
  assert.equal((await auth.logon({ protocol: 'web', logonName: 'alice', password: ALICE_PW, clientAddress: '::ffff:203.0.113.77' })).ok, true);
  assert.equal(await auth.knownAddresses.has(alice.id, '203.0.113.77'), true);
  // A restarted server (a new object) finds it in the directory; IPv6 counts per /64.
  const fresh = new KnownLogonAddresses(dir);
  assert.equal(await fresh.has(alice.id, '203.0.113.77'), true);
  assert.equal(await fresh.has(bob.id, '203.0.113.77'), false);
  await fresh.remember(bob.id, '2001:db8:5:6::1');
  assert.equal(await new KnownLogonAddresses(dir).has(bob.id, '2001:db8:5:6:abcd::9'), true);
  // Sixty days without a logon from it, and it is a stranger again.
  const later = new KnownLogonAddresses(dir, { now: () => Date.now() + 61 * 86_400_000 });
  assert.equal(await later.has(alice.id, '203.0.113.77'), false);
});

test('a password logon redoes hashes made at another cost, and keeps the password working', async () => {
  const carol = await dir.createMailbox({ name: 'Carol Diaz', alias: 'carol', credentials: await credentialsFor('Carol-Pass-2026', { scryptLn: 10, scramIterations: 4096 }) });
  await dir.updateSettings('OrganizationConfig', { PasswordHashCostFactor: 11, ScramIterationCount: 5000 });
  try {
    const auth = authenticator();
    assert.equal((await auth.logon({ protocol: 'imap', logonName: 'carol', password: 'Carol-Pass-2026', clientAddress: '192.0.2.70' })).ok, true);
    await auth.settled();
    const creds = await dir.credentials(carol.id);
    assert.equal(parseScryptPhc(creds!.passwordHash!)?.params.ln, 11);
    assert.equal(parseScramCredentials(creds!.scram!)?.iterations, 5000);
    // The new hash is the same password, and the cache already knows it.
    const before = hashWork().started;
    assert.equal((await auth.logon({ protocol: 'imap', logonName: 'carol', password: 'Carol-Pass-2026', clientAddress: '192.0.2.70' })).ok, true);
    assert.equal(hashWork().started - before, 0);
    assert.equal((await authenticator().logon({ protocol: 'imap', logonName: 'carol', password: 'Carol-Pass-2026', clientAddress: '192.0.2.70' })).ok, true);
    // A wrong password rehashes nothing.
    const stored = (await dir.credentials(carol.id))!.passwordHash;
    await dir.updateSettings('OrganizationConfig', { PasswordHashCostFactor: 12 });
    assert.equal((await auth.logon({ protocol: 'imap', logonName: 'carol', password: 'nope', clientAddress: '192.0.2.71' })).ok, false);
    await auth.settled();
    assert.equal((await dir.credentials(carol.id))!.passwordHash, stored);
  } finally {
    await dir.updateSettings('OrganizationConfig', TEST_COST);
  }
});

test('a rehash never overwrites a password set meanwhile', async () => {
  const stale = (await dir.credentials(bob.id))!.passwordHash!;
  const changed = await credentialsFor('Bob-New-Pass-2026', await organizationPasswordCost(dir));
  await dir.updateMailbox(bob.id, { credentials: changed });
  const redone = await credentialsFor(BOB_PW, await organizationPasswordCost(dir));
  assert.equal(await dir.replaceCredentials(bob.id, stale, redone), false);
  assert.equal((await dir.credentials(bob.id))!.passwordHash, changed.passwordHash);
  await dir.updateMailbox(bob.id, { credentials: await credentialsFor(BOB_PW, await organizationPasswordCost(dir)) });
});

test('Set-OrganizationConfig sets the cost New-Mailbox and Set-Mailbox hash with, within its range', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  const run = (...args: string[]) => cmdletCommand(args[0]!, args.slice(1), out, dir);
  try {
    assert.equal(await run('Set-OrganizationConfig', '-PasswordHashCostFactor', '11', '-ScramIterationCount', '4500'), 0);
    assert.equal(await run('New-Mailbox', '-Name', 'Frank Li', '-Alias', 'frank', '-Password', 'Frank-Pass-2026'), 0);
    let creds = await dir.credentials((await dir.requireMailbox('frank')).id);
    assert.equal(parseScryptPhc(creds!.passwordHash!)?.params.ln, 11);
    assert.equal(parseScramCredentials(creds!.scram!)?.iterations, 4500);
    assert.equal(await run('Set-OrganizationConfig', '-PasswordHashCostFactor', '12'), 0);
    assert.equal(await run('Set-Mailbox', 'frank', '-Password', 'Frank-Pass-2027'), 0);
    creds = await dir.credentials((await dir.requireMailbox('frank')).id);
    assert.equal(parseScryptPhc(creds!.passwordHash!)?.params.ln, 12);
    text = '';
    assert.equal(await run('Get-OrganizationConfig'), 0);
    assert.match(text, /^PasswordHashCostFactor\s+: 12$/m);
    assert.match(text, /^ScramIterationCount\s+: 4500$/m);
    await assert.rejects(dir.updateSettings('OrganizationConfig', { PasswordHashCostFactor: 9 }), /-PasswordHashCostFactor .*10 to 18/);
    await assert.rejects(dir.updateSettings('OrganizationConfig', { ScramIterationCount: 1000 }), /-ScramIterationCount .*4096/);
  } finally {
    await dir.updateSettings('OrganizationConfig', TEST_COST);
  }
});
