import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSection, partNumbers, partialWindow, scanMessage, sectionBytes, sectionPart, sectionRange, walkParts } from '../../src/mime/index.ts';
import { leaf, message, multi, render } from './fixture-builder.ts';
import type { ExpectedPart } from './fixture-builder.ts';

// The example structure of RFC 3501 §6.4.5 (FETCH BODY[<section>]):
//   HEADER, TEXT      MULTIPART/MIXED
//   1                 TEXT/PLAIN
//   2                 APPLICATION/OCTET-STREAM
//   3                 MESSAGE/RFC822 (3.HEADER, 3.TEXT: MULTIPART/MIXED, 3.1 TEXT/PLAIN, 3.2 APPLICATION/OCTET-STREAM)
//   4                 MULTIPART/MIXED
//   4.1               IMAGE/GIF (4.1.MIME)
//   4.2               MESSAGE/RFC822 (4.2.HEADER, 4.2.TEXT: MULTIPART/MIXED)
//   4.2.1             TEXT/PLAIN
//   4.2.2             MULTIPART/ALTERNATIVE (4.2.2.1 TEXT/PLAIN, 4.2.2.2 TEXT/RICHTEXT)
const tree = multi('multipart/mixed', ['From: a@example.com', 'Subject: RFC 3501 example', 'To: b@example.com', 'Content-Type: multipart/mixed; boundary=top'], 'top', [
  leaf('text/plain', ['Content-Type: text/plain'], 'part one\n'),
  leaf('application/octet-stream', ['Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64'], 'AAEC\n'),
  message(
    'message/rfc822',
    ['Content-Type: message/rfc822'],
    multi('multipart/mixed', ['Subject: three', 'From: c@example.com', 'Content-Type: multipart/mixed; boundary=three'], 'three', [
      leaf('text/plain', [], '3.1 text\n'),
      leaf('application/octet-stream', ['Content-Type: application/octet-stream'], '3.2 data'),
    ]),
  ),
  multi('multipart/mixed', ['Content-Type: multipart/mixed; boundary=four'], 'four', [
    leaf('image/gif', ['Content-Type: image/gif', 'Content-Transfer-Encoding: base64'], 'R0lGODlh\n'),
    message(
      'message/rfc822',
      ['Content-Type: message/rfc822'],
      multi('multipart/mixed', ['Subject: four two', 'X-Extra: yes', 'Content-Type: multipart/mixed; boundary=fourtwo'], 'fourtwo', [
        leaf('text/plain', [], '4.2.1 text'),
        multi('multipart/alternative', ['Content-Type: multipart/alternative; boundary=alt'], 'alt', [
          leaf('text/plain', [], '4.2.2.1 plain'),
          leaf('text/richtext', ['Content-Type: text/richtext'], '<bold>4.2.2.2</bold>'),
        ]),
      ]),
    ),
  ]),
]);

const expected: ExpectedPart[] = [];
const raw = render(tree, '\r\n', expected);
const root = scanMessage(raw);
// Document order of the builder: 0 root, 1, 2, 3 (rfc822), 4 (its message), 5 = 3.1, 6 = 3.2,
// 7 = part 4, 8 = 4.1, 9 = 4.2, 10 = its message, 11 = 4.2.1, 12 = 4.2.2, 13 = 4.2.2.1, 14 = 4.2.2.2
const E = (i: number) => expected[i]!;
const get = (spec: string) => sectionBytes(raw, sectionRange(root, raw, spec)).toString('latin1');
const str = (b: Buffer) => b.toString('latin1');

