import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuCost } from '../support/cpu-time.ts';
import { MAX_DEPTH, MAX_PARTS, bodyStructure, mimeType, scanMessage, walkParts } from '../../src/mime/index.ts';
import type { MessagePart } from '../../src/mime/index.ts';
import { checkBody, parseImap } from './imap-grammar.ts';

const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'latin1');
const bodyOf = (raw: Buffer, p: MessagePart) => raw.toString('latin1', p.bodyStart, p.bodyEnd);

test('single part: header range includes the blank line, body follows it', () => {
  const raw = crlf('Subject: x\nContent-Type: text/plain\n\nline 1\nline 2\n');
  const root = scanMessage(raw);
  assert.equal(root.headerStart, 0);
  assert.equal(raw.toString('latin1', root.headerStart, root.headerEnd), 'Subject: x\r\nContent-Type: text/plain\r\n\r\n');
  assert.equal(bodyOf(raw, root), 'line 1\r\nline 2\r\n');
  assert.equal(root.bodyLines, 2);
  assert.deepEqual(root.fields.map((f) => f.name), ['Subject', 'Content-Type']);
});

test('body-fld-lines counts line ends: text after the last one is not a line (RFC 5322 §2.1)', () => {
  const single: [string, number][] = [
    ['', 0],
    ['a', 0],
    ['a\r\n', 1],
    ['a\r\nb', 1],
    ['a\r\nb\r\n', 2],
    ['\r\n\r\n', 2],
    ['a\nb\n', 2],
    ['a\rb', 0],
  ];
  for (const [body, lines] of single) {
    const root = scanMessage(Buffer.from(`Subject: x\r\n\r\n${body}`, 'latin1'));
    assert.equal(root.bodySize, body.length, JSON.stringify(body));
    assert.equal(root.bodyLines, lines, JSON.stringify(body));
  }
  // In a multipart the line break before a boundary is the boundary's (RFC 2046 §5.1.1).
  const inPart: [string, number][] = [
    ['', 0],
    ['a', 0],
    ['a\r\n', 1],
    ['a\r\nb', 1],
    ['a\r\n\r\n', 2],
  ];
  for (const [body, lines] of inPart) {
    const raw = Buffer.from(`Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n\r\n${body}\r\n--m--\r\n`, 'latin1');
    const part = scanMessage(raw).children[0]!;
    assert.equal(bodyOf(raw, part), body);
    assert.equal(part.bodyLines, lines, JSON.stringify(body));
  }
});

test('a header without a blank line owns the whole message', () => {
  const raw = crlf('Subject: only\nX-Other: y');
  const root = scanMessage(raw);
  assert.equal(root.headerEnd, raw.length);
  assert.equal(root.bodySize, 0);
  assert.equal(root.fields.length, 2);
});

test('a message that starts with the blank line has an empty header', () => {
  const raw = crlf('\nbody\n');
  const root = scanMessage(raw);
  assert.equal(root.headerEnd, 2);
  assert.equal(bodyOf(raw, root), 'body\r\n');
  assert.equal(mimeType(root), 'text/plain');
});

test('bare CR is data, not a line end', () => {
  const raw = Buffer.from('Subject: a\rb\r\n\r\nbody\rmore', 'latin1');
  const root = scanMessage(raw);
  assert.equal(root.fields.length, 1);
  assert.equal(bodyOf(raw, root), 'body\rmore');
  assert.equal(root.bodyLines, 0);
});

test('mixed CRLF and LF line ends', () => {
  const raw = Buffer.from('Content-Type: multipart/mixed; boundary=m\n\r\n--m\r\n\nA\n--m\r\n\r\nB\r\n--m--\n', 'latin1');
  const root = scanMessage(raw);
  assert.deepEqual(root.children.map((c) => bodyOf(raw, c)), ['A', 'B']);
});

test('boundary lines: exact match, transport padding, close delimiter, no prefix match', () => {
  const raw = crlf(
    'Content-Type: multipart/mixed; boundary=b\n\n--bx\nnot a boundary\n--b \t\nContent-Type: text/plain\n\none\n--b--x\nstill one\n--b--  \nepilogue\n--b\nignored after close\n',
  );
  const root = scanMessage(raw);
  assert.equal(root.children.length, 1);
  assert.equal(bodyOf(raw, root.children[0]!), 'one\r\n--b--x\r\nstill one');
});

test('preamble and epilogue are not parts; the first boundary may open the body', () => {
  const raw = crlf('Content-Type: multipart/mixed; boundary=q\n\n--q\n\nfirst\n--q\n\nsecond\n--q--\n');
  const root = scanMessage(raw);
  assert.deepEqual(root.children.map((c) => bodyOf(raw, c)), ['first', 'second']);
  assert.equal(root.children[0]!.headerStart, raw.indexOf('--q') + 5);
});

test('default content types: text/plain; charset=us-ascii, message/rfc822 inside multipart/digest', () => {
  const raw = crlf('Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: inner\n\nx\n--d\nContent-Type: text/plain\n\ny\n--d--\n');
  const root = scanMessage(raw);
  assert.deepEqual(walkParts(root).map(mimeType), ['multipart/digest', 'message/rfc822', 'text/plain', 'text/plain']);
  assert.equal(root.children[0]!.contentType.source, 'default');
  const inner = root.children[0]!.children[0]!;
  assert.equal(inner.contentType.source, 'default');
  assert.deepEqual(inner.contentType.params.map((p) => [p.name, p.value]), [['charset', 'us-ascii']]);
});

