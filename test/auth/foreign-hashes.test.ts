// Imported password hashes (Dovecot's passwd-file schemes): fixed vectors from `doveadm pw`
// and from the crypt specifications, vectors made by Dovecot's own doveadm at run time for
// seeded random passwords, the refusals, and the parser's promise never to throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  foreignCredentials, ForeignHashError, parseForeignHash, SUPPORTED_FOREIGN_SCHEMES, verifyForeignPassword, verifyStoredPassword,
} from '../../src/auth/foreign-hashes.ts';
import { cramMd5Context } from '../../src/auth/cram-md5-context.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { md5Crypt, shaCrypt } from '../../src/auth/unix-crypt.ts';
import { pick, prng, randomInt } from '../support/random.ts';

const PASSWORD = 'pässword1';

/** Made once with `doveadm pw -s SCHEME -p 'pässword1'` (Dovecot 2.3, Debian). */
const DOVEADM_VECTORS: readonly string[] = [
  '{SHA512-CRYPT}$6$tmMFrp4rGP7544HE$mfPRDI/vOd39v6GZqNYGKZjhBZukRFhmm6KP.tZjb7ORmajaQElgV/Rt2cmJidoXAM7PZyQzhp.27HaMDyuQg.',
  '{SHA256-CRYPT}$5$l2pzEI5KMLYwsTAf$hx/AvM09A1Jcaf5fjjLvMiRfeDSInAuWd4QlYf/YtV1',
  '{BLF-CRYPT}$2y$05$UmBsuEIbMjCYTdJ602RRyeIxgNsjGMHMESsOySiQKW489JIms/GQq',
  '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$2kzc/WOD0WPcGnSXeVbVOw$T9PW/Dk2OAkjPgjb52+wpmEmCKmJvZOpPo1lDF0LRBo',
  '{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$sGclOrqKxVlRy36QgnKaGA$CzxXBYdr1y4fuOs557saPB3V0MNQbQiL4IR3imyTofk',
  '{SSHA512}9fLTKr3kfjeZJ4xVWvGJ7QXauwVlYSNDI9sVGb/T70eSQt/vKvjP+gcI4zZPMXJTYKRRjlosyNHvm9xewW8UwPhCc3o=',
  '{SSHA}8PQTOku8ot8U3KVGXrUcDkM5RNuqxOSM',
  '{SHA512}vd5c8rhqp18tiTFTsVPzl2sZTr5XaoM3aTqG8DRnIm9/PRmpbxURtsPJCMQtVmtV/NufAuGRhdPJ1hzTmXw0XA==',
  '{SHA256}y0poVvuLJsIjTKtWRmm0QV1goaYnnL5qImilSoVsRqI=',
  '{SHA}nGKqSw5rZLlGmAU2eg7o7K29zF8=',
  '{PLAIN}pässword1',
  '{CRAM-MD5}a5eef4acb75eee9d8b3c011a3e0e2a08b8f5d46cce893eedfe96577e5ab45788',
  '{MD5-CRYPT}$1$g0jOHoJ8$mexPcsVxJpbYZN/raZckK0',
  '{PLAIN-MD5}1a9b2eec2b53a921b43fcf4968ae7be5',
];

