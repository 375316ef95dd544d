// The budget math of throttling policies (src/auth/budget.ts) and the policy chain
// (src/config/throttling-policy.ts): tables for the cases Exchange documents, properties over
// seeded random balances, policies and times, and the ledger under a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BudgetLedger, charged, delayBefore, fullBudget, HOUR_MS, MAX_CUTOFF_WAIT_MS, MAX_MICRODELAY_MS, recharged, unthrottled, type BudgetPolicy,
} from '../../src/auth/budget.ts';
import { effectiveThrottling, globalDefaults, throttlingPolicyProblem, type ThrottlingPolicy } from '../../src/config/throttling-policy.ts';
import { pick, prng, randomInt } from '../support/random.ts';

const P = (maxBurst: BudgetPolicy['maxBurst'], rechargeRate: BudgetPolicy['rechargeRate'], cutoffBalance: BudgetPolicy['cutoffBalance'] = 'unlimited'): BudgetPolicy =>
  ({ maxBurst, rechargeRate, cutoffBalance });

test('recharge: RechargeRate milliseconds per hour, never above MaxBurst', () => {
  const policy = P(1000, 3600); // one millisecond of budget per second
  const cases: [number, number, number][] = [
    // balance, elapsed ms, expected balance
    [0, 0, 0],
    [0, 1000, 1],
    [-5, 2000, -3],
    [-5, 10_000, 5],
    [999, 5000, 1000],
    [1000, HOUR_MS, 1000],
    [-100_000, HOUR_MS, -96_400],
  ];
  for (const [balance, elapsed, want] of cases) {
    assert.equal(recharged({ balance, at: 50 }, 50 + elapsed, policy).balance, want, `${balance} after ${elapsed} ms`);
  }
  // A clock that seems to go back recharges nothing and does not move the budget's time back.
  assert.deepEqual(recharged({ balance: -5, at: 100 }, 40, policy), { balance: -5, at: 100 });
});

test('delay: none at or above zero, microdelays below, a real wait past the cutoff', () => {
  const rate = 3600; // 1 ms per second: a deficit of d ms takes d seconds to recharge
  const cases: [BudgetPolicy, number, number][] = [
    [P(10, rate), 5, 0],
    [P(10, rate), 0, 0],
    [P(10, rate), -0.5, 500],
    [P(10, rate), -1.5, 1500],
    [P(10, rate), -3, MAX_MICRODELAY_MS],
    [P(10, rate), -1e9, MAX_MICRODELAY_MS],
    // CutoffBalance 2: below -2 the command waits until the balance is back at -2, plus the microdelay.
    [P(10, rate, 2), -1, 1000],
    [P(10, rate, 2), -2, MAX_MICRODELAY_MS],
    [P(10, rate, 2), -5, 3000 + MAX_MICRODELAY_MS],
    [P(10, rate, 2), -1e6, MAX_CUTOFF_WAIT_MS],
    [P('unlimited', rate), -1e9, 0],
    [P(10, 'unlimited'), -1e9, 0],
  ];
  for (const [policy, balance, want] of cases) assert.equal(delayBefore({ balance, at: 0 }, policy), want, `${JSON.stringify(policy)} at ${balance}`);
});

test('property: recharge is monotonic, bounded by MaxBurst, and additive over time', () => {
  const random = prng(7_2026);
  for (let run = 0; run < 5000; run++) {
    const policy = P(randomInt(random, 10_000), 1 + randomInt(random, 10 * HOUR_MS));
    const state = { balance: randomInt(random, 40_000) - 30_000, at: randomInt(random, 1000) };
    const a = randomInt(random, 100_000);
    const b = randomInt(random, 100_000);
    const later = recharged(state, state.at + a + b, policy);
    const sooner = recharged(state, state.at + a, policy);
    assert.ok(later.balance >= sooner.balance - 1e-9, 'more time never means less budget');
    assert.ok(later.balance <= (policy.maxBurst as number) + 1e-9, 'never above MaxBurst');
    assert.ok(later.balance >= Math.min(state.balance, policy.maxBurst as number) - 1e-9, 'recharging never takes budget away');
    // In two steps or one, the same balance.
    assert.ok(Math.abs(recharged(sooner, state.at + a + b, policy).balance - later.balance) < 1e-6);
  }
});

