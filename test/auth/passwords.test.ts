import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  deriveScramCredentials,
  formatScramCredentials,
  DEFAULT_PASSWORD_COST,
  hashConcurrency,
  hashPassword,
  hashWork,
  needsRehash,
  normalizePassword,
  parseScramCredentials,
  parseScryptPhc,
  scramCredentials,
  scramNeedsRehash,
  VerificationCache,
  verifyPassword,
  verifyPasswordCached,
} from '../../src/auth/passwords.ts';

// Cheap parameters for tests that are about the format or the cache, not the cost.
const FAST = { ln: 4, r: 8, p: 1 };

test('hashPassword output is a PHC scrypt string at the default cost, and verifies', async () => {
  const phc = await hashPassword('correct horse battery staple');
  // OWASP Password Storage Cheat Sheet's minimum: N = 2^17, r = 8, p = 1.
  assert.match(phc, /^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  const parsed = parseScryptPhc(phc);
  assert.equal(parsed?.salt.length, 16);
  assert.equal(parsed?.hash.length, 32);
  assert.equal(await verifyPassword('correct horse battery staple', phc), true);
  assert.equal(await verifyPassword('correct horse battery stapler', phc), false);
  assert.equal(needsRehash(phc), false);
});

test('two hashes of one password differ (random salt)', async () => {
  const [a, b] = await Promise.all([hashPassword('pw', FAST), hashPassword('pw', FAST)]);
  assert.notEqual(a, b);
});

test('passwords are SASLprep-normalised before hashing', async () => {
  assert.equal(normalizePassword('I\u00adX'), 'IX'); // soft hyphen maps to nothing (RFC 4013 §3)
  assert.equal(normalizePassword('\u2168'), 'IX'); // NFKC: ROMAN NUMERAL NINE
  assert.equal(normalizePassword('a\u0007b'), 'a\u0007b'); // prohibited: used unprepared
  assert.equal(normalizePassword('пароль😀'), 'пароль😀'); // "unassigned" in Unicode 3.2: allowed
  const phc = await hashPassword('I\u00adX', FAST);
  assert.equal(await verifyPassword('IX', phc), true);
  const composed = await hashPassword('caf\u00e9', FAST);
  assert.equal(await verifyPassword('cafe\u0301', composed), true);
});

test('empty passwords are refused by hashPassword and never verify', async () => {
  await assert.rejects(hashPassword(''), RangeError);
  await assert.rejects(hashPassword('\u00ad'), RangeError);
  await assert.rejects(hashPassword('x', { ln: 40 }), RangeError);
  const phc = await hashPassword('x', FAST);
  assert.equal(await verifyPassword('', phc), false);
});

test('verifyPassword returns false, never throws, on malformed or foreign hashes', async () => {
  const good = await hashPassword('pw', FAST);
  const [, , params, salt, hash] = good.split('$') as [string, string, string, string, string];
  const rows: [string, string][] = [
    ['empty', ''],
    ['garbage', 'not a hash'],
    ['truncated', '$scrypt$'],
    ['missing hash', `$scrypt$${params}$${salt}`],
    ['extra field', `${good}$x`],
    ['empty salt', `$scrypt$${params}$$${hash}`],
    ['padded base64', `$scrypt$${params}$${salt}==$${hash}`],
    ['base64url alphabet', `$scrypt$${params}$${salt.replace(/[+/]/g, '-')}A-_$${hash}`],
    ['non-canonical base64 tail', `$scrypt$${params}$${salt.slice(0, -1)}B$${hash}`],
    ['params reordered', `$scrypt$r=8,ln=4,p=1$${salt}$${hash}`],
    ['ln missing', `$scrypt$r=8,p=1$${salt}$${hash}`],
    ['ln zero', `$scrypt$ln=0,r=8,p=1$${salt}$${hash}`],
    ['r zero', `$scrypt$ln=4,r=0,p=1$${salt}$${hash}`],
    ['leading zero', `$scrypt$ln=04,r=8,p=1$${salt}$${hash}`],
    ['memory over the limit', `$scrypt$ln=20,r=8,p=1$${salt}$${hash}`],
    ['short salt', `$scrypt$${params}$AAAA$${hash}`],
    ['short hash', `$scrypt$${params}$${salt}$AAAAAAAA`],
    ['upper-case id', good.replace('$scrypt$', '$SCRYPT$')],
    ['argon2id', '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'],
    ['bcrypt', '$2y$10$abcdefghijklmnopqrstuuD6j6y3A4u0dAmS9zvS/7Y0i8N2xmLaO'],
    ['SCRAM string', 'SCRAM-SHA-256$4096:c2FsdHNhbHQ=$AAAA:AAAA'],
  ];
  for (const [name, phc] of rows) {
    assert.equal(await verifyPassword('pw', phc), false, name);
    assert.equal(parseScryptPhc(phc), null, name);
    assert.equal(needsRehash(phc), true, name);
  }
  assert.equal(await verifyPassword(undefined as unknown as string, good), false);
  assert.equal(await verifyPassword('pw', good), true);
});

test('needsRehash flags another cost than the organization\'s, other parameters and short salts', async () => {
  const salt16 = Buffer.alloc(16, 1).toString('base64').replace(/=+$/, '');
  const salt8 = Buffer.alloc(8, 1).toString('base64').replace(/=+$/, '');
  const hash32 = Buffer.alloc(32, 2).toString('base64').replace(/=+$/, '');
  const hash16 = Buffer.alloc(16, 2).toString('base64').replace(/=+$/, '');
  assert.equal(needsRehash(`$scrypt$ln=17,r=8,p=1$${salt16}$${hash32}`), false);
  assert.equal(needsRehash(`$scrypt$ln=15,r=8,p=1$${salt16}$${hash32}`), true); // the old default
  assert.equal(needsRehash(`$scrypt$ln=15,r=8,p=1$${salt16}$${hash32}`, { scryptLn: 15 }), false);
  // Either way: an administrator who lowers the cost (tests do) means it.
  assert.equal(needsRehash(`$scrypt$ln=16,r=8,p=1$${salt16}$${hash32}`, { scryptLn: 15 }), true);
  assert.equal(needsRehash(`$scrypt$ln=14,r=8,p=1$${salt16}$${hash32}`, { scryptLn: 15 }), true);
  assert.equal(needsRehash(`$scrypt$ln=17,r=4,p=1$${salt16}$${hash32}`), true);
  assert.equal(needsRehash(`$scrypt$ln=17,r=8,p=2$${salt16}$${hash32}`), true);
  assert.equal(needsRehash(`$scrypt$ln=17,r=8,p=1$${salt8}$${hash32}`), true);
  assert.equal(needsRehash(`$scrypt$ln=17,r=8,p=1$${salt16}$${hash16}`), true);
  assert.equal(needsRehash('$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'), true);
});

test('scramNeedsRehash flags missing keys and another iteration count', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const salt = Buffer.alloc(16, 3).toString('base64');
  assert.equal(scramNeedsRehash(`SCRAM-SHA-256$600000:${salt}$${key}:${key}`), false);
  assert.equal(scramNeedsRehash(`SCRAM-SHA-256$4096:${salt}$${key}:${key}`), true);
  assert.equal(scramNeedsRehash(`SCRAM-SHA-256$4096:${salt}$${key}:${key}`, { scramIterations: 4096 }), false);
  assert.equal(scramNeedsRehash(null), true);
  assert.equal(scramNeedsRehash('garbage'), true);
});