test('an invalid Content-Type reads as text/plain; charset=us-ascii', () => {
  for (const ct of ['text', 'text/', '/plain', 'text/plain/x', 'te xt/plain', '']) {
    const root = scanMessage(crlf(`Content-Type: ${ct}\n\nx`));
    assert.equal(mimeType(root), 'text/plain', ct);
    assert.equal(root.contentType.source, 'invalid', ct);
  }
});

test('blanks and comments around the media type are allowed (RFC 822 lexical rules)', () => {
  const root = scanMessage(crlf('Content-Type: (lead) Text / HTML (trail) ; charset=utf-8\n\nx'));
  assert.equal(mimeType(root), 'text/html');
  assert.equal(root.contentType.source, 'header');
});

test('message/rfc822 with a base64 transfer encoding is not opened', () => {
  const root = scanMessage(crlf('Content-Type: message/rfc822\nContent-Transfer-Encoding: BASE64\n\nU3ViamVjdDogeA0KDQp5\n'));
  assert.equal(root.kind, 'opaque');
  assert.equal(root.children.length, 0);
});

test('Content-* fields are parsed onto the part', () => {
  const root = scanMessage(
    crlf(
      'Content-Type: Image/PNG; Name="a b.png"\nContent-Transfer-Encoding: Base64 (comment)\nContent-ID: <x@y>\nContent-Description: A picture\nContent-Disposition: INLINE; filename=a.png\nContent-Language: en (English), de\nContent-Location: cid:here\nContent-MD5: abc=\n\nAAAA',
    ),
  );
  assert.equal(mimeType(root), 'image/png');
  assert.deepEqual(root.contentType.params.map((p) => [p.name, p.value]), [['name', 'a b.png']]);
  assert.equal(root.encoding, 'base64');
  assert.equal(root.id, '<x@y>');
  assert.equal(root.description, 'A picture');
  assert.deepEqual(root.disposition, { type: 'inline', params: [{ name: 'filename', value: 'a.png', charset: null, language: null, raw: 'a.png' }] });
  assert.deepEqual(root.language, ['en', 'de']);
  assert.equal(root.location, 'cid:here');
  assert.equal(root.md5, 'abc=');
});

test(`nesting deeper than ${MAX_DEPTH} levels stops opening containers, quickly`, () => {
  const levels = 1000;
  let head = '';
  let tail = '';
  for (let i = 0; i < levels; i++) {
    head += `Content-Type: multipart/mixed; boundary=n${i}\r\n\r\n--n${i}\r\n`;
    tail = `\r\n--n${i}--\r\n` + tail;
  }
  const raw = Buffer.from(head + 'Content-Type: text/plain\r\n\r\nleaf' + tail);
  const { result: root, ms } = cpuCost(() => scanMessage(raw));
  const parts = walkParts(root);
  assert.ok(ms < 1000, `${ms} ms of CPU`);
  assert.equal(Math.max(...parts.map((p) => p.depth)), MAX_DEPTH);
  const deepest = parts.find((p) => p.depth === MAX_DEPTH)!;
  assert.equal(deepest.kind, 'opaque');
  checkBody(parseImap(bodyStructure(raw, root)), true);
});

test('deeply nested message/rfc822 stops at the depth limit too', () => {
  const raw = Buffer.from('Content-Type: message/rfc822\r\n\r\n'.repeat(500) + 'Subject: bottom\r\n\r\nx');
  const parts = walkParts(scanMessage(raw));
  assert.equal(parts.length, MAX_DEPTH + 1);
  assert.equal(parts[parts.length - 1]!.kind, 'opaque');
});

test(`at most ${MAX_PARTS} parts; the rest stays in the enclosing body`, () => {
  const count = 15_000;
  const raw = Buffer.from('Content-Type: multipart/mixed; boundary=p\r\n\r\n' + '--p\r\n\r\nx\r\n'.repeat(count) + '--p--\r\n');
  const { result: root, ms } = cpuCost(() => scanMessage(raw));
  assert.ok(ms < 2000, `${ms} ms of CPU`);
  assert.equal(walkParts(root).length, MAX_PARTS);
  assert.equal(root.bodyEnd, raw.length);
  checkBody(parseImap(bodyStructure(raw, root)), true);
});

test('huge header lines and long bodies are scanned in linear time', () => {
  const raw = Buffer.concat([Buffer.from('X-Big: '), Buffer.alloc(8 << 20, 0x61), Buffer.from('\r\nSubject: s\r\n\r\n'), Buffer.alloc(4 << 20, 0x2d)]);
  const { result: root, ms } = cpuCost(() => scanMessage(raw));
  assert.ok(ms < 2000, `${ms} ms of CPU`);
  assert.equal(root.fields.length, 2);
  assert.equal(root.bodySize, 4 << 20);
});

test('many colon-less header lines do not rescan the message', () => {
  const raw = Buffer.from('junk line\r\n'.repeat(50_000) + 'Subject: s\r\n\r\nbody');
  const { result: root, ms } = cpuCost(() => scanMessage(raw));
  assert.ok(ms < 1000, `${ms} ms of CPU`);
  assert.equal(root.fields.filter((f) => f.name === '').length, 50_000);
});

test('never throws on degenerate input', () => {
  for (const s of ['', '\r', '\n', '\r\n', '--', ':', '\r\n\r\n', 'Content-Type: multipart/mixed; boundary=x\r\n\r\n--x', 'Content-Type: multipart/mixed; boundary=x\r\n\r\n--x--', 'Content-Type: message/rfc822\r\n\r\n']) {
    const raw = Buffer.from(s, 'latin1');
    const root = scanMessage(raw);
    checkBody(parseImap(bodyStructure(raw, root)), true);
  }
});
