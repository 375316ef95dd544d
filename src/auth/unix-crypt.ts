// The crypt(3) formats Dovecot stores as {SHA512-CRYPT}, {SHA256-CRYPT} and {MD5-CRYPT}:
// glibc's SHA-crypt ($6$, $5$; Ulrich Drepper, "Unix crypt using SHA-256 and SHA-512", 2008)
// and Poul-Henning Kamp's MD5-crypt ($1$, FreeBSD 1994). Pure: a setting string and password
// bytes in, the full crypt string out. Only the verifier of imported hashes uses them; new
// hashes are always scrypt.
import { createHash } from 'node:crypto';

/** crypt(3)'s own base64 alphabet: "./0-9A-Za-z", least significant 6 bits first. */
const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function to64(value: number, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) {
    out += CRYPT_ALPHABET[value & 0x3f];
    value >>>= 6;
  }
  return out;
}

/** True when every character is one crypt(3)'s base64 alphabet has. */
export function isCryptBase64(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!CRYPT_ALPHABET.includes(text[i]!)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// SHA-crypt ($5$, $6$)
// ---------------------------------------------------------------------------------------------

export type ShaCryptAlgorithm = 'sha256' | 'sha512';

/** Parsed `$5$[rounds=N$]salt$hash` or `$6$...`. */
export interface ShaCryptSetting {
  algorithm: ShaCryptAlgorithm;
  /** The rounds the hash was made with, after glibc's clamping to 1000..999,999,999. */
  rounds: number;
  /** Whether the string spells out rounds= (then the output does too, even for 5000). */
  roundsGiven: boolean;
  /** At most 16 characters. */
  salt: string;
  /** The encoded hash (43 characters for $5$, 86 for $6$), or '' in a bare setting. */
  hash: string;
}

export const SHA_CRYPT_DEFAULT_ROUNDS = 5000;
const SHA_CRYPT_MIN_ROUNDS = 1000;
const SHA_CRYPT_MAX_ROUNDS = 999_999_999;
const SHA_CRYPT_MAX_SALT = 16;
const SHA_CRYPT_HASH_CHARS = { sha256: 43, sha512: 86 } as const;

/**
 * Parses a SHA-crypt string or setting. As glibc does, rounds below 1000 count as 1000 and a
 * salt longer than 16 characters is cut at 16; null for anything that is not this format.
 */
export function parseShaCrypt(text: string): ShaCryptSetting | null {
  const algorithm = text.startsWith('$5$') ? 'sha256' : text.startsWith('$6$') ? 'sha512' : null;
  if (!algorithm) return null;
  let rest = text.slice(3);
  let rounds = SHA_CRYPT_DEFAULT_ROUNDS;
  let roundsGiven = false;
  if (rest.startsWith('rounds=')) {
    const end = rest.indexOf('$');
    const digits = rest.slice(7, end < 0 ? undefined : end);
    if (end < 0 || digits.length === 0 || digits.length > 10 || !isDigits(digits)) return null;
    rounds = Math.min(SHA_CRYPT_MAX_ROUNDS, Math.max(SHA_CRYPT_MIN_ROUNDS, Number(digits)));
    roundsGiven = true;
    rest = rest.slice(end + 1);
  }
  const dollar = rest.indexOf('$');
  const rawSalt = dollar < 0 ? rest : rest.slice(0, dollar);
  const hash = dollar < 0 ? '' : rest.slice(dollar + 1);
  // glibc takes the salt up to the next '$' and at most 16 characters of it.
  const salt = rawSalt.slice(0, SHA_CRYPT_MAX_SALT);
  if (rawSalt.length > SHA_CRYPT_MAX_SALT && dollar >= 0) return null; // a stored hash always has the cut salt
  if (salt.includes('\n') || salt.includes(':')) return null;
  if (hash !== '' && (hash.length !== SHA_CRYPT_HASH_CHARS[algorithm] || !isCryptBase64(hash))) return null;
  return { algorithm, rounds, roundsGiven, salt, hash };
}

function isDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** The byte order of the final base64 step (Drepper's specification, steps 22e and 22f). */
const SHA256_ORDER: ReadonlyArray<readonly [number, number, number]> = [
  [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14],
  [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29],
];
const SHA512_ORDER: ReadonlyArray<readonly [number, number, number]> = Array.from({ length: 21 }, (_, i) => {
  const [a, b, c] = [i, i + 21, i + 42];
  return i % 3 === 0 ? [a, b, c] as const : i % 3 === 1 ? [b, c, a] as const : [c, a, b] as const;
});

/** Bytes of `source` repeated to `length` bytes (steps 16 and 20). */
function repeatTo(source: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += source.length) source.copy(out, i, 0, Math.min(source.length, length - i));
  return out;
}

/**
 * Steps 1-21 of the specification: the digest after the rounds. `yieldEvery` rounds it waits
 * for the event loop, so a hash with a million rounds does not stall other work on its thread.
 */
async function shaCryptDigest(password: Buffer, setting: ShaCryptSetting, yieldEvery: number): Promise<Buffer> {
  const { algorithm, rounds } = setting;
  const salt = Buffer.from(setting.salt, 'utf8');
  const size = algorithm === 'sha256' ? 32 : 64;
  const h = () => createHash(algorithm);
  // Steps 4-8: digest B = H(P S P).
  const b = h().update(password).update(salt).update(password).digest();
  // Steps 1-3, 9-12: digest A.
  const a = h().update(password).update(salt);
  let n = password.length;
  for (; n > size; n -= size) a.update(b);
  a.update(b.subarray(0, n));
  for (let bits = password.length; bits > 0; bits >>>= 1) a.update(bits & 1 ? b : password);
  let c = a.digest();
  // Steps 13-16: P sequence from DP = H(P repeated len(P) times).
  const dp = h();
  for (let i = 0; i < password.length; i++) dp.update(password);
  const p = repeatTo(dp.digest(), password.length);
  // Steps 17-20: S sequence from DS = H(S repeated 16 + A[0] times).
  const ds = h();
  for (let i = 0; i < 16 + c[0]!; i++) ds.update(salt);
  const s = repeatTo(ds.digest(), salt.length);
  // Step 21: the rounds.
  for (let i = 0; i < rounds; i++) {
    const round = h();
    round.update(i & 1 ? p : c);
    if (i % 3 !== 0) round.update(s);
    if (i % 7 !== 0) round.update(p);
    round.update(i & 1 ? c : p);
    c = round.digest();
    if (yieldEvery > 0 && i % yieldEvery === yieldEvery - 1) await new Promise((resolve) => setImmediate(resolve));
  }
  return c;
}

/**
 * crypt(password, setting) for $5$ and $6$: the whole string, `$6$[rounds=N$]salt$hash`.
 * Throws on a setting parseShaCrypt refuses.
 */
export async function shaCrypt(password: Buffer, settingText: string, options: { yieldEvery?: number } = {}): Promise<string> {
  const setting = parseShaCrypt(settingText);
  if (!setting) throw new TypeError('not a SHA-crypt setting');
  const digest = await shaCryptDigest(password, setting, options.yieldEvery ?? 10_000);
  let encoded = '';
  if (setting.algorithm === 'sha256') {
    for (const [x, y, z] of SHA256_ORDER) encoded += to64((digest[x]! << 16) | (digest[y]! << 8) | digest[z]!, 4);
    encoded += to64((digest[31]! << 8) | digest[30]!, 3);
  } else {
    for (const [x, y, z] of SHA512_ORDER) encoded += to64((digest[x]! << 16) | (digest[y]! << 8) | digest[z]!, 4);
    encoded += to64(digest[63]!, 2);
  }
  const prefix = setting.algorithm === 'sha256' ? '$5$' : '$6$';
  const rounds = setting.roundsGiven ? `rounds=${setting.rounds}$` : '';
  return `${prefix}${rounds}${setting.salt}$${encoded}`;
}

// ---------------------------------------------------------------------------------------------
// MD5-crypt ($1$)
// ---------------------------------------------------------------------------------------------

export interface Md5CryptSetting {
  /** At most 8 characters. */
  salt: string;
  /** 22 characters, or '' in a bare setting. */
  hash: string;
}

/** Parses `$1$salt$hash` (salt up to 8 characters, as in FreeBSD's and glibc's crypt). */
export function parseMd5Crypt(text: string): Md5CryptSetting | null {
  if (!text.startsWith('$1$')) return null;
  const rest = text.slice(3);
  const dollar = rest.indexOf('$');
  const rawSalt = dollar < 0 ? rest : rest.slice(0, dollar);
  const hash = dollar < 0 ? '' : rest.slice(dollar + 1);
  if (rawSalt.length > 8 && dollar >= 0) return null;
  const salt = rawSalt.slice(0, 8);
  if (hash !== '' && (hash.length !== 22 || !isCryptBase64(hash))) return null;
  return { salt, hash };
}

/** crypt(password, "$1$salt"): the whole `$1$salt$hash` string. 1000 MD5 rounds, always. */
export function md5Crypt(password: Buffer, settingText: string): string {
  const setting = parseMd5Crypt(settingText);
  if (!setting) throw new TypeError('not an MD5-crypt setting');
  const salt = Buffer.from(setting.salt, 'utf8');
  const md5 = () => createHash('md5');
  const alternate = md5().update(password).update(salt).update(password).digest();
  const ctx = md5().update(password).update('$1$').update(salt);
  for (let n = password.length; n > 0; n -= 16) ctx.update(alternate.subarray(0, Math.min(16, n)));
  // Kamp's quirk: a zero byte for a set bit, the first password byte for a clear one.
  for (let bits = password.length; bits > 0; bits >>>= 1) ctx.update(bits & 1 ? Buffer.alloc(1) : password.subarray(0, 1));
  let f = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const round = md5();
    round.update(i & 1 ? password : f);
    if (i % 3 !== 0) round.update(salt);
    if (i % 7 !== 0) round.update(password);
    round.update(i & 1 ? f : password);
    f = round.digest();
  }
  let encoded = '';
  for (const [x, y, z] of [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]] as const) {
    encoded += to64((f[x]! << 16) | (f[y]! << 8) | f[z]!, 4);
  }
  encoded += to64(f[11]!, 2);
  return `$1$${setting.salt}$${encoded}`;
}