test('the default cost is OWASP\'s: scrypt 2^17 and PBKDF2-HMAC-SHA256 600,000', () => {
  assert.deepEqual({ ...DEFAULT_PASSWORD_COST }, { scryptLn: 17, scramIterations: 600_000 });
});

test('hash work is sized to leave two of libuv\'s pool threads free, and to the cores', () => {
  assert.equal(hashConcurrency(4, 2), 2);
  assert.equal(hashConcurrency(4, 16), 2);
  assert.equal(hashConcurrency(16, 4), 4);
  assert.equal(hashConcurrency(3, 8), 1);
  assert.equal(hashConcurrency(1, 8), 1);
});

test('no more hashes run at once than the slots allow, however many are asked for', async () => {
  const { size } = hashWork();
  let peak = 0;
  const probe = setInterval(() => { peak = Math.max(peak, hashWork().active); }, 1);
  try {
    const hashes = Array.from({ length: size * 4 }, (_, i) => hashPassword(`pw-${i}`, { ln: 12 }));
    // All were asked for at once: the ones past the slots wait in line.
    assert.equal(hashWork().active, size);
    assert.equal(hashWork().waiting, size * 3);
    await Promise.all(hashes);
  } finally {
    clearInterval(probe);
  }
  assert.ok(peak <= size, `peak ${peak} > ${size}`);
  assert.deepEqual({ active: hashWork().active, waiting: hashWork().waiting }, { active: 0, waiting: 0 });
});

test('VerificationCache expires entries after the TTL and keys on hash and password', () => {
  let now = 1_000;
  const cache = new VerificationCache({ ttlMs: 60_000, now: () => now });
  cache.add('$scrypt$a', 'pw');
  assert.equal(cache.has('$scrypt$a', 'pw'), true);
  assert.equal(cache.has('$scrypt$a', 'pw2'), false);
  assert.equal(cache.has('$scrypt$b', 'pw'), false); // password changed: new PHC string
  // The length prefix keeps ("ab", "c") and ("a", "bc") apart.
  cache.add('ab', 'c');
  assert.equal(cache.has('a', 'bc'), false);
  now += 59_999;
  assert.equal(cache.has('$scrypt$a', 'pw'), true);
  now += 1;
  assert.equal(cache.has('$scrypt$a', 'pw'), false);
  cache.clear();
  assert.equal(cache.size, 0);
});

