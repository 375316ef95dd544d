import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveScramCredentials, type ScramCredentials } from '../../src/auth/passwords.ts';
import {
  createSaslExchange,
  decodeSaslname,
  encodeSaslname,
  isPlainTextMechanism,
  parseLoginField,
  parsePlainMessage,
  SASL_MECHANISMS,
  type SaslExchange,
  type SaslHooks,
  type SaslStep,
} from '../../src/auth/sasl/index.ts';
import { ScramTestClient } from './helpers.ts';

const b = (text: string) => Buffer.from(text, 'utf8');

/** A verifier that records its calls and accepts alice/wonderland only. */
function recordingVerifier() {
  const calls: [string, string, string | undefined][] = [];
  const verifyPassword = async (authcid: string, password: string, authzid?: string) => {
    calls.push([authcid, password, authzid]);
    return authcid === 'alice' && password === 'wonderland';
  };
  return { calls, verifyPassword };
}

function mustCreate(mechanism: string, hooks: SaslHooks): SaslExchange {
  const exchange = createSaslExchange(mechanism, hooks);
  assert.ok(exchange, `${mechanism} should be available`);
  return exchange;
}

function assertChallenge(step: SaslStep, expected?: string): Buffer {
  assert.equal(step.type, 'challenge', JSON.stringify(step));
  if (step.type !== 'challenge') throw new Error('unreachable');
  if (expected !== undefined) assert.equal(step.data.toString('utf8'), expected);
  return step.data;
}

function assertFailure(step: SaslStep, code: string, reason?: RegExp): void {
  assert.equal(step.type, 'failure', JSON.stringify(step));
  if (step.type !== 'failure') return;
  assert.equal(step.code, code, step.reason);
  if (reason) assert.match(step.reason, reason);
}

// ------------------------------------------------------------------------------------------
// Registry
// ------------------------------------------------------------------------------------------

test('createSaslExchange knows exactly the advertised mechanisms, case-insensitively', () => {
  const hooks: SaslHooks = { verifyPassword: async () => false, lookupScram: async () => null };
  assert.deepEqual([...SASL_MECHANISMS], ['PLAIN', 'LOGIN', 'SCRAM-SHA-256']);
  for (const name of SASL_MECHANISMS) assert.equal(createSaslExchange(name, hooks)?.mechanism, name);
  assert.equal(createSaslExchange('plain', hooks)?.mechanism, 'PLAIN');
  assert.equal(createSaslExchange('Scram-Sha-256', hooks)?.mechanism, 'SCRAM-SHA-256');
  for (const name of ['NTLM', 'GSSAPI', 'CRAM-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-256-PLUS', 'XOAUTH2', '', 'PLAIN ']) {
    assert.equal(createSaslExchange(name, hooks), null, name);
  }
  // A mechanism whose hook is missing is as good as unsupported.
  assert.equal(createSaslExchange('PLAIN', { lookupScram: async () => null }), null);
  assert.equal(createSaslExchange('SCRAM-SHA-256', { verifyPassword: async () => true }), null);
});

test('isPlainTextMechanism: PLAIN and LOGIN send the password, SCRAM does not, unknown is unsafe', () => {
  const rows: [string, boolean][] = [
    ['PLAIN', true], ['plain', true], ['LOGIN', true], ['SCRAM-SHA-256', false], ['scram-sha-256', false],
    ['XOAUTH2', true], ['NTLM', true], ['', true],
  ];
  for (const [name, expected] of rows) assert.equal(isPlainTextMechanism(name), expected, name);
});

// ------------------------------------------------------------------------------------------
// PLAIN (RFC 4616)
// ------------------------------------------------------------------------------------------

