// Signed-in web sessions, kept in the memory of the process that serves them. A session holds
// only ids: the mailbox, its settings and its role-group membership are read again on every
// request, so a disabled account, a changed password, a removed FullAccess or a removed admin
// loses access at the next click.
//
// Being in memory, sessions do not survive a restart and are not shared between hosts; behind
// a load balancer, use sticky sessions (docs/web.md).
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface WebSession {
  readonly id: string;
  /** The account that signed in. */
  readonly userId: string;
  /** The mailbox opened: the user's own, or one it has FullAccess to (user@domain\alias). */
  readonly mailboxId: string;
  /** The logon name as typed, to prefill the user name for mail clients. */
  readonly logonName: string;
  /** The account's credential serial at sign-in: a password set since then ends the session. */
  readonly credentialSerial: number;
  /** Sent back in every form; a POST without it is refused. */
  readonly csrf: string;
  readonly createdAt: number;
  seenAt: number;
}

export interface SessionStoreOptions {
  idleMs?: number;
  maxAgeMs?: number;
  maxSessions?: number;
  now?: () => number;
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Compares two tokens in constant time; false for anything missing. */
export function tokensMatch(a: string | undefined | null, b: string | undefined | null): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SessionStore {
  private readonly sessions = new Map<string, WebSession>();
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(options: SessionStoreOptions = {}) {
    this.idleMs = options.idleMs ?? 60 * 60_000;
    this.maxAgeMs = options.maxAgeMs ?? 12 * 60 * 60_000;
    this.maxSessions = options.maxSessions ?? 100_000;
    // Sessions live in memory only: their idle and age limits count elapsed time (monotonic),
    // so a wall clock stepped back or forward neither keeps nor drops them.
    this.now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Cookie lifetime: the absolute limit; the idle limit is enforced here. */
  get maxAgeSeconds(): number {
    return Math.floor(this.maxAgeMs / 1000);
  }

  create(input: { userId: string; mailboxId: string; logonName: string; credentialSerial: number }): WebSession {
    const now = this.now();
    this.prune(now);
    // Oldest first (insertion order): when full, the longest-standing session makes room.
    while (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const session: WebSession = { id: randomToken(), csrf: randomToken(), createdAt: now, seenAt: now, ...input };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, refreshed; undefined when unknown or expired. */
  get(id: string | undefined): WebSession | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const now = this.now();
    if (this.expired(session, now)) {
      this.sessions.delete(id);
      return undefined;
    }
    session.seenAt = now;
    return session;
  }

  destroy(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  private expired(session: WebSession, now: number): boolean {
    return now - session.seenAt >= this.idleMs || now - session.createdAt >= this.maxAgeMs;
  }

  private prune(now: number): void {
    for (const [id, session] of this.sessions) {
      if (this.expired(session, now)) this.sessions.delete(id);
    }
  }
}