/** The same data in the other encodings Dovecot reads: .HEX and .B64 suffixes, hex guessed by length. */
const ENCODED_VECTORS: readonly string[] = [
  `{SHA256.HEX}${Buffer.from('y0poVvuLJsIjTKtWRmm0QV1goaYnnL5qImilSoVsRqI=', 'base64').toString('hex')}`,
  `{SHA256}${Buffer.from('y0poVvuLJsIjTKtWRmm0QV1goaYnnL5qImilSoVsRqI=', 'base64').toString('hex')}`,
  `{sha.hex}${Buffer.from('nGKqSw5rZLlGmAU2eg7o7K29zF8=', 'base64').toString('hex').toUpperCase()}`,
  `{SSHA.HEX}${Buffer.from('8PQTOku8ot8U3KVGXrUcDkM5RNuqxOSM', 'base64').toString('hex')}`,
  `{PLAIN.B64}${Buffer.from(PASSWORD).toString('base64')}`,
  `{CLEARTEXT.BASE64}${Buffer.from(PASSWORD).toString('base64')}`,
  `{PLAIN.HEX}${Buffer.from(PASSWORD).toString('hex')}`,
  `{CRAM-MD5.B64}${Buffer.from('a5eef4acb75eee9d8b3c011a3e0e2a08b8f5d46cce893eedfe96577e5ab45788', 'hex').toString('base64')}`,
  `{SHA512-CRYPT.B64}${Buffer.from('$6$tmMFrp4rGP7544HE$mfPRDI/vOd39v6GZqNYGKZjhBZukRFhmm6KP.tZjb7ORmajaQElgV/Rt2cmJidoXAM7PZyQzhp.27HaMDyuQg.').toString('base64')}`,
  // Bare crypt strings count as {CRYPT}, as in /etc/shadow or a passwd-file with default_pass_scheme = CRYPT.
  '$6$tmMFrp4rGP7544HE$mfPRDI/vOd39v6GZqNYGKZjhBZukRFhmm6KP.tZjb7ORmajaQElgV/Rt2cmJidoXAM7PZyQzhp.27HaMDyuQg.',
  '{CRYPT}$2y$05$UmBsuEIbMjCYTdJ602RRyeIxgNsjGMHMESsOySiQKW489JIms/GQq',
  '{MD5}$1$g0jOHoJ8$mexPcsVxJpbYZN/raZckK0',
  '{MD5}1a9b2eec2b53a921b43fcf4968ae7be5',
];

for (const vector of [...DOVEADM_VECTORS, ...ENCODED_VECTORS]) {
  test(`fixed vector ${vector.slice(0, 28)}…: the password verifies, a near miss does not`, async () => {
    const parsed = parseForeignHash(vector);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    assert.equal(await verifyForeignPassword(PASSWORD, parsed.value.stored), true);
    assert.equal(await verifyForeignPassword('pässword2', parsed.value.stored), false);
    assert.equal(await verifyForeignPassword('passwörd1'.normalize('NFD'), parsed.value.stored), false);
    assert.equal(await verifyForeignPassword('', parsed.value.stored), false);
  });
}

test('SHA-crypt: the test vectors of Drepper\'s specification, rounds clamped at 1000', async () => {
  const vectors = [
    ['Hello world!', '$5$rounds=10000$saltstringsaltstring', '$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA'],
    ['Hello world!', '$6$saltstring', '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1'],
    ['Hello world!', '$6$rounds=10000$saltstringsaltstring', '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.'],
    ['the minimum number is still observed', '$6$rounds=10$roundstoolow', '$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.'],
    ['the minimum number is still observed', '$5$rounds=10$roundstoolow', '$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC'],
  ] as const;
  for (const [password, setting, expected] of vectors) assert.equal(await shaCrypt(Buffer.from(password), setting), expected);
});

test('CRAM-MD5 context of a password longer than the HMAC block (the key is hashed first)', () => {
  // doveadm pw -s CRAM-MD5 -p "$(printf 'x%.0s' {1..100})"
  assert.equal(cramMd5Context(Buffer.from('x'.repeat(100))).toString('hex'), '52197db948d0932512a61b183e7d05b04e94d60a3bb0d00f92d3df52a5d275ca');
});

