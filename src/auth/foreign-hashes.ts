// Password hashes brought along from Dovecot (passwd-file, `doveadm pw`) and servers that share
// its formats. They are stored as they came, `{SCHEME}data`, in place of Mailroom's scrypt
// string, checked as Dovecot checks them, and replaced by Mailroom's own hash and SCRAM keys at
// the first logon that sees the password (Authenticator.rehashIfNeeded). Until then the user has
// no SCRAM keys: SCRAM-SHA-256 fails for that user as for a wrong password, and PLAIN, LOGIN and
// the web sign-in work.
//
// The parser is pure; verification of crypt-style schemes runs on the slow-hash worker thread.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Credentials, Directory, Mailbox } from '../directory/directory.ts';
import { cramMd5Context } from './cram-md5-context.ts';
import { verifyPassword } from './passwords.ts';
import { computeSlowHash } from './slow-hash.ts';
import { isCryptBase64, parseMd5Crypt, parseShaCrypt } from './unix-crypt.ts';

/** A hash refused at import, with a message for the administrator. */
export class ForeignHashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForeignHashError';
  }
}

type DigestAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';

/** What an imported hash says, decoded: enough to check a password against it. */
export type ForeignHash =
  | { kind: 'plain'; password: Buffer }
  | { kind: 'digest'; algorithm: DigestAlgorithm; digest: Buffer }
  | { kind: 'salted-digest'; algorithm: DigestAlgorithm; digest: Buffer; salt: Buffer }
  | { kind: 'cram-md5'; context: Buffer }
  | { kind: 'sha-crypt'; crypt: string; rounds: number }
  | { kind: 'md5-crypt'; crypt: string }
  | { kind: 'bcrypt'; crypt: string; cost: number }
  | { kind: 'argon2i' | 'argon2id'; memoryKiB: number; iterations: number; parallelism: number; salt: Buffer; hash: Buffer };

export interface ParsedForeignHash {
  /** The scheme as Dovecot names it, upper case, without an encoding suffix (CLEARTEXT, SHA512-CRYPT…). */
  scheme: string;
  hash: ForeignHash;
  /** What is stored: `{SCHEME[.ENCODING]}data` with the scheme in upper case. */
  stored: string;
}

export type ForeignHashParse = { ok: true; value: ParsedForeignHash } | { ok: false; error: string };

type Encoding = 'none' | 'base64' | 'hex';

interface SchemeRule {
  /** Dovecot's default encoding of the data (password-scheme.c), overridden by .B64/.BASE64/.HEX. */
  encoding: Encoding;
  /** The decoded length Dovecot knows for the scheme; without a suffix, data twice as long is hex. */
  rawLength?: number;
  decode(data: Buffer, scheme: string): ForeignHash | string;
}

const digestRule = (algorithm: DigestAlgorithm, encoding: Encoding, rawLength: number): SchemeRule => ({
  encoding,
  rawLength,
  decode: (data) => ({ kind: 'digest', algorithm, digest: data }),
});

const DIGEST_BYTES: Record<DigestAlgorithm, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

const saltedRule = (algorithm: DigestAlgorithm): SchemeRule => ({
  encoding: 'base64',
  decode: (data, scheme) => {
    const size = DIGEST_BYTES[algorithm];
    // Dovecot's ssha_verify: the digest, then a salt of at least one byte.
    if (data.length <= size) return `{${scheme}} data must hold a ${size}-byte digest followed by a salt (got ${data.length} bytes).`;
    return { kind: 'salted-digest', algorithm, digest: data.subarray(0, size), salt: data.subarray(size) };
  },
});

const plainRule: SchemeRule = {
  encoding: 'none',
  decode: (data) => (data.length === 0 ? 'an empty password cannot be imported.' : { kind: 'plain', password: data }),
};

const cryptRule = (accept: (text: string) => ForeignHash | string): SchemeRule => ({
  encoding: 'none',
  decode: (data) => accept(data.toString('utf8')),
});

const cramRule: SchemeRule = { encoding: 'hex', rawLength: 32, decode: (data) => ({ kind: 'cram-md5', context: data }) };

