import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogonThrottle, throttleAddress } from '../../src/auth/throttle.ts';

function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => { now += ms; } };
}

const MINUTE = 60_000;

test('delay is 0 for three failures, then doubles from 1 s up to the 30 s cap', () => {
  const clock = fakeClock();
  const throttle = new LogonThrottle({ now: clock.now });
  const delays: number[] = [];
  for (let i = 0; i < 12; i++) {
    delays.push(throttle.delayFor('alice', '192.0.2.1'));
    throttle.recordFailure('alice', '192.0.2.1');
    clock.advance(1000);
  }
  assert.deepEqual(delays, [0, 0, 0, 0, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.equal(throttle.delayForFailureCount(1000), 30_000);
});

test('failures are forgotten after 15 minutes without a new one', () => {
  const clock = fakeClock();
  const throttle = new LogonThrottle({ now: clock.now });
  for (let i = 0; i < 6; i++) throttle.recordFailure('alice', '192.0.2.1');
  assert.equal(throttle.delayFor('alice', '192.0.2.1'), 4000);
  clock.advance(14 * MINUTE);
  assert.equal(throttle.delayFor('alice', '192.0.2.1'), 4000);
  // A failure inside the window restarts it.
  throttle.recordFailure('alice', '192.0.2.1');
  clock.advance(14 * MINUTE);
  assert.equal(throttle.delayFor('alice', '192.0.2.1'), 8000);
  clock.advance(MINUTE);
  assert.equal(throttle.delayFor('alice', '192.0.2.1'), 0);
  assert.equal(throttle.failures('user', 'alice'), 0);
  assert.equal(throttle.size, 0);
});

test('success resets the user but not the address', () => {
  const clock = fakeClock();
  const throttle = new LogonThrottle({ now: clock.now });
  for (let i = 0; i < 5; i++) throttle.recordFailure('alice', '192.0.2.1');
  throttle.recordSuccess('Alice', '192.0.2.1'); // user names compare case-insensitively
  assert.equal(throttle.failures('user', 'alice'), 0);
  assert.equal(throttle.failures('address', '192.0.2.1'), 5);
  assert.equal(throttle.delayFor('alice', '198.51.100.7'), 0);
  assert.equal(throttle.delayFor('bob', '192.0.2.1'), 2000);
});

test('a spray of users from one address is slowed by the address key', () => {
  const throttle = new LogonThrottle({ now: fakeClock().now });
  for (let i = 0; i < 10; i++) throttle.recordFailure(`user${i}`, '203.0.113.9');
  assert.equal(throttle.delayFor('user99', '203.0.113.9'), 30_000);
  assert.equal(throttle.delayFor('user99', '203.0.113.10'), 0);
});

test('guesses at one user from many addresses are slowed by the user key, never refused', () => {
  const throttle = new LogonThrottle({ now: fakeClock().now });
  for (let i = 0; i < 8; i++) throttle.recordFailure('alice@contoso.com', `198.51.100.${i}`);
  assert.equal(throttle.delayFor('ALICE@contoso.com', '192.0.2.200'), 16_000);
  assert.equal(throttle.delayFor(undefined, '192.0.2.200'), 0);
  // The legitimate user is only delayed, and a success clears the slate.
  throttle.recordSuccess('alice@contoso.com', '192.0.2.200');
  assert.equal(throttle.delayFor('alice@contoso.com', '192.0.2.200'), 0);
});

test('IPv6 clients are throttled per /64 and IPv4-mapped addresses as IPv4', () => {
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

  const throttle = new LogonThrottle({ now: fakeClock().now });
  for (let i = 0; i < 5; i++) throttle.recordFailure(`u${i}`, `2001:db8:1:2::${i + 1}`);
  assert.equal(throttle.delayFor('someone', '2001:db8:1:2:ffff::9'), 2000);
  assert.equal(throttle.delayFor('someone', '2001:db8:1:3::1'), 0);
});

test('memory is bounded: the oldest keys are evicted beyond maxEntries', () => {
  const clock = fakeClock();
  const throttle = new LogonThrottle({ now: clock.now, maxEntries: 100 });
  for (let i = 0; i < 1000; i++) {
    throttle.recordFailure(`user${i}`, `10.0.${i >> 8}.${i & 255}`);
    clock.advance(1);
  }
  assert.ok(throttle.size <= 100, `size ${throttle.size}`);
  assert.equal(throttle.failures('user', 'user999'), 1);
  assert.equal(throttle.failures('user', 'user0'), 0);
});

test('missing user or address is simply not tracked', () => {
  const throttle = new LogonThrottle({ now: fakeClock().now });
  for (let i = 0; i < 5; i++) throttle.recordFailure(undefined, '');
  assert.equal(throttle.size, 0);
  assert.equal(throttle.delayFor(undefined, undefined), 0);
  throttle.recordSuccess(undefined, undefined);
});
