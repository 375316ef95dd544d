// Failed-logon throttling: a growing delay per user and per client address, never a lockout.
//
// A lockout would let anyone who knows a user name deny that user service from anywhere by
// typing wrong passwords. A delay makes online guessing slow while the real user, at worst,
// waits 30 seconds. (Exchange's own throttling likewise prefers "microdelays" to blocking.)
//
// Intended use by the protocol layers: wait delayFor(user, address) before checking the
// credentials, whether they turn out right or wrong (delaying only failures would let a guesser
// spot the success by its quick answer and drop slow connections), then record the outcome.

import { isIPv4, isIPv6 } from 'node:net';

export interface LogonThrottleOptions {
  /** Clock in milliseconds; tests inject a fake one. */
  now?: () => number;
  /** Failures that cost nothing: typos and a phone retrying an old password a few times. */
  freeFailures?: number;
  /** Delay after the first non-free failure; doubles with each further one. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A key with no failure for this long is forgotten. */
  forgetAfterMs?: number;
  /** Cap on tracked users + addresses, so a spray from many addresses cannot exhaust memory. */
  maxEntries?: number;
}

interface Entry {
  failures: number;
  lastFailure: number;
}

// The count stops growing here; the delay reached the cap long before.
const MAX_COUNTED_FAILURES = 1000;

export class LogonThrottle {
  private readonly now: () => number;
  private readonly freeFailures: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly forgetAfterMs: number;
  private readonly maxEntries: number;
  // Ordered by last failure, oldest first (re-inserted on each failure), so pruning only ever
  // looks at the front.
  private readonly entries = new Map<string, Entry>();

  constructor(options: LogonThrottleOptions = {}) {
    this.now = options.now ?? Date.now;
    this.freeFailures = options.freeFailures ?? 3;
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.forgetAfterMs = options.forgetAfterMs ?? 15 * 60_000;
    this.maxEntries = Math.max(2, options.maxEntries ?? 100_000);
  }

  /** Milliseconds to wait before checking this attempt: the larger of the two keys' delays. */
  delayFor(user: string | undefined, address: string | undefined): number {
    return Math.max(this.delayOfKey(userKey(user)), this.delayOfKey(addressKey(address)));
  }

  recordFailure(user: string | undefined, address: string | undefined): void {
    const now = this.now();
    for (const key of [userKey(user), addressKey(address)]) {
      if (key === null) continue;
      const entry = this.live(key, now);
      const failures = Math.min((entry?.failures ?? 0) + 1, MAX_COUNTED_FAILURES);
      this.entries.delete(key);
      this.entries.set(key, { failures, lastFailure: now });
    }
    this.prune(now);
  }

  /**
   * Clears the user's record. The address keeps its count: otherwise a guesser could log in to
   * an account of their own between guesses at other users' passwords to wipe the slate.
   */
  recordSuccess(user: string | undefined, _address: string | undefined): void {
    const key = userKey(user);
    if (key !== null) this.entries.delete(key);
  }

  /** Failures currently remembered for a user or an address (for logs and tests). */
  failures(kind: 'user' | 'address', value: string): number {
    const key = kind === 'user' ? userKey(value) : addressKey(value);
    return key === null ? 0 : this.live(key, this.now())?.failures ?? 0;
  }

  /** Number of users and addresses tracked. */
  get size(): number {
    return this.entries.size;
  }

  /** 0 for the first `freeFailures`, then base, 2 x base, 4 x base ... up to the cap. */
  delayForFailureCount(failures: number): number {
    const over = failures - this.freeFailures;
    if (over <= 0) return 0;
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(over - 1, 30));
  }

  private delayOfKey(key: string | null): number {
    if (key === null) return 0;
    const entry = this.live(key, this.now());
    return entry ? this.delayForFailureCount(entry.failures) : 0;
  }

  /** The entry for a key, dropping it if it has expired. */
  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && now - entry.lastFailure >= this.forgetAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private prune(now: number): void {
    for (const [key, entry] of this.entries) {
      const expired = now - entry.lastFailure >= this.forgetAfterMs;
      if (!expired && this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}

function userKey(user: string | undefined): string | null {
  if (typeof user !== 'string') return null;
  const normalized = user.trim().normalize('NFC').toLowerCase();
  return normalized.length === 0 ? null : `u:${normalized}`;
}

function addressKey(address: string | undefined): string | null {
  if (typeof address !== 'string' || address.trim().length === 0) return null;
  return `a:${throttleAddress(address.trim())}`;
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