/** Every Dovecot scheme Mailroom verifies, by Dovecot's names (case-insensitive). */
const SCHEMES: Record<string, SchemeRule> = {
  PLAIN: plainRule,
  CLEAR: plainRule,
  CLEARTEXT: plainRule,
  SHA: digestRule('sha1', 'base64', 20),
  SHA1: digestRule('sha1', 'base64', 20),
  SHA256: digestRule('sha256', 'base64', 32),
  SHA512: digestRule('sha512', 'base64', 64),
  'PLAIN-MD5': digestRule('md5', 'hex', 16),
  'LDAP-MD5': digestRule('md5', 'base64', 16),
  SSHA: saltedRule('sha1'),
  SSHA256: saltedRule('sha256'),
  SSHA512: saltedRule('sha512'),
  SMD5: saltedRule('md5'),
  'CRAM-MD5': cramRule,
  'HMAC-MD5': cramRule,
  // Dovecot's {MD5}: MD5-crypt when it starts with $1$, else a PLAIN-MD5 digest.
  MD5: cryptRule((text) => (text.startsWith('$1$') ? md5CryptHash(text) : plainMd5(text))),
  'MD5-CRYPT': cryptRule(md5CryptHash),
  'SHA256-CRYPT': cryptRule((text) => (text.startsWith('$5$') ? shaCryptHash(text) : '{SHA256-CRYPT} data must start with $5$.')),
  'SHA512-CRYPT': cryptRule((text) => (text.startsWith('$6$') ? shaCryptHash(text) : '{SHA512-CRYPT} data must start with $6$.')),
  'BLF-CRYPT': cryptRule(bcryptHash),
  ARGON2I: cryptRule((text) => argon2Hash(text, 'argon2i')),
  ARGON2ID: cryptRule((text) => argon2Hash(text, 'argon2id')),
  // crypt(3) as the system's libc does it: the formats above; the 13-character DES one is not.
  CRYPT: cryptRule(cryptHash),
};

/** Dovecot schemes that are known but cannot be checked here, and why. */
const REFUSED: Record<string, string> = {
  'DES-CRYPT': 'traditional DES crypt keeps only 8 characters of a password and is not supported; reset these passwords',
  'DIGEST-MD5': 'a DIGEST-MD5 hash depends on the user name and realm of the old server and is not supported',
  'SCRAM-SHA-1': 'SCRAM keys cannot check a plaintext password',
  'SCRAM-SHA-256': 'SCRAM keys cannot check a plaintext password',
  'PLAIN-MD4': 'MD4 is not supported',
  'PLAIN-TRUNC': 'truncated plaintext passwords are not supported',
  PBKDF2: "Dovecot's PBKDF2 format is not supported",
  OTP: 'one-time password state cannot check a password',
};

/** The schemes importPasswordHash accepts, for messages and documentation. */
export const SUPPORTED_FOREIGN_SCHEMES: readonly string[] = Object.freeze(Object.keys(SCHEMES));

const MAX_STORED_LENGTH = 1024;
const MAX_SCHEME_LENGTH = 40;

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

export interface ForeignHashOptions {
  /**
   * The scheme of data without a `{SCHEME}` prefix: Dovecot's `default_pass_scheme` of the
   * passwd-file it came from (e.g. SHA512-CRYPT, PLAIN). Without it, only bare crypt strings
   * ($1$, $5$, $6$, $2y$, $argon2id$...) are read, as {CRYPT}.
   */
  defaultScheme?: string;
}

/**
 * Parses `{SCHEME}data` as Dovecot's passwd-file holds it (scheme case-insensitive, an optional
 * .B64, .BASE64 or .HEX suffix for the data's encoding), or data without a prefix in
 * `defaultScheme`, or a bare crypt(3) string as {CRYPT}. Never throws.
 */