test('parsePlainMessage table', () => {
  const long = 'x'.repeat(255);
  type Row = [string, Buffer, { authzid?: string; authcid: string; password: string } | RegExp];
  const rows: Row[] = [
    ['no authzid', b('\0alice\0wonderland'), { authcid: 'alice', password: 'wonderland' }],
    ['with authzid', b('sales\0alice\0wonderland'), { authzid: 'sales', authcid: 'alice', password: 'wonderland' }],
    ['RFC 4616 §4 example', b('Ursel\0Kurt\0xipj3plmq'), { authzid: 'Ursel', authcid: 'Kurt', password: 'xipj3plmq' }],
    ['UTF-8 fields', b('\0王小明@例子.公司\0密码🔑'), { authcid: '王小明@例子.公司', password: '密码🔑' }],
    ['down-level name', b('\0CONTOSO\\alice\\sales\0pw'), { authcid: 'CONTOSO\\alice\\sales', password: 'pw' }],
    ['spaces kept in password', b('\0alice\0 pass word '), { authcid: 'alice', password: ' pass word ' }],
    ['255-octet fields', b(`${long}\0${long}\0${long}`), { authzid: long, authcid: long, password: long }],
    ['no NUL', b('alice wonderland'), /two NUL/],
    ['one NUL', b('alice\0wonderland'), /two NUL/],
    ['three NULs', b('\0alice\0wonder\0land'), /more than two/],
    ['empty message', b(''), /two NUL/],
    ['only separators', b('\0\0'), /user name is empty/],
    ['empty authcid', b('\0\0wonderland'), /user name is empty/],
    ['empty password', b('\0alice\0'), /password is empty/],
    ['authcid too long', b(`\0${long}x\0pw`), /user name longer than 255/],
    ['password too long', b(`\0alice\0${long}x`), /password longer than 255/],
    ['authzid too long', b(`${long}x\0alice\0pw`), /authorization identity longer/],
    ['invalid UTF-8 in password', Buffer.from([0, 0x61, 0, 0xc3, 0x28]), /password is not valid UTF-8/],
    ['overlong UTF-8 in authcid', Buffer.from([0, 0xc0, 0xaf, 0, 0x61]), /user name is not valid UTF-8/],
    ['UTF-16 surrogate encoded', Buffer.from([0, 0x61, 0, 0xed, 0xa0, 0x80]), /not valid UTF-8/],
  ];
  for (const [name, input, expected] of rows) {
    const result = parsePlainMessage(input);
    if (expected instanceof RegExp) {
      assert.equal(result.ok, false, name);
      if (!result.ok) assert.match(result.reason, expected, name);
    } else {
      assert.deepEqual(result, { ok: true, ...expected }, name);
    }
  }
});

test('PLAIN with an initial response passes the fields to the verifier', async () => {
  const { calls, verifyPassword } = recordingVerifier();
  const ok = await mustCreate('PLAIN', { verifyPassword }).step(b('admin\0alice\0wonderland'));
  assert.deepEqual(ok, { type: 'success', authcid: 'alice', authzid: 'admin' });
  assert.deepEqual(calls, [['alice', 'wonderland', 'admin']]);
});

test('PLAIN without an initial response sends an empty challenge first (RFC 4422)', async () => {
  const { verifyPassword } = recordingVerifier();
  const exchange = mustCreate('PLAIN', { verifyPassword });
  assert.equal(assertChallenge(await exchange.step(null)).length, 0);
  assert.deepEqual(await exchange.step(b('\0alice\0wonderland')), { type: 'success', authcid: 'alice' });
  assert.equal(exchange.finished, true);
  assertFailure(await exchange.step(b('\0alice\0wonderland')), 'state');
});

test('PLAIN failures: wrong password, malformed, empty response, verifier error', async () => {
  const { verifyPassword } = recordingVerifier();
  const wrong = await mustCreate('PLAIN', { verifyPassword }).step(b('\0alice\0rabbit'));
  assert.deepEqual(wrong, { type: 'failure', code: 'rejected', reason: 'invalid user name or password', authcid: 'alice' });
  assertFailure(await mustCreate('PLAIN', { verifyPassword }).step(b('alice')), 'malformed', /NUL/);
  assertFailure(await mustCreate('PLAIN', { verifyPassword }).step(Buffer.alloc(0)), 'malformed');
  const twice = mustCreate('PLAIN', { verifyPassword });
  await twice.step(null);
  assertFailure(await twice.step(null), 'malformed');

  const broken = mustCreate('PLAIN', { verifyPassword: async () => { throw new Error('directory down'); } });
  const step = await broken.step(b('\0alice\0wonderland'));
  assertFailure(step, 'internal');
  assert.equal(step.type === 'failure' && (step.cause as Error).message, 'directory down');
});

