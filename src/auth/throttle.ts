// Failed-logon throttling: a growing delay per account and per client address, never a lockout.
//
// A lockout would let anyone who knows a user name deny that user service from anywhere by
// typing wrong passwords. A delay makes online guessing slow while the real user, at worst,
// waits 30 seconds. (Exchange's own throttling likewise prefers "microdelays" to blocking.)
//
// How an attempt goes (Authenticator.logon and the SASL SCRAM exchange):
// 1. admit(): wait for the account's and the address's gate. One attempt per account and one
//    per address is in flight at a time; a few more wait in a short queue, the rest are refused
//    at once. Without this, N parallel connections would all read the same delay and all guess
//    at the same moment.
// 2. Wait out the delay: the time left until the last attempt on the same keys plus the delay
//    their failures have earned. It is served whether the password turns out right or wrong
//    (delaying only failures would let a guesser spot the success by its quick answer).
// 3. The attempt is counted as a failure before the password is checked, so a client that drops
//    the connection during the check has still spent its guess.
// 4. settle(ok): a success takes the count back; a failure keeps it.
//
// Shared addresses (an office behind one NAT address, a mobile carrier's gateway) must not lock
// out the people behind them because one phone keeps trying an old password. Three things see to
// that:
// - An account that has logged on successfully from an address before ("known address") has its
//   own lane there: no address gate, no address delay, and its failures count against that
//   (account, address) pair only. A guesser cannot enter a lane without the password.
// - The address itself has a budget of failures before any address delay starts, and the delay
//   is a spacing between attempts: a phone retrying every few minutes never makes anyone wait.
// - The same wrong password tried again (a phone with an old password, a client retrying) is
//   not a new guess and is not counted again.

import { isIPv4, isIPv6 } from 'node:net';
import { KeyedGate } from '../lib/keyed-gate.ts';

export interface LogonThrottleOptions {
  /** Clock in milliseconds; tests inject a fake one. */
  now?: () => number;
  /** How to wait; tests inject one that moves their clock instead of sleeping. */
  sleep?: (ms: number) => Promise<void>;
  /** Failures of one account that cost nothing: typos and a client retrying a few times. */
  freeFailures?: number;
  /**
   * Failures from one address, over all accounts not known there, before the address is slowed
   * down: room for the few people behind a NAT address who mistype. Defaults to the larger of 10
   * and freeFailures.
   */
  addressFreeFailures?: number;
  /** Delay after the first non-free failure; doubles with each further one. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A key with no attempt for this long is forgotten. */
  forgetAfterMs?: number;
  /** Cap on tracked accounts + addresses, so a spray from many addresses cannot exhaust memory. */
  maxEntries?: number;
  /** Attempts allowed to queue behind the one in flight on one account; more are refused. */
  maxWaiting?: number;
  /**
   * The same for one address. Larger, because many people share one (an office behind NAT whose
   * mail clients all start at nine); the queue is bounded anyway by MaxConnectionFromSingleIP
   * and each connection's logon deadline.
   */
  maxWaitingPerAddress?: number;
}

/** What one logon attempt is throttled by. */
export interface AttemptKeys {
  /**
   * The account tried: the mailbox id when the name resolves, else a canonical form of the
   * logon name, so that every spelling of one account shares one key.
   */
  account: string;
  /** The client's address; undefined when there is none (throttled by the account alone). */
  address?: string | undefined;
  /** The account has logged on successfully from this address before. */
  knownAddress?: boolean;
  /** A keyed digest of the password tried, never the password: repeats are not counted again. */
  fingerprint?: string;
}

/** An admitted attempt. Until settle(true), it counts as a failure. */
export interface ThrottledAttempt {
  /** Milliseconds it waited for its turn and its delay. */
  readonly waitedMs: number;
  settle(ok: boolean): void;
  /** Lets the next attempt on the same account and address begin; idempotent. */
  release(): void;
}

interface Entry {
  failures: number;
  lastAttempt: number;
  /** Fingerprints of the latest wrong passwords on an account key. */
  wrong?: string[];
}

