// FETCH, STORE, COPY, MOVE and EXPUNGE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSection, type SectionSpec } from '../../../src/mime/index.ts';
import { STAR, type FetchItem } from '../../../src/imap/protocol/index.ts';
import { argsOf, parseError } from './helpers.ts';

const items = (line: string) => argsOf(line, 'FETCH').items;
const attr = (name: string): FetchItem => ({ kind: 'attribute', name } as FetchItem);

test('FETCH: macros expand (RFC 3501 §6.4.5)', () => {
  assert.deepEqual(argsOf('A FETCH 1:* ALL', 'FETCH'), {
    set: { ranges: [[1, STAR]] },
    items: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'].map(attr),
    macro: 'ALL',
    changedSince: null,
    vanished: false,
  });
  assert.deepEqual(items('A FETCH 1 fast'), ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'].map(attr));
  assert.deepEqual(items('A FETCH 1 FULL'), ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'].map(attr));
  assert.match(parseError('A FETCH 1 (ALL)').message, /Unknown FETCH item ALL/);
});

test('FETCH: every simple data item, single or in a list', () => {
  const names = ['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY', 'BODYSTRUCTURE', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT', 'MODSEQ'];
  for (const name of names) assert.deepEqual(items(`A FETCH 1 ${name.toLowerCase()}`), [attr(name)], name);
  assert.deepEqual(items(`A FETCH 1 (${names.join(' ')})`), names.map(attr));
  assert.match(parseError('A FETCH 1 (FLAGS FOO)').message, /Unknown FETCH item FOO/);
  assert.match(parseError('A FETCH 1 ()').message, /Missing FETCH items/);
  assert.match(parseError('A FETCH 1').message, /Missing FETCH items/);
  assert.match(parseError('A FETCH FLAGS').message, /Invalid sequence set/);
  assert.match(parseError('A FETCH 1 "FLAGS"').message, /Unknown FETCH item/);
});

test('FETCH: BODY[section]<partial> and BODY.PEEK', () => {
  const cases: [string, FetchItem][] = [
    ['BODY[]', { kind: 'body', peek: false, section: { path: [], text: null, fields: [] }, partial: null }],
    ['BODY.PEEK[]', { kind: 'body', peek: true, section: { path: [], text: null, fields: [] }, partial: null }],
    ['BODY[HEADER]', { kind: 'body', peek: false, section: { path: [], text: 'header', fields: [] }, partial: null }],
    ['BODY[TEXT]<0.2048>', { kind: 'body', peek: false, section: { path: [], text: 'text', fields: [] }, partial: { offset: 0, length: 2048 } }],
    ['BODY[1]', { kind: 'body', peek: false, section: { path: [1], text: null, fields: [] }, partial: null }],
    ['BODY[4.2.1]', { kind: 'body', peek: false, section: { path: [4, 2, 1], text: null, fields: [] }, partial: null }],
    ['body.peek[2.mime]', { kind: 'body', peek: true, section: { path: [2], text: 'mime', fields: [] }, partial: null }],
    ['BODY[3.1.HEADER]', { kind: 'body', peek: false, section: { path: [3, 1], text: 'header', fields: [] }, partial: null }],
    [
      'BODY.PEEK[HEADER.FIELDS (From "Subject" {4}\r\nDate)]',
      { kind: 'body', peek: true, section: { path: [], text: 'fields', fields: ['FROM', 'SUBJECT', 'DATE'] }, partial: null },
    ],
    [
      'BODY[1.HEADER.FIELDS.NOT (Received)]<10.5>',
      { kind: 'body', peek: false, section: { path: [1], text: 'fields-not', fields: ['RECEIVED'] }, partial: { offset: 10, length: 5 } },
    ],
  ];
  for (const [spec, expected] of cases) assert.deepEqual(items(`A FETCH 1 ${spec}`), [expected], spec);
  const errors: [string, RegExp][] = [
    ['BODY[MIME]', /Invalid section/],
    ['BODY[0]', /Invalid section part number/],
    ['BODY[01]', /Invalid section part number/],
    ['BODY[1.]', /Invalid section/],
    ['BODY[.TEXT]', /Invalid section/],
    ['BODY[FOO]', /Invalid section/],
    ['BODY[HEADER.FIELDS]', /Missing header field list/],
    ['BODY[HEADER.FIELDS ()]', /Missing header field name/],
    ['BODY[HEADER.FIELDS (A:B)]', /Invalid header field name/],
    ['BODY[HEADER (From)]', /Unexpected extra arguments/],
    ['BODY[TEXT TEXT]', /Unexpected extra arguments/],
    ['BODY[(TEXT)]', /Invalid section/],
    ['BODY[TEXT]<5>', /Invalid partial range/],
  ];
  for (const [spec, message] of errors) assert.match(parseError(`A FETCH 1 ${spec}`).message, message, spec);
});

test('FETCH: sections have the shape src/mime takes, with the same meaning', () => {
  const specs = ['', 'HEADER', 'TEXT', '1', '4.2.1', '2.MIME', '3.1.HEADER', '1.TEXT', 'HEADER.FIELDS (From To)', '2.HEADER.FIELDS.NOT (Received)'];
  for (const spec of specs) {
    const [item] = items(`A FETCH 1 BODY[${spec}]`);
    assert.ok(item?.kind === 'body');
    const shaped: SectionSpec = item.section;
    assert.deepEqual(shaped, parseSection(spec), spec);
  }
});

test('FETCH: BINARY, BINARY.PEEK, BINARY.SIZE (RFC 3516)', () => {
  assert.deepEqual(items('A FETCH 1 (BINARY[] BINARY.PEEK[1.2]<0.100> BINARY.SIZE[3])'), [
    { kind: 'binary', peek: false, part: [], partial: null },
    { kind: 'binary', peek: true, part: [1, 2], partial: { offset: 0, length: 100 } },
    { kind: 'binary-size', part: [3] },
  ]);
  assert.match(parseError('A FETCH 1 BINARY[TEXT]').message, /Invalid BINARY section/);
  assert.match(parseError('A FETCH 1 BINARY[1.MIME]').message, /Invalid BINARY section/);
  assert.match(parseError('A FETCH 1 BINARY.SIZE[1]<0.10>').message, /BINARY.SIZE takes no partial range/);
});

test('FETCH: CHANGEDSINCE and VANISHED modifiers (RFC 7162)', () => {
  const changed = argsOf('A FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)', 'FETCH');
  assert.deepEqual([changed.changedSince, changed.vanished], [12345, false]);
  const vanished = argsOf('A UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)', 'FETCH');
  assert.deepEqual([vanished.changedSince, vanished.vanished], [12345, true]);
  assert.match(parseError('A FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)').message, /VANISHED needs UID FETCH/);
  assert.match(parseError('A UID FETCH 1:* (FLAGS) (VANISHED)').message, /VANISHED needs UID FETCH with CHANGEDSINCE/);
  assert.match(parseError('A FETCH 1 FLAGS (FOO)').message, /Unknown FETCH modifier FOO/);
  assert.match(parseError('A FETCH 1 FLAGS (CHANGEDSINCE)').message, /Missing mod-sequence value/);
  assert.match(parseError('A FETCH 1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)').message, /CHANGEDSINCE given twice/);
  assert.match(parseError('A FETCH 1 FLAGS CHANGEDSINCE 1').message, /parenthesized list/);
});

test('FETCH: sequence sets, `$`, and the Thunderbird forms', () => {
  assert.deepEqual(argsOf('86 UID fetch 1:* (FLAGS)', 'FETCH').set, { ranges: [[1, STAR]] });
  assert.equal(argsOf('A FETCH $ FLAGS', 'FETCH').set, '$');
  assert.deepEqual(argsOf('A FETCH 2,4:6,*:9 FLAGS', 'FETCH').set, { ranges: [[2, 2], [4, 6], [STAR, 9]] });
  const tb = argsOf('88 UID fetch 29 (UID RFC822.SIZE BODY.PEEK[])', 'FETCH');
  assert.deepEqual(tb.items, [attr('UID'), attr('RFC822.SIZE'), { kind: 'body', peek: true, section: { path: [], text: null, fields: [] }, partial: null }]);
  for (const bad of ['0', '0:5', '1:0', '01', '4294967296', '1,,2', '1:', ':1', '$,1', 'abc']) {
    assert.match(parseError(`A FETCH ${bad} FLAGS`).message, /Invalid sequence set/, bad);
  }
});

test('STORE: operations, .SILENT, flag forms, UNCHANGEDSINCE', () => {
  assert.deepEqual(argsOf('A STORE 2:4 +FLAGS (\\Deleted)', 'STORE'), {
    set: { ranges: [[2, 4]] },
    operation: 'add',
    silent: false,
    flags: ['\\Deleted'],
    unchangedSince: null,
  });
  assert.deepEqual(argsOf('A STORE 1 -flags.silent \\seen $Junk', 'STORE'), {
    set: { ranges: [[1, 1]] },
    operation: 'remove',
    silent: true,
    flags: ['\\Seen', '$Junk'],
    unchangedSince: null,
  });
  assert.deepEqual(argsOf('A UID STORE 1:* FLAGS ()', 'STORE').flags, []);
  assert.equal(argsOf('A UID STORE 1:* FLAGS ()', 'STORE').operation, 'replace');
  assert.equal(argsOf('A STORE 1 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)', 'STORE').unchangedSince, 320162338);
  assert.equal(argsOf('A STORE 1 (UNCHANGEDSINCE 0) FLAGS (\\Seen)', 'STORE').unchangedSince, 0);
  assert.deepEqual(argsOf('A STORE 1 FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\X-Ext kw)', 'STORE').flags, [
    '\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', '\\X-Ext', 'kw',
  ]);
  const errors: [string, RegExp][] = [
    ['A STORE 1 FLAG (\\Seen)', /Invalid STORE data item/],
    ['A STORE 1 +FLAGS.LOUD (\\Seen)', /Invalid STORE data item/],
    ['A STORE 1 +FLAGS', /Missing flag/],
    ['A STORE 1 +FLAGS (\\*)', /Invalid flag/],
    ['A STORE 1 +FLAGS (a%b)', /Invalid flag/],
    ['A STORE 1 +FLAGS ("quoted")', /Invalid flag/],
    ['A STORE 1 +FLAGS (\\Seen) extra', /Unexpected extra arguments/],
    ['A STORE 1 (CHANGEDSINCE 5) FLAGS ()', /Unknown STORE modifier CHANGEDSINCE/],
    ['A STORE 1 (UNCHANGEDSINCE) FLAGS ()', /Missing mod-sequence value/],
  ];
  for (const [line, message] of errors) assert.match(parseError(line).message, message, line);
});

test('COPY, MOVE (RFC 6851), UID EXPUNGE (RFC 4315)', () => {
  assert.deepEqual(argsOf('A COPY 2:4 "Sent Items"', 'COPY'), { set: { ranges: [[2, 4]] }, mailbox: 'Sent Items' });
  assert.deepEqual(argsOf('A UID MOVE 42,44:* Trash', 'MOVE'), { set: { ranges: [[42, 42], [44, STAR]] }, mailbox: 'Trash' });
  assert.deepEqual(argsOf('A UID COPY $ Archive', 'COPY'), { set: '$', mailbox: 'Archive' });
  assert.deepEqual(argsOf('A UID EXPUNGE 3000:3002', 'EXPUNGE'), { set: { ranges: [[3000, 3002]] } });
  assert.match(parseError('A UID EXPUNGE').message, /Missing UID set/);
  assert.match(parseError('A COPY 1').message, /Missing mailbox name/);
  assert.match(parseError('A MOVE 1 a b').message, /Unexpected extra arguments/);
});