test('property: the delay is zero exactly when the balance is not negative, shrinks as the balance grows, and is bounded', () => {
  const random = prng(20_261_207);
  for (let run = 0; run < 5000; run++) {
    const policy = P(randomInt(random, 10_000), 1 + randomInt(random, HOUR_MS), pick(random, ['unlimited', 0, 1, 50, 5000] as const));
    const lower = -randomInt(random, 100_000);
    const higher = lower + randomInt(random, 100_000);
    const dLow = delayBefore({ balance: lower, at: 0 }, policy);
    const dHigh = delayBefore({ balance: higher, at: 0 }, policy);
    assert.ok(dHigh <= dLow + 1e-9, `${higher} waits no longer than ${lower}`);
    assert.equal(dHigh === 0, higher >= 0);
    assert.ok(dLow <= (policy.cutoffBalance === 'unlimited' ? MAX_MICRODELAY_MS : MAX_CUTOFF_WAIT_MS));
    // Waiting out an uncapped delay brings the balance back to the cutoff, or to zero.
    if (dLow < MAX_MICRODELAY_MS && lower < 0) {
      const after = recharged({ balance: lower, at: 0 }, dLow, policy).balance;
      assert.ok(after >= -1e-6, `after ${dLow} ms the balance is ${after}`);
    }
  }
});

test('the ledger: a busy user is slowed to the recharge rate, others are not, and a full budget is forgotten', async () => {
  let now = 0;
  const waits: number[] = [];
  const ledger = new BudgetLedger(() => now, async (ms) => {
    waits.push(ms);
    now += ms;
  });
  const policy = P(10, 36_000); // 10 ms of server time per second
  const command = (cost: number) => async () => {
    now += cost;
    return cost;
  };
  // Ten commands of 2 ms: the first five (and a bit, recharged meanwhile) spend the burst, then
  // each waits for about its 2 ms to recharge (200 ms, less what recharged while it ran).
  for (let i = 0; i < 10; i++) assert.equal(await ledger.run('alice', () => policy, command(2)), 2);
  assert.equal(waits.length, 4, JSON.stringify(waits));
  assert.ok(waits.every((w) => w > 180 && w <= 200), JSON.stringify(waits));
  // Another user has a budget of their own.
  const before = waits.length;
  await ledger.run('bob', () => policy, command(2));
  assert.equal(waits.length, before);
  // After a pause the budget is full again.
  now += 10_000;
  assert.equal(ledger.balance('alice', policy), 10);
  // A policy made unlimited stops the delays at once, for sessions already open.
  await ledger.run('alice', () => P('unlimited', 1), command(50));
  await ledger.run('alice', () => P('unlimited', 1), command(50));
  assert.equal(waits.length, before);
  assert.ok(unthrottled(P(5, 'unlimited')));
  assert.deepEqual(fullBudget(P(5, 1), 3), { balance: 5, at: 3 });
  assert.deepEqual(charged({ balance: 5, at: 3 }, 7), { balance: -2, at: 3 });
});

test('policy chain: a user\'s Regular policy, then the Organization policy, then the Global one', () => {
  const nulls = Object.fromEntries(Object.keys(globalDefaults()).map((k) => [k, null]));
  const global: ThrottlingPolicy = { name: 'GlobalThrottlingPolicy_x', scope: 'Global', settings: { ...globalDefaults(), ImapMaxConcurrency: 50 } };
  const org: ThrottlingPolicy = { name: 'Contoso', scope: 'Organization', settings: { ...nulls, ImapMaxConcurrency: 10, MessageRateLimit: 30 } };
  const desk: ThrottlingPolicy = { name: 'Front desk', scope: 'Regular', settings: { ...nulls, ImapMaxConcurrency: 2 } };
  const throttling = { policies: [global, org, desk], associations: new Map([['alice-id', 'front desk']]) };
  const alice = effectiveThrottling(throttling, 'alice-id');
  assert.equal(alice.values.ImapMaxConcurrency, 2);
  assert.equal(alice.from.ImapMaxConcurrency, 'Front desk');
  assert.equal(alice.values.MessageRateLimit, 30);
  assert.equal(alice.from.MessageRateLimit, 'Contoso');
  assert.equal(alice.values.PopMaxConcurrency, 20);
  assert.equal(alice.from.PopMaxConcurrency, 'GlobalThrottlingPolicy_x');
  const bob = effectiveThrottling(throttling, 'bob-id');
  assert.equal(bob.values.ImapMaxConcurrency, 10);
  const noOrg = effectiveThrottling({ policies: [global], associations: new Map() }, 'bob-id');
  assert.equal(noOrg.values.ImapMaxConcurrency, 50);
  assert.equal(noOrg.values.ImapRechargeRate, HOUR_MS / 2);
  // With no policy stored at all, Exchange 2013's Global values.
  assert.equal(effectiveThrottling({ policies: [], associations: new Map() }, 'x').values.PopMaxConcurrency, 20);

  assert.match(throttlingPolicyProblem('Regular', { ...nulls, RecipientRateLimit: 100 })!, /RecipientRateLimit: Mailroom does not support it/);
  assert.equal(throttlingPolicyProblem('Regular', { ...nulls, RecipientRateLimit: 'unlimited' }), undefined);
  assert.match(throttlingPolicyProblem('Global', { ...globalDefaults(), PopMaxBurst: null })!, /-PopMaxBurst: the Global policy has nothing to inherit/);
});