test('RFC 3501 §6.4.5 example: every section names the right bytes', () => {
  assert.equal(get(''), str(raw));
  assert.equal(get('HEADER'), str(E(0).header));
  assert.equal(get('TEXT'), str(E(0).body));
  assert.equal(get('1'), 'part one\r\n');
  assert.equal(get('1.MIME'), 'Content-Type: text/plain\r\n\r\n');
  assert.equal(get('2'), 'AAEC\r\n');
  assert.equal(get('3'), str(E(3).body));
  assert.equal(get('3.MIME'), str(E(3).header));
  assert.equal(get('3.HEADER'), str(E(4).header));
  assert.equal(get('3.TEXT'), str(E(4).body));
  assert.equal(get('3.1'), '3.1 text\r\n');
  assert.equal(get('3.2'), '3.2 data');
  assert.equal(get('4'), str(E(7).body));
  assert.equal(get('4.1'), 'R0lGODlh\r\n');
  assert.equal(get('4.1.MIME'), 'Content-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\r\n');
  assert.equal(get('4.2'), str(E(9).body));
  assert.equal(get('4.2.HEADER'), str(E(10).header));
  assert.equal(get('4.2.TEXT'), str(E(10).body));
  assert.equal(get('4.2.1'), '4.2.1 text');
  assert.equal(get('4.2.2'), str(E(12).body));
  assert.equal(get('4.2.2.1'), '4.2.2.1 plain');
  assert.equal(get('4.2.2.2'), '<bold>4.2.2.2</bold>');
  assert.equal(get('4.2.2.2.MIME'), 'Content-Type: text/richtext\r\n\r\n');
});

test('HEADER.FIELDS and HEADER.FIELDS.NOT build the selected fields plus the blank line', () => {
  assert.equal(get('HEADER.FIELDS (SUBJECT from)'), 'From: a@example.com\r\nSubject: RFC 3501 example\r\n\r\n');
  assert.equal(get('header.fields.not (Content-Type TO)'), 'From: a@example.com\r\nSubject: RFC 3501 example\r\n\r\n');
  assert.equal(get('HEADER.FIELDS ("X-Nothing")'), '\r\n');
  assert.equal(get('4.2.HEADER.FIELDS (X-Extra)'), 'X-Extra: yes\r\n\r\n');
  const r = sectionRange(root, raw, 'HEADER.FIELDS (From)');
  assert.ok(r.found && r.data !== null);
});

test('invalid sections name nothing', () => {
  for (const spec of ['5', '0.1', '1.1', '2.HEADER', '2.TEXT', '1.2', '4.3', '4.1.1', '3.3', '4.2.2.3', '99999999999', '4.HEADER.FIELDS (A)']) {
    const r = sectionRange(root, raw, spec);
    assert.equal(r.found, false, spec);
    assert.equal(sectionBytes(raw, r).length, 0, spec);
  }
});

test('section syntax', () => {
  assert.deepEqual(parseSection(''), { path: [], text: null, fields: [] });
  assert.deepEqual(parseSection('1.2.3'), { path: [1, 2, 3], text: null, fields: [] });
  assert.deepEqual(parseSection('2.header'), { path: [2], text: 'header', fields: [] });
  assert.deepEqual(parseSection('HEADER.FIELDS (Date "Message-ID" x-y)'), { path: [], text: 'fields', fields: ['DATE', 'MESSAGE-ID', 'X-Y'] });
  assert.deepEqual(parseSection('1.HEADER.FIELDS.NOT (To)'), { path: [1], text: 'fields-not', fields: ['TO'] });
  for (const bad of ['MIME', '1.', '.1', '01', '1..2', 'HEADER.FIELDS', 'HEADER.FIELDS ()', 'HEADER.FIELDS (a', 'BODY', '1.FOO', '1 2']) {
    assert.equal(parseSection(bad), null, bad);
  }
});

