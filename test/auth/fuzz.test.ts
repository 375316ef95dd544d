// Property test: random and mutated input fed to every parser and mechanism gives a value or a
// failure, never an exception. Seeded, so a failure is reproducible: the assertion message
// carries the seed and the iteration.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  deriveScramCredentials,
  hashPassword,
  parseScramCredentials,
  parseScryptPhc,
  verifyPassword,
} from '../../src/auth/passwords.ts';
import {
  canonicalMechanismName,
  createSaslExchange,
  decodeSaslname,
  parseClientFinalMessage,
  parseClientFirstMessage,
  parseLoginField,
  parsePlainMessage,
  SASL_MECHANISMS,
  type SaslHooks,
  type SaslStep,
} from '../../src/auth/sasl/index.ts';
import { LogonNameError, parseLogonName, tryParseLogonName } from '../../src/auth/login-name.ts';
import { authenticationAllowed, isBlockedAccountName, LOGIN_TYPES } from '../../src/auth/logon-policy.ts';
import { LogonThrottle, throttleAddress } from '../../src/auth/throttle.ts';
import { pick, prng, randomInt } from './helpers.ts';

const SEED = 0x5eed_a117;

// Bytes that mean something to one of the grammars, plus UTF-8 lead and continuation bytes.
const INTERESTING = [
  0x00, 0x2c, 0x3d, 0x40, 0x5c, 0x2f, 0x24, 0x3a, 0x20, 0x09, 0x0d, 0x0a, 0x7f,
  0x6e, 0x72, 0x63, 0x70, 0x61, 0x6d, 0x79, 0x73, 0x69, 0x32, 0x43, 0x33, 0x44,
  0xc0, 0xc3, 0xa9, 0xe4, 0xe5, 0xed, 0xa0, 0xf0, 0x9f, 0x98, 0x80, 0xff,
];

function randomByte(rand: () => number): number {
  return rand() < 0.5 ? randomInt(rand, 256) : pick(rand, INTERESTING);
}

function randomBuffer(rand: () => number, maxLength = 64): Buffer {
  const out = Buffer.alloc(randomInt(rand, maxLength + 1));
  for (let i = 0; i < out.length; i++) out[i] = randomByte(rand);
  return out;
}

/** One to three edits: flip, insert, delete, truncate or duplicate a slice. */
function mutate(rand: () => number, input: Buffer): Buffer {
  let data = Buffer.from(input);
  const edits = 1 + randomInt(rand, 3);
  for (let e = 0; e < edits; e++) {
    const at = randomInt(rand, data.length + 1);
    switch (randomInt(rand, 5)) {
      case 0:
        if (data.length > 0) data[Math.min(at, data.length - 1)] = randomByte(rand);
        break;
      case 1:
        data = Buffer.concat([data.subarray(0, at), Buffer.from([randomByte(rand)]), data.subarray(at)]);
        break;
      case 2:
        data = Buffer.concat([data.subarray(0, at), data.subarray(at + 1)]);
        break;
      case 3:
        data = data.subarray(0, at);
        break;
      default:
        data = Buffer.concat([data.subarray(0, at), data.subarray(randomInt(rand, data.length + 1)), data.subarray(at)]);
    }
  }
  return data;
}

/** A valid sample, mutated, or pure noise, in roughly equal shares. */
function fuzzInput(rand: () => number, samples: readonly string[]): Buffer {
  const roll = rand();
  if (roll < 0.15) return Buffer.from(pick(rand, samples));
  if (roll < 0.7) return mutate(rand, Buffer.from(pick(rand, samples)));
  return randomBuffer(rand);
}

const RFC_NONCE = 'rOprNGfwEbeRWgbNEkqO';
const RFC_SERVER_NONCE = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const SCRAM_FIRST = [`n,,n=user,r=${RFC_NONCE}`, `y,a=adm=2Cin,n=user,r=${RFC_NONCE},x=1`, `n,,n=ghost,r=${RFC_NONCE}`];
const SCRAM_FINAL = [`c=biws,r=${RFC_NONCE}${RFC_SERVER_NONCE},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=`];
const PLAIN = ['\0alice\0wonderland', 'admin\0alice\0wonderland', '\0王小明@例子.公司\0密码'];
const NAMES = ['alice@contoso.com', 'CONTOSO\\alice\\sales', 'alice@contoso.com\\shared@contoso.com', '王小明@例子.公司', 'Guest', 'CONTOSO\\Guest'];
const SCRAM_STORED = ['SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU='];
const PHC = ['$scrypt$ln=15,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'];
const ADDRESSES = ['192.0.2.1', '::ffff:192.0.2.1', '2001:db8::1', 'fe80::1%eth0', '64:ff9b::1.2.3.4'];

