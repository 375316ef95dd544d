// Password storage: scrypt hashes in PHC string format for LOGIN / USER-PASS / SASL PLAIN, and
// RFC 5803 SCRAM-SHA-256 credentials for SASL SCRAM. Nothing here touches the directory; the
// caller stores and fetches the strings.

import {
  createHash,
  createHmac,
  pbkdf2,
  randomBytes,
  scrypt,
  timingSafeEqual,
  type BinaryLike,
  type ScryptOptions,
} from 'node:crypto';
import { availableParallelism } from 'node:os';
import saslprep from '@mongodb-js/saslprep';
import { Semaphore } from '../lib/semaphore.ts';

// ---------------------------------------------------------------------------------------------
// Cost, and how much of the machine hashing may take
// ---------------------------------------------------------------------------------------------

/**
 * The work factors of new credentials (Set-OrganizationConfig -PasswordHashCostFactor and
 * -ScramIterationCount). A stored directory is attacked through the cheapest of the two
 * strings kept per user, so both are raised together.
 */
export interface PasswordCost {
  /** scrypt N = 2^scryptLn, with r = 8 and p = 1. */
  scryptLn: number;
  /** PBKDF2-HMAC-SHA-256 iterations of the SCRAM-SHA-256 keys. */
  scramIterations: number;
}

/**
 * OWASP Password Storage Cheat Sheet: scrypt N = 2^17, r = 8, p = 1 (128 MiB, the minimum it
 * recommends) and PBKDF2-HMAC-SHA256 with 600,000 iterations.
 */
export const DEFAULT_PASSWORD_COST: Readonly<PasswordCost> = Object.freeze({ scryptLn: 17, scramIterations: 600_000 });

/**
 * Hash and key derivations allowed to run at once. scrypt and PBKDF2 run on libuv's thread pool
 * (UV_THREADPOOL_SIZE, 4 by default), which file system and DNS work share; a burst of logons
 * must leave two of its threads free, and more hashes at once than there are cores only makes
 * each one slower. Two on the usual 2-4 core server; raise UV_THREADPOOL_SIZE to give hashing
 * more of a bigger machine.
 */
export function hashConcurrency(threadPoolSize = Number(process.env.UV_THREADPOOL_SIZE) || 4, cores = availableParallelism()): number {
  return Math.max(1, Math.min(cores, threadPoolSize - 2));
}

const hashSlots = new Semaphore(hashConcurrency());
let hashesStarted = 0;

/** Runs one scrypt or PBKDF2 derivation in a hash slot. */
function inHashSlot<T>(derive: () => Promise<T>): Promise<T> {
  return hashSlots.run(() => {
    hashesStarted++;
    return derive();
  });
}

/** Hash work running or waiting now, and started since the process began (tests, diagnostics). */
export function hashWork(): { active: number; waiting: number; size: number; started: number } {
  return { active: hashSlots.active, waiting: hashSlots.waiting, size: hashSlots.size, started: hashesStarted };
}

// ---------------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------------

// RFC 3454 table B.1, which SASLprep maps to nothing (RFC 4013 §2.2).
const MAPPED_TO_NOTHING = /[\u00ad\u034f\u1806\u180b-\u180d\u200b-\u200d\u2060\ufe00-\ufe0f\ufeff]/g;

/**
 * SASLprep (RFC 4013) a password before it is hashed or checked, so "I\u00ADX" and "IX", or a
 * precomposed and a decomposed "é", are the same password whatever the client's input method.
 *
 * Two deliberate deviations, both taken from PostgreSQL's pg_saslprep:
 * - Unassigned code points are allowed. The stringprep tables are Unicode 3.2, so every emoji and
 *   many later CJK characters count as "unassigned"; the stored-string rule (RFC 3454 §7) would
 *   refuse passwords that users can type on any phone.
 * - If preparation fails (prohibited character, bidi rule), the raw string is used instead of
 *   refusing the password. Hash and verify take the same path, so the result stays consistent,
 *   and a SCRAM client that skips or fails SASLprep the same way still derives the same key.
 */
export function normalizePassword(password: string): string {
  // @mongodb-js/saslprep 1.6 throws a TypeError instead of returning "" when every character is
  // "commonly mapped to nothing" (RFC 3454 table B.1), which the fallback below would turn into
  // the raw string; answer that case here.
  if (password.replace(MAPPED_TO_NOTHING, '') === '') return '';
  try {
    return saslprep(password, { allowUnassigned: true });
  } catch {
    return password;
  }
}

// ---------------------------------------------------------------------------------------------
// scrypt in PHC string format
// ---------------------------------------------------------------------------------------------

/** scrypt cost parameters as written in the PHC string: N = 2^ln. */
export interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