export function parseForeignHash(input: string, options: ForeignHashOptions = {}): ForeignHashParse {
  const fail = (error: string): ForeignHashParse => ({ ok: false, error });
  if (typeof input !== 'string' || input.length === 0) return fail('the password hash is empty.');
  const { defaultScheme } = options;
  if (defaultScheme !== undefined && !input.startsWith('{')) {
    if (defaultScheme.length === 0 || defaultScheme.length > MAX_SCHEME_LENGTH || defaultScheme.includes('}') || defaultScheme.includes('{')) {
      return fail(`the default scheme '${defaultScheme.slice(0, MAX_SCHEME_LENGTH)}' is not a scheme name.`);
    }
    return parseForeignHash(`{${defaultScheme}}${input}`);
  }
  const text = input;
  if (text.length > MAX_STORED_LENGTH) return fail(`the password hash is longer than ${MAX_STORED_LENGTH} characters.`);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return fail('the password hash contains a space or control character.');
  }
  let schemeText: string;
  let data: string;
  if (text.startsWith('{')) {
    const close = text.indexOf('}');
    if (close < 0 || close > MAX_SCHEME_LENGTH + 1) return fail('the {SCHEME} prefix is not closed.');
    schemeText = text.slice(1, close).toUpperCase();
    data = text.slice(close + 1);
  } else if (text.startsWith('$')) {
    schemeText = 'CRYPT';
    data = text;
  } else {
    return fail(`the password hash has no {SCHEME} prefix (one of ${SUPPORTED_FOREIGN_SCHEMES.map((s) => `{${s}}`).join(', ')}).`);
  }
  const dot = schemeText.lastIndexOf('.');
  const suffix = dot < 0 ? '' : schemeText.slice(dot + 1);
  const scheme = dot < 0 ? schemeText : schemeText.slice(0, dot);
  const forced: Encoding | undefined = suffix === '' ? undefined : suffix === 'HEX' ? 'hex' : suffix === 'B64' || suffix === 'BASE64' ? 'base64' : undefined;
  if (suffix !== '' && !forced) return fail(`{${schemeText}}: the encoding suffix must be .B64, .BASE64 or .HEX.`);
  const rule = SCHEMES[scheme];
  if (!rule) {
    const why = REFUSED[scheme];
    return fail(why ? `{${scheme}}: ${why}.` : `{${scheme}} is not a password scheme Mailroom can verify; supported: ${SUPPORTED_FOREIGN_SCHEMES.map((s) => `{${s}}`).join(', ')}.`);
  }
  const bytes = decodeData(data, forced ?? rule.encoding, forced === undefined ? rule.rawLength : undefined);
  if (typeof bytes === 'string') return fail(`{${schemeText}} data ${bytes}`);
  if (rule.rawLength !== undefined && bytes.length !== rule.rawLength) {
    return fail(`{${schemeText}} data must decode to ${rule.rawLength} bytes (got ${bytes.length}).`);
  }
  const hash = rule.decode(bytes, scheme);
  if (typeof hash === 'string') return fail(hash);
  return { ok: true, value: { scheme, hash, stored: `{${schemeText}}${data}` } };
}

/**
 * Dovecot's password_decode(): the data as it is, base64 or hex. A scheme with a known length
 * and no suffix takes hex when the text is exactly twice that length, base64 otherwise.
 */
function decodeData(data: string, encoding: Encoding, guessLength: number | undefined): Buffer | string {
  if (encoding === 'none') return Buffer.from(data, 'utf8');
  if (encoding === 'hex' || (guessLength !== undefined && data.length === guessLength * 2 && isHex(data))) {
    return isHex(data) && data.length % 2 === 0 ? Buffer.from(data, 'hex') : 'is not valid hex.';
  }
  return decodeBase64(data) ?? 'is not valid base64.';
}

function isHex(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) | 0x20;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64, padding optional; null for any other character or a length no encoder makes. */
function decodeBase64(text: string): Buffer | null {
  let end = text.length;
  while (end > 0 && text[end - 1] === '=' && text.length - end < 2) end--;
  const body = text.slice(0, end);
  if (body.length === 0 || body.length % 4 === 1) return null;
  if (end !== text.length && text.length % 4 !== 0) return null;
  for (let i = 0; i < body.length; i++) if (!BASE64_ALPHABET.includes(body[i]!)) return null;
  return Buffer.from(body, 'base64');
}

function plainMd5(text: string): ForeignHash | string {
  const bytes = decodeData(text, 'hex', 16);
  if (typeof bytes === 'string' || bytes.length !== 16) return '{MD5} data must be $1$ MD5-crypt or a 16-byte MD5 digest.';
  return { kind: 'digest', algorithm: 'md5', digest: bytes };
}

function md5CryptHash(text: string): ForeignHash | string {
  const parsed = parseMd5Crypt(text);
  if (!parsed || parsed.hash === '' || parsed.salt.includes('$')) return 'MD5-crypt data must look like $1$salt$ and 22 hash characters.';
  return { kind: 'md5-crypt', crypt: text };
}

/** glibc accepts up to 999,999,999 rounds; more than this would hold the hash thread for minutes. */
export const MAX_SHA_CRYPT_ROUNDS = 10_000_000;

function shaCryptHash(text: string): ForeignHash | string {
  const parsed = parseShaCrypt(text);
  if (!parsed || parsed.hash === '') return 'SHA-crypt data must look like $6$[rounds=N$]salt$ and the hash characters.';
  if (parsed.rounds > MAX_SHA_CRYPT_ROUNDS) return `SHA-crypt rounds above ${MAX_SHA_CRYPT_ROUNDS} are not supported.`;
  return { kind: 'sha-crypt', crypt: text, rounds: parsed.rounds };
}