// The count stops growing here; the delay reached the cap long before.
const MAX_COUNTED_FAILURES = 1000;
// Wrong passwords remembered per account key, to recognise a repeat.
const REMEMBERED_WRONG_PASSWORDS = 4;

export class LogonThrottle {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly freeFailures: number;
  private readonly addressFreeFailures: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly forgetAfterMs: number;
  private readonly maxEntries: number;
  // Ordered by last attempt, oldest first (re-inserted on each one), so pruning only ever
  // looks at the front.
  private readonly entries = new Map<string, Entry>();
  private readonly gates: KeyedGate;
  private readonly addressGates: KeyedGate;

  constructor(options: LogonThrottleOptions = {}) {
    // Monotonic: a wall clock stepped back must not turn a 30 s delay into days.
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.freeFailures = options.freeFailures ?? 3;
    this.addressFreeFailures = options.addressFreeFailures ?? Math.max(10, this.freeFailures);
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.forgetAfterMs = options.forgetAfterMs ?? 15 * 60_000;
    this.maxEntries = Math.max(2, options.maxEntries ?? 100_000);
    this.gates = new KeyedGate(Math.max(0, options.maxWaiting ?? 8));
    this.addressGates = new KeyedGate(Math.max(0, options.maxWaitingPerAddress ?? 256));
  }

  /**
   * Waits for the attempt's turn and its delay, then counts it. Null when too many attempts on
   * the same account or address are already queued: the caller answers "try again later"
   * without checking anything.
   */
  async admit(keys: AttemptKeys): Promise<ThrottledAttempt | null> {
    const started = this.now();
    const lane = this.keysOf(keys);
    const releases: (() => void)[] = [];
    const releaseAll = () => {
      for (const release of releases.splice(0)) release();
    };
    // Always the account first, then the address: one order, so two attempts never hold one
    // gate each while waiting for the other's.
    for (const key of lane.gates) {
      const release = await (key === lane.address ? this.addressGates : this.gates).acquire(key);
      if (!release) {
        releaseAll();
        return null;
      }
      releases.push(release);
    }
    const wait = this.waitFor(lane);
    if (wait > 0) await this.sleep(wait);
    const counted = this.count(lane, keys.fingerprint);
    const waitedMs = this.now() - started;
    let settled = false;
    return {
      waitedMs,
      settle: (ok) => {
        if (settled) return;
        settled = true;
        if (ok) this.succeeded(lane, counted);
        else if (counted) this.rememberWrong(lane.account, keys.fingerprint);
      },
      release: releaseAll,
    };
  }

  /** Milliseconds an attempt with these keys would wait now, not counting the queue. */
  delayFor(keys: AttemptKeys): number {
    return this.waitFor(this.keysOf(keys));
  }

  /** Failures remembered for an account (its own lane at no address) or an address. */
  failures(kind: 'account' | 'address', value: string): number {
    const key = kind === 'account' ? accountKey(value) : addressKey(value);
    return key === null ? 0 : this.live(key, this.now())?.failures ?? 0;
  }

  /** Number of accounts, lanes and addresses tracked. */
  get size(): number {
    return this.entries.size;
  }

  /** Attempts holding or queued at gates now (for tests and metrics). */
  get inFlight(): number {
    return this.gates.size + this.addressGates.size;
  }

