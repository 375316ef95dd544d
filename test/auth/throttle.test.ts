// The failed-logon throttle on a fake clock: its sleep moves the clock instead of waiting, so
// every delay below is exact and the tests take no time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogonThrottle, throttleAddress, type AttemptKeys, type LogonThrottleOptions } from '../../src/auth/throttle.ts';

const MINUTE = 60_000;

/** A throttle whose clock only moves when it sleeps or the test advances it. */
function fakeThrottle(options: LogonThrottleOptions = {}) {
  let now = 1_700_000_000_000;
  const sleeps: number[] = [];
  const throttle = new LogonThrottle({
    now: () => now,
    sleep: async (ms) => { sleeps.push(ms); now += ms; },
    ...options,
  });
  return { throttle, sleeps, advance: (ms: number) => { now += ms; }, now: () => now };
}

/** One complete attempt: admitted, checked (right or wrong), settled, released. Null when refused. */
async function attempt(throttle: LogonThrottle, keys: AttemptKeys, ok: boolean): Promise<number | null> {
  const admitted = await throttle.admit(keys);
  if (!admitted) return null;
  admitted.settle(ok);
  admitted.release();
  return admitted.waitedMs;
}

const wrong = (account: string, address: string, n: number): AttemptKeys => ({ account, address, fingerprint: `${account}-guess-${n}` });

