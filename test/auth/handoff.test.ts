import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ANSWER_LINE_LIMIT, answerSafe, decodeAnswer, decodeHandoff, decodeStart, encodeAnswer, encodeHandoff, encodeStart, HANDOFF_LINE_LIMIT,
  HandoffError, PENDING_LIMIT, START_LINE_LIMIT, type Handoff,
} from '../../src/auth/handoff.ts';
import { prng } from '../support/random.ts';

const BOB: Handoff = {
  protocol: 'imap',
  sessionId: '0123456789ABCDEF',
  user: { id: '6f1c2a4e-0b7d-4d55-9a61-2f3c9e1d7a10', upn: 'bob@contoso.com' },
  mailbox: { id: '6f1c2a4e-0b7d-4d55-9a61-2f3c9e1d7a10', address: 'bob@contoso.com' },
  logonName: 'bob@contoso.com',
  client: { address: '203.0.113.7', port: 51234 },
  frontEnd: 'MAIL01',
  tag: 'a1',
};

const SALES: Handoff = {
  ...BOB,
  user: { id: 'a1d0c7e2-1111-4c2b-8a3e-000000000001', upn: 'alice@contoso.com' },
  mailbox: { id: 'a1d0c7e2-2222-4c2b-8a3e-000000000002', address: 'sales@contoso.com' },
  logonName: 'alice@contoso.com\\sales',
  client: { address: '2001:db8::7', port: 443 },
  tag: 'A0001',
};

const POP: Handoff = { ...BOB, protocol: 'pop', tag: undefined };
delete (POP as Partial<Handoff>).tag;

/** The line a peer would send for an arbitrary JSON value. */
const lineFor = (value: unknown, version = 1) => `MAILROOM-HANDOFF/${version} ${Buffer.from(JSON.stringify(value)).toString('base64')}\r\n`;

test('hand-offs round-trip: own mailbox, a shared mailbox by FullAccess over IPv6, POP3 without a tag', () => {
  for (const handoff of [BOB, SALES, POP, { ...BOB, user: { ...BOB.user, upn: '王小明@例子.公司' }, logonName: '王小明@例子.公司\\销售部' }]) {
    const line = encodeHandoff(handoff);
    assert.match(line, /^MAILROOM-HANDOFF\/1 [A-Za-z0-9+/=]+\r\n$/);
    assert.deepEqual(decodeHandoff(line), handoff);
    assert.deepEqual(decodeHandoff(Buffer.from(line, 'latin1')), handoff);
  }
});

test('a hand-off line that is not exactly right is refused, saying which field', () => {
  const rows: [string, string | Buffer, RegExp][] = [
    ['no prefix', 'HELLO 1\r\n', /does not start with MAILROOM-HANDOFF/],
    ['future version', lineFor(BOB, 2), /version 2 is not understood/],
    ['not base64', 'MAILROOM-HANDOFF/1 @@@@\r\n', /not base64/],
    ['not JSON', `MAILROOM-HANDOFF/1 ${Buffer.from('{').toString('base64')}\r\n`, /not JSON/],
    ['not UTF-8', `MAILROOM-HANDOFF/1 ${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64')}\r\n`, /not UTF-8/],
    ['an array', lineFor([BOB]), /an object is expected/],
    ['unknown field', lineFor({ ...BOB, admin: true }), /unknown field "admin"/],
    ['missing mailbox', lineFor({ ...BOB, mailbox: undefined }), /mailbox is missing/],
    ['other protocol', lineFor({ ...BOB, protocol: 'smtp' }), /protocol: imap or pop/],
    ['session id lower case', lineFor({ ...BOB, sessionId: '0123456789abcdef' }), /sessionId/],
    ['user id with a space', lineFor({ ...BOB, user: { ...BOB.user, id: 'a b' } }), /user\.id/],
    ['UPN with a line break', lineFor({ ...BOB, user: { ...BOB.user, upn: 'bob@contoso.com\r\nX' } }), /user\.upn/],
    ['UPN with a C1 control', lineFor({ ...BOB, user: { ...BOB.user, upn: 'bob\u0085@contoso.com' } }), /user\.upn/],
    ['empty logon name', lineFor({ ...BOB, logonName: '' }), /logonName/],
    ['client not an address', lineFor({ ...BOB, client: { address: 'evil.example', port: 1 } }), /client\.address/],
    ['port out of range', lineFor({ ...BOB, client: { address: '127.0.0.1', port: 70000 } }), /client\.port/],
    ['port as text', lineFor({ ...BOB, client: { address: '127.0.0.1', port: '1' } }), /client\.port/],
    ['front end with a slash', lineFor({ ...BOB, frontEnd: 'MAIL/01' }), /frontEnd/],
    ['IMAP without a tag', lineFor({ ...BOB, tag: undefined }), /tag/],
    ['IMAP tag with a space', lineFor({ ...BOB, tag: 'a 1' }), /tag/],
    ['IMAP tag with a plus', lineFor({ ...BOB, tag: 'a+1' }), /tag/],
    ['POP3 with a tag', lineFor({ ...POP, tag: 'a1' }), /only IMAP4/],
    ['a control byte in the line', 'MAILROOM-HANDOFF/1 \x00\r\n', /printable ASCII/],
    ['too long', `MAILROOM-HANDOFF/1 ${'A'.repeat(HANDOFF_LINE_LIMIT)}\r\n`, /longer than/],
  ];
  for (const [name, line, message] of rows) {
    assert.throws(() => decodeHandoff(line), (err: unknown) => err instanceof HandoffError && message.test(err.message), name);
  }
});