/** Parsed `$scrypt$ln=..,r=..,p=..$salt$hash`. */
export interface ScryptPhc {
  id: 'scrypt';
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

/** What new hashes use unless the organization says otherwise: 128 MiB, about 0.3-0.4 s per hash on a server core. */
export const SCRYPT_DEFAULTS: Readonly<ScryptParams> = Object.freeze({ ln: DEFAULT_PASSWORD_COST.scryptLn, r: 8, p: 1 });
const SALT_BYTES = 16;
const HASH_BYTES = 32;

// Limits for parsing stored hashes. They also bound the work a corrupt or hostile row in the
// directory can make us do: 128 * N * r * p bytes of memory per verification.
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
const MIN_SALT_BYTES = 8;
const MAX_SALT_BYTES = 64;
const MIN_HASH_BYTES = 16;
const MAX_HASH_BYTES = 64;

// PHC strings use standard base64 without padding (PHC string format spec, "B64").
const B64_NOPAD = /^[A-Za-z0-9+/]+$/;

function toB64NoPad(data: Buffer): string {
  return data.toString('base64').replace(/=+$/, '');
}

/** Decodes PHC B64, or null when the text is not canonical (Buffer.from alone is too lenient). */
function fromB64NoPad(text: string): Buffer | null {
  if (!B64_NOPAD.test(text) || text.length % 4 === 1) return null;
  const data = Buffer.from(text, 'base64');
  return toB64NoPad(data) === text ? data : null;
}

function scryptMemory(params: ScryptParams): number {
  return 128 * 2 ** params.ln * params.r * params.p;
}

function validScryptParams(params: ScryptParams): boolean {
  const { ln, r, p } = params;
  return (
    Number.isInteger(ln) && ln >= 1 && ln <= 24 &&
    Number.isInteger(r) && r >= 1 && r <= 64 &&
    Number.isInteger(p) && p >= 1 && p <= 16 &&
    scryptMemory(params) <= MAX_SCRYPT_MEMORY
  );
}

function parseScryptParams(text: string): ScryptParams | null {
  // No leading zeros: one parameter set has one spelling, so needsRehash and equality agree.
  const match = /^ln=([1-9]\d?),r=([1-9]\d?),p=([1-9]\d?)$/.exec(text);
  if (!match) return null;
  const params = { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  return validScryptParams(params) ? params : null;
}

/** Parses a scrypt PHC string; null for anything else, including other algorithms. */
export function parseScryptPhc(phc: string): ScryptPhc | null {
  if (typeof phc !== 'string' || phc.length > 512) return null;
  const parts = phc.split('$');
  // ['', 'scrypt', 'ln=..,r=..,p=..', salt, hash]
  if (parts.length !== 5 || parts[0] !== '' || parts[1] !== 'scrypt') return null;
  const params = parseScryptParams(parts[2] ?? '');
  const salt = fromB64NoPad(parts[3] ?? '');
  const hash = fromB64NoPad(parts[4] ?? '');
  if (!params || !salt || !hash) return null;
  if (salt.length < MIN_SALT_BYTES || salt.length > MAX_SALT_BYTES) return null;
  if (hash.length < MIN_HASH_BYTES || hash.length > MAX_HASH_BYTES) return null;
  return { id: 'scrypt', params, salt, hash };
}

function formatScryptPhc(params: ScryptParams, salt: Buffer, hash: Buffer): string {
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${toB64NoPad(salt)}$${toB64NoPad(hash)}`;
}

/** Promise wrapper over the callback scrypt, which runs on the libuv thread pool, one of the hash slots at a time. */
function scryptAsync(password: BinaryLike, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = {
    N: 2 ** params.ln,
    r: params.r,
    p: params.p,
    // Node's default maxmem is 32 MiB, which ln=15,r=8 (exactly 32 MiB plus overhead) exceeds.
    maxmem: 2 * scryptMemory(params),
  };
  return inHashSlot(() => new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  }));
}

/**
 * Hashes a password for storage. `params` carries the organization's cost (`{ ln }`, see
 * credentialsFor) and cheap ones for tests; the defaults are what needsRehash() expects. Throws on an empty password (after SASLprep, which
 * maps a lone soft hyphen to nothing): an empty password is never a valid credential here.
 */
export async function hashPassword(password: string, params: Partial<ScryptParams> = {}): Promise<string> {
  const full: ScryptParams = { ...SCRYPT_DEFAULTS, ...params };
  if (!validScryptParams(full)) throw new RangeError('scrypt parameters out of range');
  const normalized = normalizePassword(password);
  if (normalized.length === 0) throw new RangeError('refusing to hash an empty password');
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(normalized, salt, HASH_BYTES, full);
  return formatScryptPhc(full, salt, hash);
}

/**
 * Checks a password against a stored PHC string. Never throws: a malformed string, an
 * algorithm we do not know, or an internal scrypt error all mean "no".
 */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const parsed = parseScryptPhc(phc);
  if (!parsed || typeof password !== 'string') return false;
  const normalized = normalizePassword(password);
  if (normalized.length === 0) return false;
  try {
    const candidate = await scryptAsync(normalized, parsed.salt, parsed.hash.length, parsed.params);
    // Same length by construction (keylen = stored length), so timingSafeEqual cannot throw.
    return timingSafeEqual(candidate, parsed.hash);
  } catch {
    return false;
  }
}

/**
 * True when the stored string should be replaced by hashPassword() output at the next
 * successful login: another algorithm, another cost than the organization's (either way: an
 * administrator who lowers the cost means it), or a short salt or hash.
 */
export function needsRehash(phc: string, cost: Pick<PasswordCost, 'scryptLn'> = DEFAULT_PASSWORD_COST): boolean {
  const parsed = parseScryptPhc(phc);
  if (!parsed) return true;
  const { ln, r, p } = parsed.params;
  return (
    ln !== cost.scryptLn ||
    r !== SCRYPT_DEFAULTS.r ||
    p !== SCRYPT_DEFAULTS.p ||
    parsed.salt.length < SALT_BYTES ||
    parsed.hash.length !== HASH_BYTES
  );
}

/** True when stored SCRAM keys are missing, unreadable or derived with another iteration count. */
export function scramNeedsRehash(scram: string | null, cost: Pick<PasswordCost, 'scramIterations'> = DEFAULT_PASSWORD_COST): boolean {
  const parsed = scram === null ? null : parseScramCredentials(scram);
  return parsed === null || parsed.iterations !== cost.scramIterations || parsed.salt.length < SALT_BYTES;
}

// ---------------------------------------------------------------------------------------------
// Cache of recent successful verifications
// ---------------------------------------------------------------------------------------------

export interface VerificationCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * Remembers recent successful (phc, password) pairs for a short time, so a client that opens
 * several connections at once (Thunderbird opens up to five IMAP connections, and phones poll
 * POP3 every few minutes) costs one scrypt instead of one per connection.
 *
 * Only a SHA-256 digest of the pair is kept, never the password. The stored hash is part of the
 * key, so changing the password (a new PHC string) invalidates the entry at once. Failures are
 * never cached: that would let a guesser skip the cost we impose on purpose.
 */
export class VerificationCache {
  private readonly entries = new Map<string, number>(); // digest -> expiry, oldest first
  private readonly inflight = new Map<string, Promise<boolean>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: VerificationCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    // Monotonic: a wall clock stepped back must not keep verifications for days.
    this.now = options.now ?? (() => performance.now());
  }

  /** Length-prefixed so that (phc, password) pairs cannot collide by shifting characters. */
  private static key(phc: string, password: string): string {
    return createHash('sha256')
      .update(`${Buffer.byteLength(phc)}:`)
      .update(phc)
      .update(password)
      .digest('base64');
  }

  has(phc: string, password: string): boolean {
    const key = VerificationCache.key(phc, password);
    const expiry = this.entries.get(key);
    if (expiry === undefined) return false;
    if (expiry <= this.now()) {
      this.entries.delete(key);
      return false;
    }
    return true;
  }

  add(phc: string, password: string): void {
    const key = VerificationCache.key(phc, password);
    // Re-inserting moves the key to the end, so the Map stays ordered by expiry.
    this.entries.delete(key);
    this.entries.set(key, this.now() + this.ttlMs);
    this.prune();
  }

  /**
   * Runs `verify` once for concurrent checks of the same pair: a client opening five
   * connections at once, or a thousand clients reconnecting after a restart, pays for one
   * scrypt per user instead of one per connection.
   */
  shared(phc: string, password: string, verify: () => Promise<boolean>): Promise<boolean> {
    const key = VerificationCache.key(phc, password);
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = verify().finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** Forgets everything, e.g. after an administrator resets passwords in bulk. */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries from the front, then the oldest ones beyond the cap. */
  private prune(): void {
    const now = this.now();
    for (const [key, expiry] of this.entries) {
      if (expiry > now && this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}

const defaultVerificationCache = new VerificationCache();

/**
 * verifyPassword() with a VerificationCache in front (the process-wide one by default).
 * `verify` checks other stored forms the same way (imported hashes, see foreign-hashes.ts).
 */
export async function verifyPasswordCached(
  password: string,
  phc: string,
  cache: VerificationCache = defaultVerificationCache,
  verify: (password: string, stored: string) => Promise<boolean> = verifyPassword,
): Promise<boolean> {
  if (typeof password !== 'string' || typeof phc !== 'string') return false;
  if (cache.has(phc, password)) return true;
  return cache.shared(phc, password, async () => {
    const ok = await verify(password, phc);
    if (ok) cache.add(phc, password);
    return ok;
  });
}

// ---------------------------------------------------------------------------------------------
// SCRAM-SHA-256 credentials (RFC 5802 §3, RFC 7677, stored as in RFC 5803)
// ---------------------------------------------------------------------------------------------

/** What a SCRAM server needs to know about a user; the password itself is not recoverable. */
export interface ScramCredentials {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** RFC 7677 §4: "the iteration count ... SHOULD be at least 4096". */
export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_MAX_ITERATIONS = 10_000_000;
const SCRAM_KEY_BYTES = 32; // SHA-256 output
const SCRAM_PREFIX = 'SCRAM-SHA-256$';

function hmacSha256(key: Buffer, data: string | Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

function pbkdf2Async(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return inHashSlot(() => new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, SCRAM_KEY_BYTES, 'sha256', (err, key) => (err ? reject(err) : resolve(key)));
  }));
}

/** ClientKey, StoredKey and ServerKey from SaltedPassword (RFC 5802 §3). */
export function scramKeysFromSaltedPassword(saltedPassword: Buffer): { clientKey: Buffer; storedKey: Buffer; serverKey: Buffer } {
  const clientKey = hmacSha256(saltedPassword, 'Client Key');
  return {
    clientKey,
    storedKey: sha256(clientKey),
    serverKey: hmacSha256(saltedPassword, 'Server Key'),
  };
}

/**
 * Derives SCRAM-SHA-256 credentials: SaltedPassword = Hi(Normalize(password), salt, i), where Hi
 * is PBKDF2-HMAC-SHA-256 (RFC 5802 §2.2). `salt` is only passed by tests reproducing RFC 7677.
 */
export async function deriveScramCredentials(
  password: string,
  iterations: number = DEFAULT_PASSWORD_COST.scramIterations,
  salt: Buffer = randomBytes(SALT_BYTES),
): Promise<ScramCredentials> {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > SCRAM_MAX_ITERATIONS) {
    throw new RangeError('SCRAM iteration count out of range');
  }
  const normalized = normalizePassword(password);
  if (normalized.length === 0) throw new RangeError('refusing to derive SCRAM keys from an empty password');
  const salted = await pbkdf2Async(normalized, salt, iterations);
  const { storedKey, serverKey } = scramKeysFromSaltedPassword(salted);
  return { iterations, salt: Buffer.from(salt), storedKey, serverKey };
}

/** RFC 5803 §3: `SCRAM-SHA-256$<iteration count>:<salt>$<StoredKey>:<ServerKey>`, base64 with padding. */
export function formatScramCredentials(c: ScramCredentials): string {
  return `${SCRAM_PREFIX}${c.iterations}:${c.salt.toString('base64')}$${c.storedKey.toString('base64')}:${c.serverKey.toString('base64')}`;
}

/**
 * New SCRAM-SHA-256 credentials for a password, as the string to store next to the PHC hash.
 * Below 4096 iterations is refused here (RFC 7677 §4), although parsing accepts imported ones.
 */
export async function scramCredentials(password: string, iterations: number = DEFAULT_PASSWORD_COST.scramIterations, salt?: Buffer): Promise<string> {
  if (iterations < SCRAM_MIN_ITERATIONS) throw new RangeError(`SCRAM iteration count must be at least ${SCRAM_MIN_ITERATIONS}`);
  return formatScramCredentials(await deriveScramCredentials(password, iterations, salt));
}

const B64_PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function fromB64Padded(text: string): Buffer | null {
  if (text.length === 0 || !B64_PADDED.test(text)) return null;
  const data = Buffer.from(text, 'base64');
  return data.toString('base64') === text ? data : null;
}

/** Parses the RFC 5803 string; null when it is malformed or for another hash function. */
export function parseScramCredentials(text: string): ScramCredentials | null {
  if (typeof text !== 'string' || text.length > 512 || !text.startsWith(SCRAM_PREFIX)) return null;
  const match = /^([1-9]\d{0,7}):([^$:]+)\$([^$:]+):([^$:]+)$/.exec(text.slice(SCRAM_PREFIX.length));
  if (!match) return null;
  const iterations = Number(match[1]);
  const salt = fromB64Padded(match[2] ?? '');
  const storedKey = fromB64Padded(match[3] ?? '');
  const serverKey = fromB64Padded(match[4] ?? '');
  if (iterations < 1 || iterations > SCRAM_MAX_ITERATIONS) return null;
  if (!salt || salt.length < MIN_SALT_BYTES || salt.length > MAX_SALT_BYTES) return null;
  if (!storedKey || storedKey.length !== SCRAM_KEY_BYTES) return null;
  if (!serverKey || serverKey.length !== SCRAM_KEY_BYTES) return null;
  return { iterations, salt, storedKey, serverKey };
}