test('a single-part message: part 1 is its body, 1.MIME its header', () => {
  const single = Buffer.from('Subject: s\r\nContent-Type: text/plain\r\n\r\nhello\r\n');
  const r = scanMessage(single);
  const g = (spec: string) => sectionBytes(single, sectionRange(r, single, spec)).toString();
  assert.equal(g('1'), 'hello\r\n');
  assert.equal(g('TEXT'), 'hello\r\n');
  assert.equal(g('1.MIME'), 'Subject: s\r\nContent-Type: text/plain\r\n\r\n');
  assert.equal(sectionRange(r, single, '1.1').found, false);
  assert.equal(sectionRange(r, single, '2').found, false);
  assert.equal(sectionRange(r, single, '1.HEADER').found, false);
});

test('a message whose body is message/rfc822: 1 is the inner message, 1.1 its body', () => {
  const msg = Buffer.from('Subject: outer\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body');
  const r = scanMessage(msg);
  const g = (spec: string) => sectionBytes(msg, sectionRange(r, msg, spec)).toString();
  assert.equal(g('1'), 'Subject: inner\r\n\r\ninner body');
  assert.equal(g('1.HEADER'), 'Subject: inner\r\n\r\n');
  assert.equal(g('1.TEXT'), 'inner body');
  assert.equal(g('1.1'), 'inner body');
  assert.equal(g('1.1.MIME'), 'Subject: inner\r\n\r\n');
});

test('HEADER.FIELDS on a header cut off at the end of the data still ends with CRLF', () => {
  const msg = Buffer.from('Subject: a\r\nX-Last: b');
  const r = scanMessage(msg);
  assert.equal(sectionBytes(msg, sectionRange(r, msg, 'HEADER.FIELDS (X-Last)')).toString(), 'X-Last: b\r\n\r\n');
});

test('partial fetch windows', () => {
  assert.deepEqual(partialWindow(100, 0, 10), { start: 0, end: 10 });
  assert.deepEqual(partialWindow(100, 95, 10), { start: 95, end: 100 });
  assert.deepEqual(partialWindow(100, 150, 10), { start: 100, end: 100 });
  assert.deepEqual(partialWindow(0, 0, 0), { start: 0, end: 0 });
});

test('part numbers as FETCH names them', () => {
  const numbers = partNumbers(root);
  assert.deepEqual(walkParts(root).map((p) => numbers.get(p)), ['', '1', '2', '3', '3', '3.1', '3.2', '4', '4.1', '4.2', '4.2', '4.2.1', '4.2.2', '4.2.2.1', '4.2.2.2']);
});

test('sectionPart: the part whose body BODY[n] names, for BINARY[n] to decode (RFC 3516 §4.2)', () => {
  const parts = walkParts(root);
  const numbered = (path: number[]) => sectionPart(root, path);
  assert.equal(numbered([]), root);
  // Document order as above: 1 = part 1, 3 = the message/rfc822 part 3 (not its message), 7 = part 4.
  assert.equal(numbered([1]), parts[1]);
  assert.equal(numbered([3]), parts[3]);
  assert.equal(numbered([3, 2]), parts[6]);
  assert.equal(numbered([4]), parts[7]);
  assert.equal(numbered([4, 2]), parts[9]);
  assert.equal(numbered([4, 2, 2, 1]), parts[13]);
  // Its bytes are always what BODY[n] returns.
  for (const path of [[1], [2], [3], [3, 1], [4], [4, 1], [4, 2], [4, 2, 1], [4, 2, 2], [4, 2, 2, 2]]) {
    const part = numbered(path)!;
    assert.equal(str(raw.subarray(part.bodyStart, part.bodyEnd)), get(path.join('.')), path.join('.'));
  }
  for (const missing of [[5], [1, 1], [3, 3], [4, 2, 2, 3], [0], [Number.POSITIVE_INFINITY]]) assert.equal(numbered(missing), null, missing.join('.'));
  // A single-part message: part 1 is the message itself, so its Content-Transfer-Encoding applies.
  const single = scanMessage(Buffer.from('Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n'));
  assert.equal(sectionPart(single, [1]), single);
  assert.equal(sectionPart(single, [1])!.encoding, 'base64');
  assert.equal(sectionPart(single, [2]), null);
});
