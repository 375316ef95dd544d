// Exchange's user budgets for POP3 and IMAP4 (throttling policies' *MaxBurst, *RechargeRate and
// *CutoffBalance): each user has a balance of server time in milliseconds. Commands spend it (the
// time from reading a command to the end of its answer); it recharges at RechargeRate per hour up
// to MaxBurst. Below zero the user is slowed down, not locked out: each command first waits
// until the balance has recharged to zero, at most MAX_MICRODELAY_MS (Exchange's "microdelays").
// Below -CutoffBalance it waits until the balance is back at -CutoffBalance, however long that
// takes (up to MAX_CUTOFF_WAIT_MS per command, so a client's own timeout is not reached), so a
// busy client gets RechargeRate's worth of server time per hour and no more.
//
// The math is pure (balances at given times); BudgetLedger keeps one balance per user.
import type { EffectiveThrottling, Limit } from '../config/throttling-policy.ts';

export interface BudgetPolicy {
  maxBurst: Limit;
  rechargeRate: Limit;
  cutoffBalance: Limit;
}

/** A user's POP3 or IMAP4 budget parameters from their throttling policies. */
export function budgetPolicyOf(throttling: EffectiveThrottling, protocol: 'Pop' | 'Imap'): BudgetPolicy {
  return {
    maxBurst: throttling.values[`${protocol}MaxBurst`]!,
    rechargeRate: throttling.values[`${protocol}RechargeRate`]!,
    cutoffBalance: throttling.values[`${protocol}CutoffBalance`]!,
  };
}

/** A balance in milliseconds of server time, as of `at` (a monotonic clock in milliseconds). */
export interface BudgetState {
  balance: number;
  at: number;
}

export const HOUR_MS = 3_600_000;
/** The longest delay while the balance is between zero and -CutoffBalance. */
export const MAX_MICRODELAY_MS = 2_000;
/** The longest one command waits below -CutoffBalance. */
export const MAX_CUTOFF_WAIT_MS = 30_000;

/** A budget with no limit: Unlimited burst or recharge never slows anyone down. */
export function unthrottled(policy: BudgetPolicy): boolean {
  return policy.maxBurst === 'unlimited' || policy.rechargeRate === 'unlimited';
}

/** A new user's budget: full. */
export function fullBudget(policy: BudgetPolicy, now: number): BudgetState {
  return { balance: policy.maxBurst === 'unlimited' ? Number.POSITIVE_INFINITY : policy.maxBurst, at: now };
}

/** The balance at `now`: recharged for the time since `state.at`, never above MaxBurst. */
export function recharged(state: BudgetState, now: number, policy: BudgetPolicy): BudgetState {
  if (unthrottled(policy)) return { balance: Number.POSITIVE_INFINITY, at: now };
  const elapsed = Math.max(0, now - state.at);
  const balance = Math.min(policy.maxBurst as number, state.balance + (elapsed * (policy.rechargeRate as number)) / HOUR_MS);
  return { balance, at: Math.max(now, state.at) };
}

/** The balance after a command that took `costMs` of server time. */
export function charged(state: BudgetState, costMs: number): BudgetState {
  return { balance: state.balance - Math.max(0, costMs), at: state.at };
}

/** How long until a balance recharges by `amount` milliseconds. */
function rechargeTime(amount: number, policy: BudgetPolicy): number {
  return (Math.max(0, amount) * HOUR_MS) / (policy.rechargeRate as number);
}

/** How long the next command waits before it runs, for a balance as of now. */
export function delayBefore(state: BudgetState, policy: BudgetPolicy): number {
  if (unthrottled(policy) || state.balance >= 0) return 0;
  const toZero = rechargeTime(-state.balance, policy);
  if (policy.cutoffBalance === 'unlimited' || state.balance >= -policy.cutoffBalance) return Math.min(MAX_MICRODELAY_MS, toZero);
  const toCutoff = rechargeTime(-policy.cutoffBalance - state.balance, policy);
  return Math.min(MAX_CUTOFF_WAIT_MS, toCutoff + Math.min(MAX_MICRODELAY_MS, toZero - toCutoff));
}

/** Balances most recently used first; users whose budget is full again are forgotten. */
const MAX_TRACKED = 100_000;

/**
 * One balance per user for one protocol on this server. The policy is looked up per command, so
 * a Set-ThrottlingPolicy applies to sessions already open.
 */
export class BudgetLedger {
  private readonly states = new Map<string, BudgetState>();

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  private current(user: string, policy: BudgetPolicy): BudgetState {
    const now = this.now();
    const stored = this.states.get(user);
    return stored ? recharged(stored, now, policy) : fullBudget(policy, now);
  }

  /** The balance a user has now (for tests and the admin's view). */
  balance(user: string, policy: BudgetPolicy): number {
    return this.current(user, policy).balance;
  }

  /**
   * Runs one command of `user`: waits out the delay the balance calls for, then runs it and
   * charges the time it took. Returns what the command returned.
   */
  async run<T>(user: string, policy: () => BudgetPolicy, command: () => Promise<T>): Promise<T> {
    const before = policy();
    if (unthrottled(before)) {
      this.states.delete(user);
      return command();
    }
    const wait = delayBefore(this.current(user, before), before);
    if (wait > 0) await this.sleep(wait);
    const start = this.now();
    try {
      return await command();
    } finally {
      const after = policy();
      const end = this.now();
      if (unthrottled(after)) this.states.delete(user);
      else this.remember(user, charged(this.current(user, after), end - start), after);
    }
  }

  private remember(user: string, state: BudgetState, policy: BudgetPolicy): void {
    this.states.delete(user);
    if (state.balance >= (policy.maxBurst as number)) return;
    this.states.set(user, state);
    if (this.states.size > MAX_TRACKED) {
      // The oldest balance is the one most likely to be full again by now.
      const oldest = this.states.keys().next().value;
      if (oldest !== undefined) this.states.delete(oldest);
    }
  }
}
