// Signed-in web sessions, kept in the directory (src/directory/web-sessions.ts): a session made
// on one server's web service works on every server sharing the directory, and a restart signs
// nobody out. The cookie carries a random token; the directory holds only its SHA-256 hash, and
// the form token (CSRF) is derived from the token, so it is not stored either.
//
// A session holds only ids: the mailbox, its settings and its role-group membership are read
// again on every request, so a disabled account, a changed password, a removed FullAccess or a
// removed admin loses access at the next click (src/web/request.ts). The rows of such sessions
// are deleted then, and by the sweep every minute.
//
// The hot path: a session read is kept for SESSION_CACHE_MS, so a sign-out on another server
// takes effect here within that time; activity is written back at most once per TOUCH_MS, so the
// idle limit is exact to within that.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { revokedSessions } from '../backend/session-revocation.ts';
import type { Directory } from '../directory/directory.ts';
import {
  countWebSessions, deleteExpiredWebSessions, deleteUserWebSessions, deleteWebSession, deleteWebSessionsOf, insertWebSession,
  touchWebSession, webSessionByHash, webSessionLogons, type WebSessionRecord,
} from '../directory/web-sessions.ts';

/** How long a session read from the directory is reused by this process. */
export const SESSION_CACHE_MS = 500;
/** Activity is recorded at most this often per session. */
const TOUCH_MS = 60_000;
const CACHE_LIMIT = 10_000;

export interface WebSession {
  /** The SHA-256 hash of the token, as the directory keys it. */
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
  readonly seenAt: number;
}

export interface SessionStoreOptions {
  idleMs?: number;
  maxAgeMs?: number;
  /** Sessions one user may hold; the oldest ends when a new one would pass it. */
  maxPerUser?: number;
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

/** What the directory keys a session by. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function csrfOf(token: string): string {
  return createHmac('sha256', token).update('mailroom web form token').digest('base64url');
}

/** A token as the cookie carries it: 43 base64url characters (32 bytes). */
const TOKEN = /^[\w-]{43}$/;

export class SessionStore {
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly maxPerUser: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, { record: WebSessionRecord; at: number }>();

  constructor(private readonly directory: Directory, options: SessionStoreOptions = {}) {
    this.idleMs = options.idleMs ?? 60 * 60_000;
    this.maxAgeMs = options.maxAgeMs ?? 12 * 60 * 60_000;
    this.maxPerUser = options.maxPerUser ?? 50;
    // Wall-clock time, as every server sharing the directory must read the same times.
    this.now = options.now ?? Date.now;
  }

  /** Cookie lifetime: the absolute limit; the idle limit is enforced here. */
  get maxAgeSeconds(): number {
    return Math.floor(this.maxAgeMs / 1000);
  }

  private expiresAt(createdAt: number, seenAt: number): number {
    return Math.min(createdAt + this.maxAgeMs, seenAt + this.idleMs);
  }

  /** A new session: the token goes in the cookie, and only its hash into the directory. */
  async create(input: { userId: string; mailboxId: string; logonName: string; credentialSerial: number }): Promise<{ token: string; session: WebSession }> {
    const token = randomToken();
    const now = this.now();
    const record: WebSessionRecord = { tokenHash: tokenHash(token), ...input, createdAt: now, seenAt: now, expiresAt: this.expiresAt(now, now) };
    await insertWebSession(this.directory, record, this.maxPerUser);
    return { token, session: this.session(record, token) };
  }

  /** The live session of this cookie token; undefined when unknown, ended or expired. */
  async get(token: string | undefined): Promise<WebSession | undefined> {
    if (!token || !TOKEN.test(token)) return undefined;
    const hash = tokenHash(token);
    const now = this.now();
    let record = this.cached(hash, now);
    if (!record || record.expiresAt <= now) record = await this.load(hash, now);
    if (!record) return undefined;
    if (record.expiresAt <= now) {
      await this.destroy(hash);
      return undefined;
    }
    if (now - record.seenAt >= Math.min(TOUCH_MS, this.idleMs / 10)) {
      record = { ...record, seenAt: now, expiresAt: this.expiresAt(record.createdAt, now) };
      this.remember(hash, record, now);
      await touchWebSession(this.directory, hash, record.seenAt, record.expiresAt);
    }
    return this.session(record, token);
  }

  /** Ends a session by its id (the token's hash). */
  async destroy(id: string | undefined): Promise<void> {
    if (!id) return;
    this.cache.delete(id);
    await deleteWebSession(this.directory, id);
  }

  /** Ends the session of a cookie token, if there is one. */
  async destroyToken(token: string | undefined): Promise<void> {
    if (token && TOKEN.test(token)) await this.destroy(tokenHash(token));
  }

  /** Ends every web session of a user, on every server. */
  async destroyUser(userId: string): Promise<number> {
    for (const [hash, entry] of this.cache) if (entry.record.userId === userId) this.cache.delete(hash);
    return deleteUserWebSessions(this.directory, userId);
  }

  /** Sessions not expired in the directory: every server's, not only this one's. */
  count(): Promise<number> {
    return countWebSessions(this.directory, this.now());
  }

  /**
   * Deletes the expired sessions and those whose sign-in no longer holds: the account removed
   * or disabled, its password set since, or the FullAccess the session used removed.
   */
  async sweep(): Promise<{ expired: number; revoked: number }> {
    const expired = await deleteExpiredWebSessions(this.directory, this.now());
    const logons = (await webSessionLogons(this.directory)).map((l) => ({ ...l, sharedMailboxIds: () => [l.mailboxId] }));
    let revoked = 0;
    for (const { session } of await revokedSessions(this.directory, logons)) revoked += await deleteWebSessionsOf(this.directory, session);
    if (revoked > 0) this.cache.clear();
    return { expired, revoked };
  }

  private cached(hash: string, now: number): WebSessionRecord | undefined {
    const hit = this.cache.get(hash);
    if (!hit) return undefined;
    if (now - hit.at < SESSION_CACHE_MS && now >= hit.at) return hit.record;
    this.cache.delete(hash);
    return undefined;
  }

  private async load(hash: string, now: number): Promise<WebSessionRecord | undefined> {
    const record = await webSessionByHash(this.directory, hash);
    if (record) this.remember(hash, record, now);
    else this.cache.delete(hash);
    return record;
  }

  private remember(hash: string, record: WebSessionRecord, now: number): void {
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(hash, { record, at: now });
  }

  private session(record: WebSessionRecord, token: string): WebSession {
    return {
      id: record.tokenHash, userId: record.userId, mailboxId: record.mailboxId, logonName: record.logonName,
      credentialSerial: record.credentialSerial, csrf: csrfOf(token), createdAt: record.createdAt, seenAt: record.seenAt,
    };
  }
}
