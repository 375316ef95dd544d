// The ACME documents a CA sends (src/lib/acme/messages.ts): tables of good and bad documents,
// and a seeded property test: any JSON, however malformed, gives a checked shape or an
// AcmeProtocolError, never another exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AcmeProtocolError, isBadNonce, isBase64Url, parseAuthorization, parseDirectory, parseOrder, problemText, retryAfterMs,
} from '../../src/lib/acme/messages.ts';
import { pick, prng, randomInt } from '../support/random.ts';

const CA = 'https://ca.example/acme';

test('parseDirectory reads the URLs and the terms of service', () => {
  assert.deepEqual(
    parseDirectory({ newNonce: `${CA}/nonce`, newAccount: `${CA}/acct`, newOrder: `${CA}/order`, revokeCert: `${CA}/revoke`, meta: { termsOfService: 'https://ca.example/tos' } }),
    { newNonce: `${CA}/nonce`, newAccount: `${CA}/acct`, newOrder: `${CA}/order`, termsOfService: 'https://ca.example/tos' },
  );
  assert.equal(parseDirectory({ newNonce: `${CA}/n`, newAccount: `${CA}/a`, newOrder: `${CA}/o` }).termsOfService, undefined);
});

const BAD_DIRECTORIES: [string, unknown, RegExp][] = [
  ['not an object', [], /not a JSON object/],
  ['missing newNonce', { newAccount: `${CA}/a`, newOrder: `${CA}/o` }, /newNonce/],
  ['a file URL', { newNonce: 'file:///etc/passwd', newAccount: `${CA}/a`, newOrder: `${CA}/o` }, /http\(s\) URL/],
  ['not a URL', { newNonce: 'nonce', newAccount: `${CA}/a`, newOrder: `${CA}/o` }, /not a URL/],
  ['a huge URL', { newNonce: `${CA}/${'a'.repeat(5000)}`, newAccount: `${CA}/a`, newOrder: `${CA}/o` }, /not a URL/],
  ['meta not an object', { newNonce: `${CA}/n`, newAccount: `${CA}/a`, newOrder: `${CA}/o`, meta: 'x' }, /meta/],
];
for (const [name, doc, error] of BAD_DIRECTORIES) {
  test(`parseDirectory refuses ${name}`, () => assert.throws(() => parseDirectory(doc), (e: Error) => e instanceof AcmeProtocolError && error.test(e.message)));
}

test('parseOrder and parseAuthorization read RFC 8555 §7.1.3 and §7.1.4 examples', () => {
  assert.deepEqual(parseOrder({
    status: 'valid', expires: '2026-01-01T00:00:00Z', identifiers: [{ type: 'dns', value: 'mail.contoso.com' }],
    authorizations: [`${CA}/authz/1`], finalize: `${CA}/order/1/finalize`, certificate: `${CA}/cert/1`,
  }), { status: 'valid', authorizations: [`${CA}/authz/1`], finalize: `${CA}/order/1/finalize`, certificate: `${CA}/cert/1` });
  assert.equal(parseOrder({ status: 'invalid', authorizations: [], finalize: `${CA}/f`, error: { type: 'urn:ietf:params:acme:error:rejectedIdentifier', detail: 'no' } }).error, 'no (rejectedIdentifier)');
  const authz = parseAuthorization({
    status: 'pending', identifier: { type: 'dns', value: 'mail.contoso.com' },
    challenges: [
      { type: 'http-01', url: `${CA}/chall/1`, status: 'pending', token: 'DGyRejmCefe7v4NfDGDKfA' },
      { type: 'dns-01', url: `${CA}/chall/2`, status: 'invalid', token: 'x_-1', error: { detail: 'NXDOMAIN', type: 'urn:ietf:params:acme:error:dns' } },
    ],
  });
  assert.equal(authz.identifier.value, 'mail.contoso.com');
  assert.deepEqual(authz.challenges[0], { type: 'http-01', url: `${CA}/chall/1`, status: 'pending', token: 'DGyRejmCefe7v4NfDGDKfA' });
  assert.equal(authz.challenges[1]!.error, 'NXDOMAIN (dns)');
});