test('VerificationCache is bounded and evicts the oldest entries first', () => {
  let now = 0;
  const cache = new VerificationCache({ maxEntries: 3, now: () => now });
  for (const pw of ['a', 'b', 'c', 'd']) {
    cache.add('phc', pw);
    now += 1;
  }
  assert.equal(cache.size, 3);
  assert.equal(cache.has('phc', 'a'), false);
  assert.equal(cache.has('phc', 'd'), true);
  // Refreshing "b" makes "c" the oldest.
  cache.add('phc', 'b');
  cache.add('phc', 'e');
  assert.equal(cache.has('phc', 'c'), false);
  assert.equal(cache.has('phc', 'b'), true);
  // Adding after the TTL sweeps everything expired at the front.
  now += 120_000;
  cache.add('phc', 'f');
  assert.equal(cache.size, 1);
});

test('verifyPasswordCached caches successes only', async () => {
  const cache = new VerificationCache();
  const phc = await hashPassword('secret', FAST);
  assert.equal(await verifyPasswordCached('wrong', phc, cache), false);
  assert.equal(cache.size, 0);
  assert.equal(await verifyPasswordCached('secret', phc, cache), true);
  assert.equal(cache.size, 1);
  assert.equal(cache.has(phc, 'secret'), true);
  // A hit answers without running scrypt at all: an entry planted for a string that is not
  // even a valid hash is still honoured, which only the cache could do.
  cache.add('$not-a-hash$', 'x');
  assert.equal(await verifyPasswordCached('x', '$not-a-hash$', cache), true);
  assert.equal(await verifyPassword('x', '$not-a-hash$'), false);
});

test('SCRAM credentials reproduce RFC 7677 §3 and round-trip through RFC 5803 text', async () => {
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  const text = await scramCredentials('pencil', 4096, salt);
  const parsed = parseScramCredentials(text);
  assert.ok(parsed);
  assert.equal(parsed.iterations, 4096);
  assert.deepEqual(parsed.salt, salt);
  // StoredKey/ServerKey for "pencil" with the RFC 7677 salt, the values other SCRAM servers store.
  assert.equal(text, 'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=');
  assert.equal(formatScramCredentials(parsed), text);
  const derived = await deriveScramCredentials('pencil', 4096, salt);
  assert.deepEqual(derived, parsed);

  const fresh = parseScramCredentials(await scramCredentials('pencil'));
  assert.equal(fresh?.iterations, 600_000);
  assert.equal(fresh?.salt.length, 16);
  await assert.rejects(scramCredentials('pencil', 1000), RangeError);
  await assert.rejects(scramCredentials(''), RangeError);
});

test('parseScramCredentials rejects malformed text', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const salt = Buffer.alloc(16, 3).toString('base64');
  assert.ok(parseScramCredentials(`SCRAM-SHA-256$4096:${salt}$${key}:${key}`));
  const rows = [
    '',
    'SCRAM-SHA-256$',
    `SCRAM-SHA-1$4096:${salt}$${key}:${key}`,
    `scram-sha-256$4096:${salt}$${key}:${key}`,
    `SCRAM-SHA-256$0:${salt}$${key}:${key}`,
    `SCRAM-SHA-256$-1:${salt}$${key}:${key}`,
    `SCRAM-SHA-256$04096:${salt}$${key}:${key}`,
    `SCRAM-SHA-256$99999999:${salt}$${key}:${key}`,
    `SCRAM-SHA-256$4096:$${key}:${key}`,
    `SCRAM-SHA-256$4096:${salt}$${key}`,
    `SCRAM-SHA-256$4096:${salt}$${key}:${key}:${key}`,
    `SCRAM-SHA-256$4096:${salt}$${key.slice(4)}:${key}`,
    `SCRAM-SHA-256$4096:${salt.replace(/=+$/, '')}$${key}:${key}`,
    `SCRAM-SHA-256$4096:${salt}$${key}:${key}\n`,
    `SCRAM-SHA-256$4096:AAAA$${key}:${key}`,
  ];
  for (const row of rows) assert.equal(parseScramCredentials(row), null, JSON.stringify(row));
});

test('concurrent checks of one password share a single scrypt', async () => {
  const { VerificationCache, hashPassword, verifyPasswordCached } = await import('../../src/auth/passwords.ts');
  const phc = await hashPassword('Shared-Check-2026', { ln: 10 });
  const cache = new VerificationCache();
  let runs = 0;
  const started = await Promise.all(Array.from({ length: 8 }, () => cache.shared(phc, 'Shared-Check-2026', async () => { runs++; await new Promise((r) => setTimeout(r, 20)); return true; })));
  assert.deepEqual(started, Array(8).fill(true));
  assert.equal(runs, 1);
  // Through the public path: eight logons at once, every answer right, wrong ones still wrong.
  const results = await Promise.all([...Array(8).fill('Shared-Check-2026'), 'wrong'].map((pw) => verifyPasswordCached(pw, phc, new VerificationCache())));
  assert.deepEqual(results, [...Array(8).fill(true), false]);
});