test('a step while the previous one is still verifying is refused', async () => {
  let release!: (ok: boolean) => void;
  const exchange = mustCreate('PLAIN', { verifyPassword: () => new Promise<boolean>((r) => { release = r; }) });
  const first = exchange.step(b('\0alice\0wonderland'));
  assertFailure(await exchange.step(b('\0alice\0wonderland')), 'state', /in progress/);
  release(true);
  assert.equal((await first).type, 'success');
});

// ------------------------------------------------------------------------------------------
// LOGIN
// ------------------------------------------------------------------------------------------

test('LOGIN asks for Username: then Password:', async () => {
  const { calls, verifyPassword } = recordingVerifier();
  const exchange = mustCreate('LOGIN', { verifyPassword });
  assertChallenge(await exchange.step(null), 'Username:');
  assertChallenge(await exchange.step(b('alice')), 'Password:');
  assert.deepEqual(await exchange.step(b('wonderland')), { type: 'success', authcid: 'alice' });
  assert.deepEqual(calls, [['alice', 'wonderland', undefined]]);
});

test('LOGIN takes the user name as initial response (SMTP "AUTH LOGIN <b64>")', async () => {
  const { verifyPassword } = recordingVerifier();
  const exchange = mustCreate('LOGIN', { verifyPassword });
  assertChallenge(await exchange.step(b('alice')), 'Password:');
  const step = await exchange.step(b('rabbit'));
  assertFailure(step, 'rejected');
  assert.equal(step.type === 'failure' && step.authcid, 'alice');
});

test('LOGIN malformed responses fail with a reason', async () => {
  const { verifyPassword } = recordingVerifier();
  const emptyUser = mustCreate('LOGIN', { verifyPassword });
  await emptyUser.step(null);
  assertFailure(await emptyUser.step(Buffer.alloc(0)), 'malformed', /user name is empty/);

  const emptyPassword = mustCreate('LOGIN', { verifyPassword });
  await emptyPassword.step(b('alice'));
  assertFailure(await emptyPassword.step(Buffer.alloc(0)), 'malformed', /password is empty/);

  const nullPassword = mustCreate('LOGIN', { verifyPassword });
  await nullPassword.step(b('alice'));
  assertFailure(await nullPassword.step(null), 'malformed', /expected a password/);

  const nullUser = mustCreate('LOGIN', { verifyPassword });
  await nullUser.step(null);
  assertFailure(await nullUser.step(null), 'malformed', /expected a user name/);
});

test('parseLoginField table', () => {
  const rows: [string, Buffer, 'user name' | 'password', string | RegExp][] = [
    ['plain user', b('alice'), 'user name', 'alice'],
    ['UPN', b('王小明@例子.公司'), 'user name', '王小明@例子.公司'],
    ['delegation', b('CONTOSO\\alice\\sales'), 'user name', 'CONTOSO\\alice\\sales'],
    ['password with tab', b('a\tb'), 'password', 'a\tb'],
    ['password with spaces', b(' x '), 'password', ' x '],
    ['255 octets', b('é'.repeat(127) + 'x'), 'password', 'é'.repeat(127) + 'x'],
    ['256 octets', b('é'.repeat(128)), 'password', /longer than 255/],
    ['empty user', b(''), 'user name', /empty/],
    ['NUL in user', b('al\0ice'), 'user name', /NUL/],
    ['NUL in password', b('pa\0ss'), 'password', /NUL/],
    ['control in user', b('alice\r\n'), 'user name', /control/],
    ['DEL in user', b('alice\x7f'), 'user name', /control/],
    ['Latin-1 password', Buffer.from([0x70, 0xe4, 0x73, 0x73]), 'password', /UTF-8/],
  ];
  for (const [name, input, what, expected] of rows) {
    const result = parseLoginField(input, what);
    if (expected instanceof RegExp) {
      assert.equal(result.ok, false, name);
      if (!result.ok) assert.match(result.reason, expected, name);
    } else {
      assert.deepEqual(result, { ok: true, value: expected }, name);
    }
  }
});