test('encodeHandoff refuses what the other side would refuse', () => {
  assert.throws(() => encodeHandoff({ ...BOB, tag: 'a b' }), HandoffError);
  assert.throws(() => encodeHandoff({ ...BOB, logonName: 'x'.repeat(701) }), HandoffError);
});

test('START carries the TLS state and the pipelined bytes, binary included, up to PENDING_LIMIT', () => {
  const cases = [Buffer.alloc(0), Buffer.from('a2 SELECT INBOX\r\na3 IDLE\r\n'), Buffer.from([0, 255, 13, 10, 128]), Buffer.alloc(PENDING_LIMIT, 0x41)];
  for (const pending of cases) {
    for (const tls of [true, false]) {
      const line = encodeStart({ tls, pending });
      assert.ok(line.length - 2 <= START_LINE_LIMIT);
      assert.deepEqual(decodeStart(line), { tls, pending });
    }
  }
  assert.throws(() => encodeStart({ tls: true, pending: Buffer.alloc(PENDING_LIMIT + 1) }), HandoffError);
  assert.equal(encodeStart({ tls: false, pending: Buffer.alloc(0) }), 'START PLAIN\r\n');
  assert.equal(encodeStart({ tls: true, pending: Buffer.from('a2 NOOP\r\n') }), `START TLS ${Buffer.from('a2 NOOP\r\n').toString('base64')}\r\n`);
  for (const bad of ['START yes\r\n', 'START TLS @\r\n', 'START TLS \r\n', 'START TLS =\r\n', 'START TLS YQ\r\n', `START TLS ${Buffer.alloc(PENDING_LIMIT + 3).toString('base64')}\r\n`]) {
    assert.throws(() => decodeStart(bad), HandoffError, bad.slice(0, 40));
  }
  assert.throws(() => decodeStart('BEGIN x\r\n'), /not START/);
});

test('answers: ACCEPT, or REFUSE with the reply the client gets', () => {
  assert.equal(encodeAnswer({ accepted: true }), 'ACCEPT\r\n');
  assert.deepEqual(decodeAnswer('ACCEPT\r\n'), { accepted: true });
  const refusal = '-ERR [IN-USE] The mailbox is already in use by another POP3 session.';
  assert.equal(encodeAnswer({ accepted: false, response: refusal }), `REFUSE ${refusal}\r\n`);
  assert.deepEqual(decodeAnswer(`REFUSE ${refusal}\r\n`), { accepted: false, response: refusal });
  for (const bad of ['', 'ACCEPTED', 'REFUSE ', 'REFUSE a1 NO\x00', `REFUSE ${'x'.repeat(ANSWER_LINE_LIMIT)}`]) {
    assert.throws(() => decodeAnswer(bad), HandoffError, JSON.stringify(bad));
  }
  assert.throws(() => encodeAnswer({ accepted: false, response: 'a1 NO\r\n* BYE' }), HandoffError);
  assert.equal(answerSafe('a1 NO [UNAVAILABLE] pätsy\r\n'), 'a1 NO [UNAVAILABLE] p?tsy??');
  assert.doesNotThrow(() => encodeAnswer({ accepted: false, response: answerSafe('x'.repeat(5000)) }));
});

// ── Properties ─────────────────────────────────────────────────────────────

test('property: any valid hand-off round-trips; any mutation of a line decodes to a valid hand-off or a HandoffError', () => {
  const random = prng(0x13);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const word = (alphabet: string, min: number, max: number) =>
    Array.from({ length: min + Math.floor(random() * (max - min + 1)) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-';
  const names = `${letters}éü王明@\\`;
  for (let i = 0; i < 400; i++) {
    const protocol = pick(['imap', 'pop'] as const);
    const upn = `${word(names, 1, 30)}@${word(letters, 1, 20)}`;
    const handoff: Handoff = {
      protocol,
      sessionId: word('0123456789ABCDEF', 16, 16),
      user: { id: word(letters, 1, 40), upn },
      mailbox: { id: word(letters, 1, 40), address: `${word(letters, 1, 20)}@x` },
      logonName: random() < 0.5 ? upn : `${upn}\\${word(names, 1, 20)}`,
      client: random() < 0.5
        ? { address: `${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`, port: Math.floor(random() * 65536) }
        : { address: `2001:db8::${Math.floor(random() * 65536).toString(16)}`, port: Math.floor(random() * 65536) },
      frontEnd: `MAIL${word(letters, 0, 10)}`,
      ...(protocol === 'imap' ? { tag: word('abcXYZ0123456789.[]:~|', 1, 12) } : {}),
    };
    const line = encodeHandoff(handoff);
    assert.deepEqual(decodeHandoff(line), handoff);
    // Mutate: flip, insert or drop bytes, in the line or in its decoded JSON.
    for (let j = 0; j < 10; j++) {
      const bytes = Buffer.from(random() < 0.5 ? line : lineFor(JSON.parse(JSON.stringify(handoff).replace(/:"[^"]*"/, ":" + pick(['1', 'null', '"x"', '{}', '[]'])))), 'latin1');
      const at = Math.floor(random() * bytes.length);
      const mutated = pick([
        () => Buffer.concat([bytes.subarray(0, at), Buffer.from([Math.floor(random() * 256)]), bytes.subarray(at)]),
        () => Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]),
        () => { const b = Buffer.from(bytes); b[at] = Math.floor(random() * 256); return b; },
      ])();
      try {
        const decoded = decodeHandoff(mutated);
        // Whatever passes is a hand-off the encoder accepts too.
        assert.deepEqual(decodeHandoff(encodeHandoff(decoded)), decoded);
      } catch (err) {
        assert.ok(err instanceof HandoffError, `unexpected ${String(err)} for ${JSON.stringify(mutated.toString('latin1'))}`);
      }
    }
  }
});