test('refused at import, with a message naming the problem', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['secret', /no \{SCHEME\} prefix/],
    ['{NTLM}8846F7EAEE8FB117AD06BDD830B7586C', /not a password scheme Mailroom can verify/],
    ['{DES-CRYPT}abJnggxhB/yWI', /DES/],
    ['{CRYPT}abJnggxhB/yWI', /DES crypt is not/],
    ['{DIGEST-MD5}0123456789abcdef0123456789abcdef', /user name and realm/],
    ['{SCRAM-SHA-256}4096,c2FsdA==,a,b', /SCRAM/],
    ['{PLAIN}', /empty password/],
    ['{PLAIN} spaced', /space or control/],
    ['{SHA}nGKqSw5rZLlGmAU2eg7o7K29zA', /20 bytes/],
    ['{SHA}nGKqSw5rZLlGmAU2eg7o7K29zF8=x', /base64/],
    ['{SHA256}y0poVvuLJsIjTKtWRmm0QV1goaYnnL5qImilSoVsRq', /32 bytes/],
    ['{SHA.XYZ}abcd', /encoding suffix/],
    ['{SHA.HEX}zz', /hex/],
    ['{SSHA}nGKqSw5rZLlGmAU2eg7o7K29zF8=', /digest followed by a salt/],
    ['{SHA512-CRYPT}$5$l2pzEI5KMLYwsTAf$hx/AvM09A1Jcaf5fjjLvMiRfeDSInAuWd4QlYf/YtV1', /must start with \$6\$/],
    ['{SHA512-CRYPT}$6$rounds=99999999$salt$mfPRDI/vOd39v6GZqNYGKZjhBZukRFhmm6KP.tZjb7ORmajaQElgV/Rt2cmJidoXAM7PZyQzhp.27HaMDyuQg.', /rounds above/],
    ['{SHA512-CRYPT}$6$salt$short', /SHA-crypt data/],
    ['{BLF-CRYPT}$2y$31$UmBsuEIbMjCYTdJ602RRyeIxgNsjGMHMESsOySiQKW489JIms/GQq', /cost 31/],
    ['{BLF-CRYPT}$2x$05$UmBsuEIbMjCYTdJ602RRyeIxgNsjGMHMESsOySiQKW489JIms/GQq', /bcrypt data/],
    ['{ARGON2ID}$argon2id$v=16$m=65536,t=3,p=1$2kzc/WOD0WPcGnSXeVbVOw$T9PW/Dk2OAkjPgjb52+wpmEmCKmJvZOpPo1lDF0LRBo', /v=19/],
    ['{ARGON2ID}$argon2id$v=19$m=4194304,t=3,p=1$2kzc/WOD0WPcGnSXeVbVOw$T9PW/Dk2OAkjPgjb52+wpmEmCKmJvZOpPo1lDF0LRBo', /m must be/],
    ['{ARGON2I}$argon2id$v=19$m=65536,t=3,p=1$2kzc/WOD0WPcGnSXeVbVOw$T9PW/Dk2OAkjPgjb52+wpmEmCKmJvZOpPo1lDF0LRBo', /argon2i data/],
    ['{CRAM-MD5}a5eef4acb75eee9d', /32 bytes|hex/],
    [`{PLAIN}${'x'.repeat(2000)}`, /longer than/],
    ['{SHA', /not closed/],
  ];
  for (const [input, message] of cases) {
    const parsed = parseForeignHash(input);
    assert.equal(parsed.ok, false, input);
    assert.match(parsed.ok ? '' : parsed.error, message, input);
    assert.throws(() => foreignCredentials(input), (err: unknown) => err instanceof ForeignHashError && message.test(err.message), input);
  }
});

test('scheme names are case-insensitive and stored in upper case; no SCRAM keys come with an import', () => {
  assert.deepEqual(foreignCredentials('{ssha}8PQTOku8ot8U3KVGXrUcDkM5RNuqxOSM'), { passwordHash: '{SSHA}8PQTOku8ot8U3KVGXrUcDkM5RNuqxOSM', scram: null });
  assert.equal(foreignCredentials('$1$g0jOHoJ8$mexPcsVxJpbYZN/raZckK0').passwordHash, '{CRYPT}$1$g0jOHoJ8$mexPcsVxJpbYZN/raZckK0');
  for (const scheme of ['SHA512-CRYPT', 'BLF-CRYPT', 'ARGON2ID', 'ARGON2I', 'SSHA512', 'SSHA', 'PLAIN', 'CLEARTEXT', 'CRAM-MD5', 'MD5-CRYPT', 'SHA256-CRYPT']) {
    assert.ok(SUPPORTED_FOREIGN_SCHEMES.includes(scheme), scheme);
  }
});

test('defaultScheme reads data without a prefix as the passwd-file\'s default_pass_scheme; a prefix still wins', async () => {
  assert.equal(foreignCredentials('pässword1', { defaultScheme: 'plain' }).passwordHash, '{PLAIN}pässword1');
  assert.equal(foreignCredentials('8PQTOku8ot8U3KVGXrUcDkM5RNuqxOSM', { defaultScheme: 'SSHA' }).passwordHash, '{SSHA}8PQTOku8ot8U3KVGXrUcDkM5RNuqxOSM');
  assert.equal(foreignCredentials('{SHA}nGKqSw5rZLlGmAU2eg7o7K29zF8=', { defaultScheme: 'PLAIN' }).passwordHash, '{SHA}nGKqSw5rZLlGmAU2eg7o7K29zF8=');
  assert.equal(await verifyForeignPassword(PASSWORD, foreignCredentials('8PQTOku8ot8U3KVGXrUcDkM5RNuqxOSM', { defaultScheme: 'SSHA' }).passwordHash!), true);
  assert.throws(() => foreignCredentials('abc', { defaultScheme: 'NTLM' }), /not a password scheme/);
  assert.throws(() => foreignCredentials('abc', { defaultScheme: 'X}{PLAIN' }), /not a scheme name/);
  // Without one, data lacking a prefix is refused unless it is a crypt string.
  assert.throws(() => foreignCredentials('pässword1'), /no \{SCHEME\} prefix/);
});