// ------------------------------------------------------------------------------------------
// SCRAM-SHA-256 (RFC 5802, RFC 7677)
// ------------------------------------------------------------------------------------------

const RFC_SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const RFC_CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO';
const RFC_SERVER_NONCE = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const RFC_CLIENT_FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const rfcCredentials: Promise<ScramCredentials> = deriveScramCredentials('pencil', 4096, RFC_SALT);

function scramHooks(users: Record<string, ScramCredentials>, extra: SaslHooks = {}): SaslHooks {
  return { lookupScram: async (name) => users[name] ?? null, ...extra };
}

test('SCRAM-SHA-256 reproduces the RFC 7677 §3 exchange byte for byte', async () => {
  const exchange = mustCreate('SCRAM-SHA-256', scramHooks({ user: await rfcCredentials }, { scramServerNonce: () => RFC_SERVER_NONCE }));
  assertChallenge(
    await exchange.step(b(`n,,n=user,r=${RFC_CLIENT_NONCE}`)),
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  );
  assertChallenge(await exchange.step(b(RFC_CLIENT_FINAL)), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  assert.equal(exchange.finished, false);
  assert.deepEqual(await exchange.step(Buffer.alloc(0)), { type: 'success', authcid: 'user' });
  assert.equal(exchange.finished, true);
});

test('SCRAM-SHA-256 can return the server signature inline with success', async () => {
  const hooks = scramHooks({ user: await rfcCredentials }, { scramServerNonce: () => RFC_SERVER_NONCE, successData: 'inline' });
  const exchange = mustCreate('SCRAM-SHA-256', hooks);
  await exchange.step(b(`n,,n=user,r=${RFC_CLIENT_NONCE}`));
  const step = await exchange.step(b(RFC_CLIENT_FINAL));
  assert.equal(step.type, 'success');
  assert.equal(step.type === 'success' && step.data?.toString(), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
});

test('SCRAM-SHA-256 full exchange with an independent client, authzid and escaped name', async () => {
  const name = 'odd,name=x@例子.公司';
  const credentials = await deriveScramCredentials('s3cret pässword', 4096);
  const exchange = mustCreate('SCRAM-SHA-256', scramHooks({ [name]: credentials }));
  const client = new ScramTestClient(name, 's3cret pässword', { authzid: 'shared,box' });
  // No initial response: empty challenge first.
  assert.equal(assertChallenge(await exchange.step(null)).length, 0);
  const serverFirst = assertChallenge(await exchange.step(client.first()));
  assert.match(serverFirst.toString(), new RegExp(`^r=${client.clientNonce.replace(/[+/]/g, '\\$&')}[!-+--~]{24},s=[A-Za-z0-9+/]{22}==,i=4096$`));
  const serverFinal = assertChallenge(await exchange.step(client.final(serverFirst)));
  assert.equal(client.verifyServerFinal(serverFinal), true);
  assert.deepEqual(await exchange.step(null), { type: 'success', authcid: name, authzid: 'shared,box' });
});

test('SCRAM-SHA-256 accepts the "y" flag (client could bind, server cannot)', async () => {
  const credentials = await rfcCredentials;
  const exchange = mustCreate('SCRAM-SHA-256', scramHooks({ user: credentials }));
  const client = new ScramTestClient('user', 'pencil', { gs2Flag: 'y' });
  const serverFirst = assertChallenge(await exchange.step(client.first()));
  const serverFinal = assertChallenge(await exchange.step(client.final(serverFirst)));
  assert.equal(client.verifyServerFinal(serverFinal), true);
  assert.equal((await exchange.step(null)).type, 'success');
});

test('SCRAM-SHA-256 wrong password fails without a server signature', async () => {
  const exchange = mustCreate('SCRAM-SHA-256', scramHooks({ user: await rfcCredentials }));
  const client = new ScramTestClient('user', 'pencil2');
  const serverFirst = assertChallenge(await exchange.step(client.first()));
  const step = await exchange.step(client.final(serverFirst));
  assert.deepEqual(step, { type: 'failure', code: 'rejected', reason: 'invalid user name or password', authcid: 'user' });
});

test('SCRAM-SHA-256 unknown user gets a stable, plausible challenge and then the same failure', async () => {
  const secret = Buffer.alloc(32, 9);
  const hooks = scramHooks({ user: await rfcCredentials }, { scramFakeSecret: secret });
  const saltFor = async (name: string) => {
    const exchange = mustCreate('SCRAM-SHA-256', hooks);
    const client = new ScramTestClient(name, 'pencil');
    const serverFirst = assertChallenge(await exchange.step(client.first())).toString();
    const final = await exchange.step(client.final(Buffer.from(serverFirst)));
    return { serverFirst, final };
  };
  const ghost1 = await saltFor('ghost');
  const ghost2 = await saltFor('ghost');
  const other = await saltFor('phantom');
  const real = await saltFor('user');
  const salt = (s: string) => /,s=([^,]+),/.exec(s)![1]!;
  const iterations = (s: string) => /,i=(\d+)$/.exec(s)![1];
  assert.equal(salt(ghost1.serverFirst), salt(ghost2.serverFirst)); // stable per name
  assert.notEqual(salt(ghost1.serverFirst), salt(other.serverFirst));
  assert.equal(Buffer.from(salt(ghost1.serverFirst), 'base64').length, RFC_SALT.length); // looks real
  assert.equal(iterations(ghost1.serverFirst), iterations(real.serverFirst));
  assert.equal(real.final.type, 'challenge');
  // Same failure as a wrong password, field for field.
  assert.deepEqual(ghost1.final, { type: 'failure', code: 'rejected', reason: 'invalid user name or password', authcid: 'ghost' });
});

test('SCRAM-SHA-256 protocol violations', async () => {
  const credentials = await rfcCredentials;
  const start = async (first: string) => {
    const exchange = mustCreate('SCRAM-SHA-256', scramHooks({ user: credentials }, { scramServerNonce: () => RFC_SERVER_NONCE }));
    return { exchange, step: await exchange.step(b(first)) };
  };
  assertFailure((await start(`p=tls-unique,,n=user,r=${RFC_CLIENT_NONCE}`)).step, 'unsupported', /channel binding/);
  assertFailure((await start(`n,,m=ext,n=user,r=${RFC_CLIENT_NONCE}`)).step, 'unsupported', /mandatory extension/);
  const firstRows: [string, RegExp][] = [
    ['', /GS2/],
    ['n', /GS2/],
    ['n,', /GS2/],
    [`x,,n=user,r=${RFC_CLIENT_NONCE}`, /flag/],
    [`n,user,n=user,r=${RFC_CLIENT_NONCE}`, /authorization identity/],
    [`n,a=,n=user,r=${RFC_CLIENT_NONCE}`, /authorization identity/],
    [`n,,r=${RFC_CLIENT_NONCE},n=user`, /user name/],
    [`n,,n=,r=${RFC_CLIENT_NONCE}`, /user name/],
    [`n,,n=us=2Der,r=${RFC_CLIENT_NONCE}`, /user name encoding/], // "=" must be =2C or =3D
    [`n,,n=user=,r=${RFC_CLIENT_NONCE}`, /user name encoding/],
    ['n,,n=user', /nonce/],
    ['n,,n=user,r=', /nonce/],
    ['n,,n=user,r=a b', /nonce/],
    [`n,,n=user,r=${RFC_CLIENT_NONCE},`, /attribute/],
    [`n,,n=user,r=${RFC_CLIENT_NONCE},1=x`, /attribute/],
    [`n,,n=us\0er,r=${RFC_CLIENT_NONCE}`, /NUL/],
  ];
  for (const [first, reason] of firstRows) assertFailure((await start(first)).step, 'malformed', reason);
  // Extensions after the nonce are allowed and ignored.
  assertChallenge((await start(`n,,n=user,r=${RFC_CLIENT_NONCE},x=future`)).step);

  const nonce = RFC_CLIENT_NONCE + RFC_SERVER_NONCE;
  const proof = 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
  const finalRows: [string, string, RegExp][] = [
    ['wrong nonce', `c=biws,r=${nonce}x,p=${proof}`, /nonce does not match/],
    ['client nonce only', `c=biws,r=${RFC_CLIENT_NONCE},p=${proof}`, /nonce does not match/],
    ['binding not the GS2 header', `c=eSws,r=${nonce},p=${proof}`, /channel binding/],
    ['binding not base64', `c=biws!,r=${nonce},p=${proof}`, /channel binding/],
    ['no proof', `c=biws,r=${nonce}`, /too short/],
    ['proof not last', `c=biws,r=${nonce},p=${proof},x=1`, /proof/],
    ['short proof', `c=biws,r=${nonce},p=AAAA`, /proof/],
    ['proof unpadded', `c=biws,r=${nonce},p=${proof.slice(0, -1)}`, /proof/],
    ['attributes swapped', `r=${nonce},c=biws,p=${proof}`, /channel binding/],
  ];
  for (const [name, final, reason] of finalRows) {
    const { exchange } = await start(`n,,n=user,r=${RFC_CLIENT_NONCE}`);
    assertFailure(await exchange.step(b(final)), 'malformed', reason);
    assert.equal(exchange.finished, true, name);
  }

  // A non-empty answer to the server signature is a protocol error (RFC 4422 §4).
  const { exchange } = await start(`n,,n=user,r=${RFC_CLIENT_NONCE}`);
  await exchange.step(b(RFC_CLIENT_FINAL));
  assertFailure(await exchange.step(b('x')), 'malformed', /empty response/);
});

test('SCRAM-SHA-256 lookup errors and unusable credentials are internal failures', async () => {
  const throwing = mustCreate('SCRAM-SHA-256', { lookupScram: async () => { throw new Error('db'); } });
  assertFailure(await throwing.step(b(`n,,n=user,r=${RFC_CLIENT_NONCE}`)), 'internal');
  const bad = mustCreate('SCRAM-SHA-256', { lookupScram: async () => ({ iterations: 4096, salt: Buffer.alloc(0), storedKey: Buffer.alloc(32), serverKey: Buffer.alloc(32) }) });
  assertFailure(await bad.step(b(`n,,n=user,r=${RFC_CLIENT_NONCE}`)), 'internal', /unusable/);
  const badNonce = mustCreate('SCRAM-SHA-256', { lookupScram: async () => null, scramServerNonce: () => 'a,b' });
  assertFailure(await badNonce.step(b(`n,,n=user,r=${RFC_CLIENT_NONCE}`)), 'internal', /nonce/);
});

test('saslname escaping round-trips and rejects stray "="', () => {
  const rows: [string, string | null][] = [
    ['user', 'user'], ['a=2Cb', 'a,b'], ['a=3Db', 'a=b'], ['=2C=3D', ',='], ['王', '王'],
    ['a=2cb', null], ['a=', null], ['a=3', null], ['a=41', null], ['', null], ['a,b', null],
  ];
  for (const [input, expected] of rows) assert.equal(decodeSaslname(input), expected, input);
  for (const name of ['plain', 'a,b', 'x=y', '=,=,', 'CONTOSO\\u\\s']) assert.equal(decodeSaslname(encodeSaslname(name)), name);
});