/** bcryptjs takes about 2^cost * 0.1 ms; 2^16 is seconds of the hash thread per check. */
export const MAX_BCRYPT_COST = 16;

function bcryptHash(text: string): ForeignHash | string {
  // $2a$, $2b$ (OpenBSD), $2y$ (crypt_blowfish, what Dovecot writes): the same algorithm for
  // every password whose bytes are below 0x80 or that crypt_blowfish's fixed code hashed.
  const minor = text.slice(0, 4);
  const cost = Number(text.slice(4, 6));
  const salted = text.slice(7);
  if ((minor !== '$2a$' && minor !== '$2b$' && minor !== '$2y$') || text[6] !== '$' || text.length !== 60 || !isDigits(text.slice(4, 6)) || !isCryptBase64(salted)) {
    return 'bcrypt data must look like $2y$NN$ and 53 characters of salt and hash.';
  }
  if (cost < 4 || cost > MAX_BCRYPT_COST) return `bcrypt cost ${cost} is outside 4..${MAX_BCRYPT_COST}.`;
  return { kind: 'bcrypt', crypt: text, cost };
}

function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x30 || text.charCodeAt(i) > 0x39) return false;
  return true;
}

/** Argon2 limits: libsodium's "sensitive" memory (1 GiB) is the most a stored hash may ask for. */
export const MAX_ARGON2_MEMORY_KIB = 1024 * 1024;
const MAX_ARGON2_ITERATIONS = 64;
const MAX_ARGON2_PARALLELISM = 16;

/** PHC string `$argon2id$v=19$m=65536,t=3,p=1$salt$hash` (salt and hash base64 without padding). */
function argon2Hash(text: string, kind: 'argon2i' | 'argon2id'): ForeignHash | string {
  const bad = `${kind} data must look like $${kind}$v=19$m=…,t=…,p=…$salt$hash.`;
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== '' || parts[1] !== kind) return bad;
  if (parts[2] !== 'v=19') return `${kind}: only Argon2 version 1.3 (v=19) is supported.`;
  const params = new Map<string, number>();
  for (const item of parts[3]!.split(',')) {
    const eq = item.indexOf('=');
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (eq < 1 || !isDigits(value) || value.length > 10 || params.has(name)) return bad;
    params.set(name, Number(value));
  }
  const memoryKiB = params.get('m');
  const iterations = params.get('t');
  const parallelism = params.get('p');
  if (params.size !== 3 || memoryKiB === undefined || iterations === undefined || parallelism === undefined) return bad;
  if (parallelism < 1 || parallelism > MAX_ARGON2_PARALLELISM) return `${kind}: p must be 1..${MAX_ARGON2_PARALLELISM}.`;
  if (memoryKiB < 8 * parallelism || memoryKiB > MAX_ARGON2_MEMORY_KIB) return `${kind}: m must be ${8 * parallelism}..${MAX_ARGON2_MEMORY_KIB} KiB.`;
  if (iterations < 1 || iterations > MAX_ARGON2_ITERATIONS) return `${kind}: t must be 1..${MAX_ARGON2_ITERATIONS}.`;
  const salt = decodeBase64(parts[4]!);
  const hash = decodeBase64(parts[5]!);
  if (!salt || salt.length < 8 || salt.length > 64 || parts[4]!.includes('=')) return `${kind}: the salt must be 8..64 bytes of base64 without padding.`;
  if (!hash || hash.length < 16 || hash.length > 64 || parts[5]!.includes('=')) return `${kind}: the hash must be 16..64 bytes of base64 without padding.`;
  return { kind, memoryKiB, iterations, parallelism, salt, hash };
}