test('parsers never throw on random or mutated input', async () => {
  const rand = prng(SEED);
  // Its waits are skipped: the fuzzing is about keys, not time.
  const throttle = new LogonThrottle({ maxEntries: 50, sleep: async () => {} });
  for (let i = 0; i < 4000; i++) {
    const where = `seed ${SEED} iteration ${i}`;
    const bytes = fuzzInput(rand, [...PLAIN, ...SCRAM_FIRST, ...SCRAM_FINAL, ...NAMES]);
    const text = rand() < 0.5 ? bytes.toString('utf8') : bytes.toString('latin1');

    const plain = parsePlainMessage(fuzzInput(rand, PLAIN));
    if (plain.ok) assert.ok(plain.authcid.length > 0 && plain.password.length > 0, where);
    assert.equal(typeof parseLoginField(bytes, pick(rand, ['user name', 'password'] as const)).ok, 'boolean', where);

    const first = parseClientFirstMessage(fuzzInput(rand, SCRAM_FIRST).toString('utf8'));
    if (first.ok) assert.ok(first.value.username.length > 0 && first.value.clientNonce.length > 0, where);
    const final = parseClientFinalMessage(fuzzInput(rand, SCRAM_FINAL).toString('utf8'));
    if (final.ok) assert.equal(final.value.proof.length, 32, where);
    const saslname = decodeSaslname(text);
    assert.ok(saslname === null || typeof saslname === 'string', where);

    const name = fuzzInput(rand, NAMES).toString(rand() < 0.5 ? 'utf8' : 'latin1');
    const parsed = tryParseLogonName(name);
    if (!parsed.ok) {
      assert.throws(() => parseLogonName(name), LogonNameError, where);
    } else {
      assert.ok(['upn', 'down-level', 'bare'].includes(parsed.name.kind), where);
    }
    assert.equal(typeof isBlockedAccountName(name), 'boolean', where);
    assert.equal(typeof authenticationAllowed(pick(rand, LOGIN_TYPES), rand() < 0.5, text).allowed, 'boolean', where);
    assert.ok(canonicalMechanismName(text) === null || SASL_MECHANISMS.includes(canonicalMechanismName(text)!), where);

    const stored = parseScramCredentials(fuzzInput(rand, SCRAM_STORED).toString('latin1'));
    if (stored) assert.ok(stored.storedKey.length === 32 && stored.serverKey.length === 32 && stored.iterations >= 1, where);
    const phc = parseScryptPhc(fuzzInput(rand, PHC).toString('latin1'));
    if (phc) assert.ok(phc.salt.length >= 8 && phc.hash.length >= 16 && 128 * 2 ** phc.params.ln * phc.params.r * phc.params.p <= 256 * 2 ** 20, where);

    const address = fuzzInput(rand, ADDRESSES).toString('latin1');
    assert.equal(typeof throttleAddress(address), 'string', where);
    const admitted = await throttle.admit({ account: name, address, fingerprint: text });
    assert.ok(admitted, where);
    admitted.settle(rand() < 0.1);
    admitted.release();
    assert.ok(Number.isFinite(throttle.delayFor({ account: name, address })), where);
  }
  assert.ok(throttle.size <= 50);
});

test('SASL mechanisms answer random step sequences with steps, never exceptions', async () => {
  const rand = prng(SEED + 1);
  const user = await deriveScramCredentials('pencil', 4096, Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));
  const hooks: SaslHooks = {
    verifyPassword: async (authcid, password) => authcid === 'alice' && password === 'wonderland',
    lookupScram: async (authcid) => (authcid === 'user' ? user : null),
    scramServerNonce: () => RFC_SERVER_NONCE,
  };
  const counts = { challenge: 0, success: 0, failure: 0 };
  for (let i = 0; i < 1500; i++) {
    const where = `seed ${SEED + 1} iteration ${i}`;
    const mechanism = pick(rand, SASL_MECHANISMS);
    const exchange = createSaslExchange(mechanism, { ...hooks, successData: rand() < 0.5 ? 'inline' : 'challenge' });
    assert.ok(exchange, where);
    const samples = mechanism === 'SCRAM-SHA-256' ? [SCRAM_FIRST, SCRAM_FINAL, ['']] : mechanism === 'PLAIN' ? [PLAIN] : [['alice'], ['wonderland']];
    let finished = false;
    for (let s = 0; s < 4; s++) {
      const response = rand() < 0.1 ? null : fuzzInput(rand, samples[Math.min(s, samples.length - 1)]!);
      const step: SaslStep = await exchange.step(response);
      counts[step.type]++;
      if (finished) {
        assert.equal(step.type === 'failure' && step.code, 'state', where);
      } else if (step.type === 'challenge') {
        assert.ok(Buffer.isBuffer(step.data), where);
      } else {
        assert.ok(step.type === 'success' ? step.authcid.length > 0 : step.reason.length > 0, where);
        finished = true;
        assert.equal(exchange.finished, true, where);
      }
    }
  }
  // The corpus reaches every outcome, so the fuzzing is not stuck at the first parse error.
  assert.ok(counts.challenge > 0 && counts.success > 0 && counts.failure > 0, JSON.stringify(counts));
});

test('verifyPassword answers false or true for mutated cheap hashes, never throws', async () => {
  const rand = prng(SEED + 2);
  const phc = await hashPassword('pw', { ln: 4, r: 1, p: 1 });
  let verified = 0;
  for (let i = 0; i < 200; i++) {
    const candidate = mutate(rand, Buffer.from(phc)).toString('latin1');
    const result = await verifyPassword(rand() < 0.5 ? 'pw' : 'other', candidate);
    assert.equal(typeof result, 'boolean', `seed ${SEED + 2} iteration ${i}`);
    if (result) verified++;
  }
  assert.ok(verified < 200);
});