test('waits are 0 for three failures, then double from 1 s up to the 30 s cap', async () => {
  const { throttle } = fakeThrottle();
  const waits: (number | null)[] = [];
  for (let i = 0; i < 12; i++) waits.push(await attempt(throttle, wrong('alice', '192.0.2.1', i), false));
  assert.deepEqual(waits, [0, 0, 0, 0, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.equal(throttle.delayForFailureCount(1000), 30_000);
});

test('the delay is a spacing: time already passed since the last attempt counts', async () => {
  const { throttle, advance } = fakeThrottle();
  for (let i = 0; i < 8; i++) await attempt(throttle, wrong('alice', '192.0.2.1', i), false);
  assert.equal(throttle.delayFor({ account: 'alice', address: '192.0.2.1' }), 16_000);
  advance(10_000);
  assert.equal(throttle.delayFor({ account: 'alice', address: '192.0.2.1' }), 6_000);
  advance(10_000);
  assert.equal(throttle.delayFor({ account: 'alice', address: '192.0.2.1' }), 0);
  assert.equal(throttle.failures('account', 'alice'), 8, 'the count stays until forgotten');
});

test('fifty people behind one address logging on at once all get in, one check at a time', async () => {
  // An office behind NAT at nine o'clock: different accounts, right passwords, first logon from
  // this address. The address lets one attempt through at a time; none is turned away.
  const { throttle } = fakeThrottle();
  let inCheck = 0;
  let peak = 0;
  const logons = Array.from({ length: 50 }, async (_, i) => {
    const admitted = await throttle.admit({ account: `user${i}`, address: '198.51.100.7', fingerprint: `right-${i}` });
    if (!admitted) return 'refused';
    inCheck++;
    peak = Math.max(peak, inCheck);
    await new Promise((r) => setImmediate(r)); // the password check
    inCheck--;
    admitted.settle(true);
    admitted.release();
    return 'ok';
  });
  const outcomes = await Promise.all(logons);
  assert.deepEqual(outcomes.filter((o) => o === 'refused'), []);
  assert.equal(peak, 1);
});

test('parallel guesses take turns: one attempt in flight, each counted when it starts', async () => {
  const { throttle, sleeps } = fakeThrottle({ maxWaiting: 8 });
  let inCheck = 0;
  let peak = 0;
  const guesses = Array.from({ length: 12 }, async (_, i) => {
    const admitted = await throttle.admit(wrong('alice', '203.0.113.5', i));
    if (!admitted) return 'refused';
    inCheck++;
    peak = Math.max(peak, inCheck);
    await new Promise((r) => setImmediate(r)); // the password check
    inCheck--;
    admitted.settle(false);
    admitted.release();
    return admitted.waitedMs;
  });
  const outcomes = await Promise.all(guesses);
  assert.equal(peak, 1, 'never two checks of one account at once');
  // One in flight and eight queued; the rest are refused at once, unchecked.
  assert.equal(outcomes.filter((o) => o === 'refused').length, 3);
  // The queued ones paid the delays the earlier ones earned, in turn.
  assert.deepEqual(sleeps, [1000, 2000, 4000, 8000, 16000]);
  assert.equal(throttle.failures('account', 'alice'), 9);
  assert.equal(throttle.inFlight, 0);
});

test('an attempt whose client vanishes during the check still counts', async () => {
  const { throttle } = fakeThrottle();
  for (let i = 0; i < 5; i++) {
    const admitted = await throttle.admit(wrong('alice', '192.0.2.1', i));
    admitted!.release(); // never settled: the connection dropped before the answer
  }
  assert.equal(throttle.failures('account', 'alice'), 5);
  assert.equal(throttle.delayFor({ account: 'alice', address: '192.0.2.1' }), 2000);
});

test('a success clears the account and gives the address its own attempt back, not more', async () => {
  const { throttle } = fakeThrottle();
  for (let i = 0; i < 12; i++) await attempt(throttle, wrong(`user${i}`, '192.0.2.1', i), false);
  assert.equal(throttle.failures('address', '192.0.2.1'), 12);
  for (let i = 0; i < 5; i++) await attempt(throttle, wrong('alice', '198.51.100.7', i), false);
  await attempt(throttle, { account: 'Alice', address: '192.0.2.1' }, true); // accounts compare case-insensitively
  assert.equal(throttle.failures('account', 'alice'), 0);
  // A guesser who logs on to an account of their own between guesses wipes nothing.
  assert.equal(throttle.failures('address', '192.0.2.1'), 12);
});

test('a spray of accounts from one address is slowed once the address budget is spent', async () => {
  const { throttle, sleeps } = fakeThrottle();
  for (let i = 0; i < 14; i++) await attempt(throttle, wrong(`user${i}`, '203.0.113.9', 0), false);
  // Ten free failures per address, then 1 s, 2 s, 4 s: each user was tried only once.
  assert.deepEqual(sleeps, [1000, 2000, 4000]);
  assert.equal(throttle.delayFor({ account: 'user99', address: '203.0.113.10' }), 0);
});

test('guesses at one account from many addresses are slowed by the account key, never refused', async () => {
  const { throttle } = fakeThrottle();
  for (let i = 0; i < 8; i++) await attempt(throttle, wrong('alice@contoso.com', `198.51.100.${i}`, i), false);
  assert.equal(throttle.delayFor({ account: 'ALICE@contoso.com', address: '192.0.2.200' }), 16_000);
  // The real user is only delayed, and a success clears the slate.
  assert.equal(await attempt(throttle, { account: 'alice@contoso.com', address: '192.0.2.200' }, true), 16_000);
  assert.equal(throttle.delayFor({ account: 'alice@contoso.com', address: '192.0.2.200' }), 0);
});

test('the same wrong password again is not a new guess', async () => {
  const { throttle } = fakeThrottle();
  // A phone with an old password retries every minute for an hour.
  for (let i = 0; i < 60; i++) {
    await attempt(throttle, { account: 'bob', address: '192.0.2.1', fingerprint: 'old-password' }, false);
  }
  assert.equal(throttle.failures('account', 'bob'), 1);
  assert.equal(throttle.failures('address', '192.0.2.1'), 1);
  // New guesses count as usual.
  for (let i = 0; i < 4; i++) await attempt(throttle, wrong('bob', '192.0.2.1', i), false);
  assert.equal(throttle.failures('account', 'bob'), 5);
});

test('a shared address: a guesser is slowed while known accounts log on at once', async () => {
  const { throttle, advance } = fakeThrottle();
  const office = '198.51.100.20';
  // Alice and Carol have logged on from the office before: their own lanes there.
  const alice = { account: 'id:alice', address: office, knownAddress: true };
  // Someone behind the same NAT address sprays guesses at other accounts for 15 minutes.
  let guessed = 0;
  let waitedByGuesser = 0;
  const aliceWaits: number[] = [];
  for (let minute = 0; minute < 15; minute++) {
    for (let i = 0; i < 20; i++) {
      const waited = await attempt(throttle, wrong(`id:victim${i % 5}`, office, guessed++), false);
      waitedByGuesser += waited ?? 0;
    }
    // Alice opens her mail every minute, and mistypes once now and then.
    if (minute % 5 === 4) aliceWaits.push((await attempt(throttle, { ...alice, fingerprint: 'typo' }, false))!);
    aliceWaits.push((await attempt(throttle, alice, true))!);
    advance(MINUTE);
  }
  // The guesser made 300 guesses and waited most of them out at the 30 s cap: over two hours.
  assert.ok(waitedByGuesser >= 250 * 30_000, `guesser waited ${waitedByGuesser} ms`);
  // Alice never waited for anyone else's failures.
  assert.deepEqual(aliceWaits, Array(aliceWaits.length).fill(0));
  // And a known account's own lane still slows guesses at it from the same address.
  for (let i = 0; i < 6; i++) await attempt(throttle, { ...alice, fingerprint: `guess-${i}` }, false);
  assert.equal(throttle.delayFor(alice), 4000);
});

test('a shared address: a phone retrying an old password costs the office nothing', async () => {
  const { throttle, advance } = fakeThrottle();
  const office = '198.51.100.20';
  // Bob's new phone never logged on from the office; it retries an old password every 20 s.
  for (let i = 0; i < 45; i++) {
    await attempt(throttle, { account: 'id:bob', address: office, fingerprint: 'bob-old' }, false);
    advance(20_000);
  }
  // Dan logs on from the office for the first time (no lane of his own yet): no wait.
  assert.equal(await attempt(throttle, { account: 'id:dan', address: office }, true), 0);
});

test('IPv6 clients are throttled per /64 and IPv4-mapped addresses as IPv4', async () => {
  const rows: [string, string][] = [
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:192.0.2.1', '192.0.2.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['not-an-ip', 'not-an-ip'],
  ];
  for (const [input, expected] of rows) assert.equal(throttleAddress(input), expected, input);

  const { throttle } = fakeThrottle({ addressFreeFailures: 3 });
  for (let i = 0; i < 5; i++) await attempt(throttle, wrong(`u${i}`, `2001:db8:1:2::${i + 1}`, i), false);
  assert.equal(throttle.delayFor({ account: 'someone', address: '2001:db8:1:2:ffff::9' }), 2000);
  assert.equal(throttle.delayFor({ account: 'someone', address: '2001:db8:1:3::1' }), 0);
});

test('memory is bounded: the oldest keys are evicted beyond maxEntries', async () => {
  const { throttle, advance } = fakeThrottle({ maxEntries: 100 });
  for (let i = 0; i < 1000; i++) {
    await attempt(throttle, wrong(`user${i}`, `10.0.${i >> 8}.${i & 255}`, i), false);
    advance(1);
  }
  assert.ok(throttle.size <= 100, `size ${throttle.size}`);
  assert.equal(throttle.failures('account', 'user999'), 1);
  assert.equal(throttle.failures('account', 'user0'), 0);
});

test('failures are forgotten after 15 minutes without an attempt', async () => {
  const { throttle, advance } = fakeThrottle();
  for (let i = 0; i < 6; i++) await attempt(throttle, wrong('alice', '192.0.2.1', i), false);
  advance(14 * MINUTE);
  assert.equal(throttle.failures('account', 'alice'), 6);
  advance(MINUTE);
  assert.equal(throttle.failures('account', 'alice'), 0);
  assert.equal(throttle.delayFor({ account: 'alice', address: '192.0.2.1' }), 0);
});

test('a missing address is simply not tracked', async () => {
  const { throttle } = fakeThrottle();
  for (let i = 0; i < 5; i++) await attempt(throttle, wrong('alice', '', i), false);
  assert.equal(throttle.failures('address', ''), 0);
  assert.equal(throttle.failures('account', 'alice'), 5);
});
