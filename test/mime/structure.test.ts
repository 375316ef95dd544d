// Targeted ENVELOPE and BODYSTRUCTURE rules beyond the fixtures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { bodyBasic, bodyStructure, envelope, readEnvelope, scanMessage } from '../../src/mime/index.ts';
import { checkBody, checkEnvelope, parseImap } from './imap-grammar.ts';

const msg = (...lines: (string | Buffer)[]) => Buffer.concat(lines.map((l) => Buffer.concat([typeof l === 'string' ? Buffer.from(l) : l, Buffer.from('\r\n')])));
const env = (raw: Buffer, utf8 = false) => envelope(raw, scanMessage(raw), utf8);

test('ENVELOPE: absent fields are NIL, empty Subject is "", first occurrence wins', () => {
  const raw = msg('Subject:', 'From: a@x.example', 'From: b@x.example', '', 'body');
  assert.equal(env(raw), '(NIL "" ((NIL NIL "a" "x.example")) ((NIL NIL "a" "x.example")) ((NIL NIL "a" "x.example")) NIL NIL NIL NIL NIL)');
});

test('ENVELOPE: empty Sender and Reply-To take From (RFC 3501 §7.4.2)', () => {
  const raw = msg('From: A <a@x.example>', 'Sender:', 'Reply-To: ,', '', '');
  const e = readEnvelope(raw, scanMessage(raw));
  assert.deepEqual(e.sender, e.from);
  assert.deepEqual(e.replyTo, e.from);
});

test('ENVELOPE: an empty From stays NIL everywhere', () => {
  assert.equal(env(msg('From:', 'To: b@y.example', '', '')), '(NIL NIL NIL NIL NIL ((NIL NIL "b" "y.example")) NIL NIL NIL NIL)');
});

test('ENVELOPE: raw 8-bit subject mixing text and encoded words becomes one UTF-8 encoding', () => {
  const raw = msg(Buffer.concat([Buffer.from('Subject: '), iconv.encode('报告', 'gbk'), Buffer.from(' =?utf-8?Q?caf=C3=A9?=')]), 'Content-Type: text/plain; charset=gbk', '', 'x');
  const out = env(raw);
  assert.equal(out, `(NIL "=?UTF-8?B?${Buffer.from('报告 café').toString('base64')}?=" NIL NIL NIL NIL NIL NIL NIL NIL)`);
  assert.equal(env(raw, true), '(NIL "报告 =?utf-8?Q?caf=C3=A9?=" NIL NIL NIL NIL NIL NIL NIL NIL)');
});

test('ENVELOPE: quoted-pair and backslash in names are escaped for IMAP', () => {
  const raw = msg('From: "Joe \\"The Dev\\" C:\\\\" <joe@x.example>', '', '');
  const out = env(raw);
  assert.equal(out, '(NIL NIL (("Joe \\"The Dev\\" C:\\\\" NIL "joe" "x.example")) (("Joe \\"The Dev\\" C:\\\\" NIL "joe" "x.example")) (("Joe \\"The Dev\\" C:\\\\" NIL "joe" "x.example")) NIL NIL NIL NIL NIL)');
  checkEnvelope(parseImap(out));
});

test('BODYSTRUCTURE: 8-bit Content-Description as a literal, or UTF-8 with UTF8=ACCEPT', () => {
  const raw = msg('Content-Type: text/plain; charset=utf-8', 'Content-Description: Überblick', '', 'x');
  const root = scanMessage(raw);
  assert.equal(bodyBasic(raw, root), '("text" "plain" ("charset" "utf-8") NIL {10}\r\nÜberblick "7bit" 3 1)');
  assert.equal(bodyBasic(raw, root, { utf8Allowed: true }), '("text" "plain" ("charset" "utf-8") NIL "Überblick" "7bit" 3 1)');
  checkBody(parseImap(bodyStructure(raw, root)), true);
});

test('BODYSTRUCTURE: a multipart that lost its boundary, and one nested too deep, show as opaque data', () => {
  const raw = msg('Content-Type: multipart/mixed; charset=x', '', 'data');
  assert.equal(bodyStructure(raw, scanMessage(raw)), '("application" "octet-stream" ("charset" "x") NIL NIL "7bit" 6 NIL NIL NIL NIL)');
});

test('BODYSTRUCTURE: message/rfc822 inside, non-extensible BODY has no extension data at any level', () => {
  const raw = msg(
    'Content-Type: multipart/mixed; boundary=b',
    '',
    '--b',
    'Content-Type: message/rfc822',
    'Content-Disposition: attachment',
    '',
    'Subject: inner',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Language: en',
    '',
    'hi',
    '--b--',
  );
  const root = scanMessage(raw);
  assert.equal(
    bodyBasic(raw, root),
    '(("message" "rfc822" NIL NIL NIL "7bit" 83 (NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 2 0) 4) "mixed")',
  );
  assert.equal(
    bodyStructure(raw, root),
    '(("message" "rfc822" NIL NIL NIL "7bit" 83 (NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 2 0 NIL NIL ("en") NIL) 4 NIL ("attachment" NIL) NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL)',
  );
});
