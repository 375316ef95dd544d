// Dovecot's {CRAM-MD5} (alias {HMAC-MD5}) stores no digest of the password but the HMAC-MD5
// "context" of RFC 2095 §3 / RFC 2104: the MD5 state after the first block of the outer and of
// the inner hash, whose key is the password. Checking a plaintext password means computing that
// state, which node:crypto does not expose, so the one MD5 block step (RFC 1321 §3.4) is here.
// Pure.
import { createHash } from 'node:crypto';

const SHIFTS = [
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];

// RFC 1321 §3.4: T[i] = floor(2^32 * abs(sin(i + 1))).
const T = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);

const MD5_INITIAL_STATE: readonly number[] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

/** One MD5 compression of a 64-byte block into a copy of `state`. */
function md5Block(state: readonly number[], block: Buffer): number[] {
  let [a, b, c, d] = state as [number, number, number, number];
  for (let i = 0; i < 64; i++) {
    let f: number;
    let g: number;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) % 16;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) % 16;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) % 16;
    }
    const sum = (a + f + T[i]! + block.readUInt32LE(g * 4)) >>> 0;
    a = d;
    d = c;
    c = b;
    b = (b + ((sum << SHIFTS[i]!) | (sum >>> (32 - SHIFTS[i]!)))) >>> 0;
  }
  return [(state[0]! + a) >>> 0, (state[1]! + b) >>> 0, (state[2]! + c) >>> 0, (state[3]! + d) >>> 0];
}

/** The 32-byte context Dovecot stores: outer state then inner state, each word little-endian. */
export function cramMd5Context(password: Buffer): Buffer {
  // RFC 2104 §2: a key longer than the block is replaced by its hash.
  const key = Buffer.alloc(64);
  (password.length > 64 ? createHash('md5').update(password).digest() : password).copy(key);
  const inner = md5Block(MD5_INITIAL_STATE, Buffer.from(key.map((x) => x ^ 0x36)));
  const outer = md5Block(MD5_INITIAL_STATE, Buffer.from(key.map((x) => x ^ 0x5c)));
  const out = Buffer.alloc(32);
  [...outer, ...inner].forEach((word, i) => out.writeUInt32LE(word, i * 4));
  return out;
}