test('verifyStoredPassword: scrypt strings as before, imported ones by their scheme, garbage never', async () => {
  const own = await hashPassword(PASSWORD, { ln: 4 });
  assert.equal(await verifyStoredPassword(PASSWORD, own), true);
  assert.equal(await verifyStoredPassword(PASSWORD, '{SHA}nGKqSw5rZLlGmAU2eg7o7K29zF8='), true);
  // Padding is optional, as for Dovecot; another digest is another digest.
  assert.equal(await verifyStoredPassword(PASSWORD, '{SHA}nGKqSw5rZLlGmAU2eg7o7K29zF8'), true);
  assert.equal(await verifyStoredPassword(PASSWORD, '{SHA}AAAAAAAAAAAAAAAAAAAAAAAAAAA='), false);
  assert.equal(await verifyStoredPassword(PASSWORD, '{NOPE}x'), false);
  assert.equal(await verifyStoredPassword(PASSWORD, 'plain text'), false);
});

test('the parser never throws, and what it accepts it stores in a form it parses the same way (seeded)', () => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
  const random = prng(seed);
  const pieces = ['{', '}', '$', '.', '=', 'HEX', 'B64', 'SHA', 'SSHA512', 'CRYPT', 'ARGON2ID', '$6$', '$2y$', 'rounds=', '$argon2id$v=19$m=', ',t=', ',p=', 'a', 'Z', '0', '9', '/', '+', '\u00e9', '\n', ' '];
  for (let i = 0; i < 3000; i++) {
    const base = pick(random, [...DOVEADM_VECTORS, ...ENCODED_VECTORS]);
    let text = base;
    for (let edits = randomInt(random, 4); edits > 0; edits--) {
      const at = randomInt(random, text.length + 1);
      const cut = randomInt(random, 3);
      text = text.slice(0, at) + (random() < 0.6 ? pick(random, pieces) : '') + text.slice(at + cut);
    }
    const parsed = parseForeignHash(text);
    if (parsed.ok) {
      const again = parseForeignHash(parsed.value.stored);
      assert.ok(again.ok, `seed ${seed}: ${JSON.stringify(text)}`);
      assert.equal(again.value.stored, parsed.value.stored, `seed ${seed}`);
      assert.deepEqual(again.value.hash, parsed.value.hash, `seed ${seed}`);
    } else {
      assert.equal(typeof parsed.error, 'string', `seed ${seed}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Against Dovecot's own doveadm, at run time
// ---------------------------------------------------------------------------------------------

const doveadm = spawnSync('doveadm', ['pw', '-l'], { encoding: 'utf8' });
const haveDoveadm = doveadm.status === 0;
const skipDoveadm = !haveDoveadm && process.env.MAILROOM_CI_TOOLS !== '1' ? 'doveadm (dovecot-core) is not installed' : false;

function doveadmHash(scheme: string, password: string): string {
  return execFileSync('doveadm', ['pw', '-s', scheme, '-p', password], { encoding: 'utf8' }).trim();
}

/** Random passwords: ASCII, Latin-1, CJK, emoji; 1 to 80 characters (bcrypt's 72-byte limit included). */
function randomPassword(random: () => number): string {
  const alphabets = ['abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', '!#%&()*+,-./:;<=>?@[]^_{|}~', 'äöüßéñçå', '密码測試パスワード', '😀🔑'];
  let out = '';
  const length = 1 + randomInt(random, 80);
  while ([...out].length < length) out += pick(random, [...pick(random, alphabets)]);
  return out;
}

const CHEAP_SCHEMES = ['SHA512-CRYPT', 'SHA256-CRYPT', 'BLF-CRYPT', 'SSHA512', 'SSHA256', 'SSHA', 'SMD5', 'SHA512', 'SHA256', 'SHA', 'PLAIN', 'CLEARTEXT', 'CRAM-MD5', 'MD5-CRYPT', 'PLAIN-MD5', 'LDAP-MD5'];

test('doveadm pw: every scheme, seeded random passwords verify and a changed one does not', { skip: skipDoveadm }, async () => {
  assert.ok(haveDoveadm, 'doveadm is required here (MAILROOM_CI_TOOLS=1)');
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
  const random = prng(seed);
  for (const scheme of CHEAP_SCHEMES) {
    for (let i = 0; i < 4; i++) {
      const password = randomPassword(random);
      const stored = doveadmHash(scheme, password);
      const parsed = parseForeignHash(stored);
      assert.ok(parsed.ok, `seed ${seed} ${scheme}: ${parsed.ok ? '' : parsed.error}`);
      assert.equal(await verifyForeignPassword(password, parsed.value.stored), true, `seed ${seed} ${scheme} ${JSON.stringify(password)}`);
      // bcrypt reads only the first 72 bytes, as Dovecot's does: change the first character.
      const wrong = (password[0] === 'x' ? 'y' : 'x') + password.slice(1);
      assert.equal(await verifyForeignPassword(wrong, parsed.value.stored), false, `seed ${seed} ${scheme} ${JSON.stringify(wrong)}`);
    }
  }
});

test('doveadm pw: Argon2i and Argon2id at Dovecot\'s defaults', { skip: skipDoveadm }, async () => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
  const random = prng(seed);
  for (const scheme of ['ARGON2ID', 'ARGON2I']) {
    const password = randomPassword(random);
    const stored = doveadmHash(scheme, password);
    assert.equal(await verifyForeignPassword(password, stored), true, `seed ${seed} ${scheme}`);
    assert.equal(await verifyForeignPassword(`${password}.`, stored), false, `seed ${seed} ${scheme}`);
  }
});

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;

test('SHA-crypt and MD5-crypt equal OpenSSL\'s (`openssl passwd -5/-6/-1`) for seeded random passwords, salts and rounds', { skip: haveOpenssl ? false : 'openssl is not installed' }, async () => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
  const random = prng(seed);
  const saltChars = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  for (let i = 0; i < 12; i++) {
    const password = randomPassword(random);
    const kind = pick(random, ['-1', '-5', '-6'] as const);
    const salt = Array.from({ length: 1 + randomInt(random, kind === '-1' ? 8 : 16) }, () => pick(random, [...saltChars])).join('');
    const rounds = kind !== '-1' && random() < 0.5 ? 1000 + randomInt(random, 9000) : undefined;
    const setting = kind === '-1' ? `$1$${salt}` : `$${kind[1]}$${rounds ? `rounds=${rounds}$` : ''}${salt}`;
    const expected = execFileSync('openssl', ['passwd', kind, '-salt', rounds ? `rounds=${rounds}$${salt}` : salt, '-stdin'], { input: password, encoding: 'utf8' }).trim();
    const ours = kind === '-1' ? md5Crypt(Buffer.from(password), setting) : await shaCrypt(Buffer.from(password), setting);
    assert.equal(ours, expected, `seed ${seed}: ${JSON.stringify(password)} ${setting}`);
    assert.equal(await verifyForeignPassword(password, ours), true, `seed ${seed}`);
  }
});

test('doveadm pw -r: SHA-crypt with explicit rounds, and our SHA/MD5-crypt equal doveadm\'s for its salt', { skip: skipDoveadm }, async () => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
  const random = prng(seed);
  for (const [scheme, rounds] of [['SHA512-CRYPT', 1000], ['SHA256-CRYPT', 20000], ['SHA512-CRYPT', 5000]] as const) {
    const password = randomPassword(random);
    const stored = execFileSync('doveadm', ['pw', '-s', scheme, '-r', String(rounds), '-p', password], { encoding: 'utf8' }).trim();
    const crypt = stored.slice(stored.indexOf('}') + 1);
    assert.equal(await shaCrypt(Buffer.from(password), crypt), crypt, `seed ${seed} ${scheme} rounds ${rounds}`);
    assert.equal(await verifyForeignPassword(password, stored), true);
  }
  const password = randomPassword(random);
  const md5 = doveadmHash('MD5-CRYPT', password).slice('{MD5-CRYPT}'.length);
  assert.equal(md5Crypt(Buffer.from(password), md5), md5, `seed ${seed}`);
});