  /** 0 for the first `free` failures, then base, 2 x base, 4 x base ... up to the cap. */
  delayForFailureCount(failures: number, free = this.freeFailures): number {
    const over = failures - free;
    if (over <= 0) return 0;
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(over - 1, 30));
  }

  private keysOf(keys: AttemptKeys): { account: string; address: string | null; gates: string[] } {
    const address = addressKey(keys.address);
    const base = accountKey(keys.account) ?? 'a:';
    if (keys.knownAddress && address !== null) {
      // The account's own lane at an address it logged on from: nothing shared with strangers.
      const lane = `k:${base.slice(2)}|${address.slice(2)}`;
      return { account: lane, address: null, gates: [lane] };
    }
    return { account: base, address, gates: address === null ? [base] : [base, address] };
  }

  private waitFor(lane: { account: string; address: string | null }): number {
    const now = this.now();
    const spacing = (key: string | null, free: number) => {
      const entry = key === null ? undefined : this.live(key, now);
      if (!entry) return 0;
      return Math.max(0, entry.lastAttempt + this.delayForFailureCount(entry.failures, free) - now);
    };
    return Math.max(spacing(lane.account, this.freeFailures), spacing(lane.address, this.addressFreeFailures));
  }

  /** Counts the attempt against its keys; false when it repeats a wrong password already counted. */
  private count(lane: { account: string; address: string | null }, fingerprint: string | undefined): boolean {
    const now = this.now();
    const account = this.live(lane.account, now);
    if (fingerprint !== undefined && account?.wrong?.includes(fingerprint)) return false;
    for (const key of [lane.account, lane.address]) {
      if (key === null) continue;
      const entry = key === lane.account ? account : this.live(key, now);
      this.entries.delete(key);
      this.entries.set(key, {
        failures: Math.min((entry?.failures ?? 0) + 1, MAX_COUNTED_FAILURES),
        lastAttempt: now,
        ...(entry?.wrong ? { wrong: entry.wrong } : {}),
      });
    }
    this.prune(now);
    return true;
  }

  /**
   * Clears the account's record. The address only gets this attempt's count back: otherwise a
   * guesser could log on to an account of their own between guesses at other users' passwords
   * to wipe the slate.
   */
  private succeeded(lane: { account: string; address: string | null }, counted: boolean): void {
    this.entries.delete(lane.account);
    if (!counted || lane.address === null) return;
    const entry = this.entries.get(lane.address);
    if (!entry) return;
    if (entry.failures <= 1) this.entries.delete(lane.address);
    else entry.failures--;
  }

  private rememberWrong(account: string, fingerprint: string | undefined): void {
    const entry = this.entries.get(account);
    if (!entry || fingerprint === undefined) return;
    entry.wrong = [...(entry.wrong ?? []), fingerprint].slice(-REMEMBERED_WRONG_PASSWORDS);
  }

  /** The entry for a key, dropping it if it has expired. */
  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && now - entry.lastAttempt >= this.forgetAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private prune(now: number): void {
    for (const [key, entry] of this.entries) {
      const expired = now - entry.lastAttempt >= this.forgetAfterMs;
      if (!expired && this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}

function accountKey(account: string | undefined): string | null {
  if (typeof account !== 'string') return null;
  const normalized = account.trim().normalize('NFC').toLowerCase();
  return normalized.length === 0 ? null : `a:${normalized}`;
}

function addressKey(address: string | undefined): string | null {
  if (typeof address !== 'string' || address.trim().length === 0) return null;
  return `n:${throttleAddress(address.trim())}`;
}

/**
 * The unit an address is throttled as. IPv4-mapped IPv6 (what a dual-stack socket reports for
 * IPv4 clients) becomes plain IPv4. Other IPv6 addresses count per /64, because a single
 * customer usually holds a whole /64 and could otherwise use a fresh address for every guess.
 */
export function throttleAddress(address: string): string {
  const withoutZone = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(withoutZone);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(withoutZone)) return withoutZone;
  if (isIPv6(withoutZone)) return ipv6Prefix64(withoutZone);
  return address.toLowerCase();
}

function ipv6Groups(text: string): string[] {
  if (text === '') return [];
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) takes two groups; it sits in the
  // low 32 bits, so its value never matters for the /64 prefix.
  return text.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
}

function ipv6Prefix64(address: string): string {
  const [head = '', tail] = address.split('::');
  const high = ipv6Groups(head);
  const groups = tail === undefined
    ? high
    : [...high, ...Array<string>(8 - high.length - ipv6Groups(tail).length).fill('0'), ...ipv6Groups(tail)];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