const BAD_AUTHZ: [string, unknown][] = [
  ['an unknown status', { status: 'done', identifier: { type: 'dns', value: 'a' }, challenges: [] }],
  ['a token with a slash', { status: 'pending', identifier: { type: 'dns', value: 'a' }, challenges: [{ type: 'http-01', url: `${CA}/c`, status: 'pending', token: '../etc' }] }],
  ['an empty token', { status: 'pending', identifier: { type: 'dns', value: 'a' }, challenges: [{ type: 'http-01', url: `${CA}/c`, status: 'pending', token: '' }] }],
  ['no identifier', { status: 'pending', challenges: [] }],
  ['too many challenges', { status: 'pending', identifier: { type: 'dns', value: 'a' }, challenges: new Array(101).fill({ type: 'x', url: `${CA}/c`, status: 'pending' }) }],
];
for (const [name, doc] of BAD_AUTHZ) {
  test(`parseAuthorization refuses ${name}`, () => assert.throws(() => parseAuthorization(doc), AcmeProtocolError));
}

test('problemText, isBadNonce and isBase64Url', () => {
  assert.equal(problemText({ type: 'urn:ietf:params:acme:error:malformed', detail: 'Some of the identifiers requested were rejected', subproblems: [
    { type: 'urn:ietf:params:acme:error:malformed', detail: 'Invalid underscore in DNS name "_example.org"', identifier: { type: 'dns', value: '_example.org' } },
  ] }), 'Some of the identifiers requested were rejected (malformed); _example.org: Invalid underscore in DNS name "_example.org"');
  assert.equal(problemText('x'), 'the CA gave no problem document');
  assert.equal(problemText({ detail: 'a\nb' }), 'a b');
  assert.equal(isBadNonce({ type: 'urn:ietf:params:acme:error:badNonce' }), true);
  assert.equal(isBadNonce({ type: 'urn:ietf:params:acme:error:malformed' }), false);
  assert.equal(isBase64Url('abc-_09XZ'), true);
  for (const bad of ['', 'a=', 'a/b', 'a+b', 'é', 'a'.repeat(257)]) assert.equal(isBase64Url(bad), false, bad);
});

test('retryAfterMs reads seconds and HTTP dates, kept within bounds', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const cases: [string | undefined, number][] = [
    [undefined, 3000], ['', 3000], ['5', 5000], ['0', 1000], ['3600', 60_000], ['soon', 3000], ['-5', 3000],
    ['Thu, 01 Jan 2026 00:00:10 GMT', 10_000], ['Wed, 31 Dec 2025 00:00:00 GMT', 1000], ['99999999999', 3000],
  ];
  for (const [header, expected] of cases) assert.equal(retryAfterMs(header, now, 3000), expected, String(header));
});

/** Random JSON: objects with the fields the parsers look for, filled with random values. */
function randomJson(random: () => number, depth = 0): unknown {
  const keys = ['status', 'authorizations', 'finalize', 'certificate', 'error', 'identifier', 'challenges', 'type', 'url', 'token', 'value',
    'newNonce', 'newAccount', 'newOrder', 'meta', 'termsOfService', 'detail', 'subproblems'];
  const leaves = [null, true, 0, -1, 1e300, '', 'valid', 'pending', 'http-01', `${CA}/x`, 'http://[::1', 'javascript:alert(1)', 'a'.repeat(randomInt(random, 5000)), 'tok_EN-1', '../x'];
  const kind = depth > 3 ? 0 : randomInt(random, 4);
  if (kind === 0) return pick(random, leaves);
  if (kind === 1) return Array.from({ length: randomInt(random, 4) }, () => randomJson(random, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = randomInt(random, 8); i > 0; i--) o[pick(random, keys)] = randomJson(random, depth + 1);
  return o;
}

test('any JSON gives a shape or an AcmeProtocolError (seeded, 20000 documents)', () => {
  const random = prng(18_2026);
  const parsers = [parseDirectory, parseOrder, parseAuthorization];
  for (let i = 0; i < 20_000; i++) {
    const doc = randomJson(random);
    for (const parse of parsers) {
      try {
        parse(doc);
      } catch (e) {
        if (!(e instanceof AcmeProtocolError)) throw new Error(`${parse.name} threw ${String(e)} on ${JSON.stringify(doc).slice(0, 300)}`);
      }
    }
    assert.equal(typeof problemText(doc), 'string');
  }
});