function cryptHash(text: string): ForeignHash | string {
  if (text.startsWith('$1$')) return md5CryptHash(text);
  if (text.startsWith('$5$') || text.startsWith('$6$')) return shaCryptHash(text);
  if (text.startsWith('$2')) return bcryptHash(text);
  if (text.startsWith('$argon2id$')) return argon2Hash(text, 'argon2id');
  if (text.startsWith('$argon2i$')) return argon2Hash(text, 'argon2i');
  return `{CRYPT}: only $1$, $5$, $6$, $2a$/$2b$/$2y$ and $argon2i$/$argon2id$ strings are supported (traditional DES crypt is not).`;
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/** True for a stored string in the imported `{SCHEME}` form rather than Mailroom's own. */
export function isForeignHash(stored: string): boolean {
  return typeof stored === 'string' && stored.startsWith('{');
}

/** Equal-length comparison in constant time; unequal lengths are simply unequal. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The tail of a crypt string, compared in constant time (the prefix holds only public settings). */
function sameCryptHash(computed: string | Uint8Array, stored: string, tailLength: number): boolean {
  if (typeof computed !== 'string') return false;
  return sameBytes(Buffer.from(computed.slice(-tailLength)), Buffer.from(stored.slice(-tailLength)));
}

/**
 * Checks a password against an imported hash as Dovecot would: the UTF-8 bytes the client sent,
 * without SASLprep (Dovecot hashes what it receives). Never throws: a malformed string or a
 * failed worker means "no".
 */
export async function verifyForeignPassword(password: string, stored: string): Promise<boolean> {
  if (typeof password !== 'string' || password.length === 0) return false;
  const parsed = parseForeignHash(stored);
  if (!parsed.ok) return false;
  const hash = parsed.value.hash;
  const bytes = Buffer.from(password, 'utf8');
  try {
    switch (hash.kind) {
      case 'plain':
        // Digests of both, so the comparison does not reveal the stored password's length.
        return sameBytes(createHash('sha256').update(bytes).digest(), createHash('sha256').update(hash.password).digest());
      case 'digest':
        return sameBytes(createHash(hash.algorithm).update(bytes).digest(), hash.digest);
      case 'salted-digest':
        return sameBytes(createHash(hash.algorithm).update(bytes).update(hash.salt).digest(), hash.digest);
      case 'cram-md5':
        return sameBytes(cramMd5Context(bytes), hash.context);
      case 'md5-crypt':
        return sameCryptHash(await computeSlowHash({ kind: 'md5-crypt', password, setting: hash.crypt }), hash.crypt, 22);
      case 'sha-crypt':
        return sameCryptHash(await computeSlowHash({ kind: 'sha-crypt', password, setting: hash.crypt }), hash.crypt, hash.crypt.startsWith('$5$') ? 43 : 86);
      case 'bcrypt':
        // The last 31 characters are the hash; bcryptjs re-encodes the salt, which may differ in
        // the unused bits of its last character.
        return sameCryptHash(await computeSlowHash({ kind: 'bcrypt', password, setting: hash.crypt.slice(0, 29) }), hash.crypt, 31);
      case 'argon2i':
      case 'argon2id': {
        const computed = await computeSlowHash({
          kind: hash.kind, password, salt: hash.salt, iterations: hash.iterations, memoryKiB: hash.memoryKiB, parallelism: hash.parallelism, hashLength: hash.hash.length,
        });
        return typeof computed !== 'string' && sameBytes(computed, hash.hash);
      }
    }
  } catch {
    return false;
  }
}

/** Checks a password against whatever is stored: Mailroom's scrypt string or an imported hash. */
export function verifyStoredPassword(password: string, stored: string): Promise<boolean> {
  return isForeignHash(stored) ? verifyForeignPassword(password, stored) : verifyPassword(password, stored);
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

/**
 * The credentials to store for an imported hash: the hash as `{SCHEME}data`, and no SCRAM keys
 * (they need the password, so they come with the first logon). Throws ForeignHashError with a
 * message for the administrator when the hash cannot be verified here.
 */
export function foreignCredentials(schemeHash: string, options: ForeignHashOptions = {}): Credentials {
  const parsed = parseForeignHash(schemeHash, options);
  if (!parsed.ok) throw new ForeignHashError(`The password hash cannot be imported: ${parsed.error}`);
  return { passwordHash: parsed.value.stored, scram: null };
}

/**
 * Sets a mailbox's password to a hash from another server, e.g. `{SHA512-CRYPT}$6$...` from a
 * Dovecot passwd-file (`options.defaultScheme` for lines without a prefix). Like a password change, it ends the sessions logged on with the old one.
 * The mailbox is named by id or any identity Get-Mailbox takes.
 */
export async function importPasswordHash(directory: Directory, mailboxId: string, schemeHash: string, options: ForeignHashOptions = {}): Promise<Mailbox> {
  const credentials = foreignCredentials(schemeHash, options);
  const mailbox = await directory.requireMailbox(mailboxId);
  if (mailbox.type !== 'user') throw new ForeignHashError(`${mailbox.name} is a ${mailbox.type} mailbox: it has no logon of its own.`);
  return directory.updateMailbox(mailbox.id, { credentials });
}
