// The tokenizer and the command framer that feeds it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import {
  frameCommand, literalAnnouncement, splitCommand, tokenize, ParseError, LITERAL_MINUS_MAX, type TokenizeOptions,
} from '../../../src/imap/protocol/index.ts';
import { show, type Shown } from './helpers.ts';

const tok = (input: string | Buffer, options?: TokenizeOptions) =>
  show(tokenize(typeof input === 'string' ? Buffer.from(input, 'utf8') : input, options));

const cases: [string, Shown[]][] = [
  ['', []],
  ['A1 NOOP', ['A1', 'NOOP']],
  ['a001 capability', ['a001', 'capability']],
  ['A1  NOOP  ', ['A1', 'NOOP']],
  // Numbers, NIL, sequence sets
  ['A1 FETCH 1 FLAGS', ['A1', 'FETCH', 1, 'FLAGS']],
  ['A1 X 0 007 4294967295', ['A1', 'X', 0, 7, 4294967295]],
  ['A1 X NIL nil Nil', ['A1', 'X', null, null, null]],
  ['A1 X NILS', ['A1', 'X', 'NILS']],
  ['A1 FETCH 1:* FLAGS', ['A1', 'FETCH', { seq: '1:*' }, 'FLAGS']],
  ['A1 FETCH 1,3:5,7:* (UID)', ['A1', 'FETCH', { seq: '1,3:5,7:*' }, ['UID']]],
  ['A1 X * $', ['A1', 'X', { seq: '*' }, { seq: '$' }]],
  ['A1 X 1:2:3 0:1 $1 1,$', ['A1', 'X', '1:2:3', '0:1', '$1', '1,$']],
  // Atoms with the characters clients really put in them
  ['A1 STORE 1 +FLAGS.SILENT (\\Seen $Forwarded)', ['A1', 'STORE', 1, '+FLAGS.SILENT', ['\\Seen', '$Forwarded']]],
  ['A1 LOGIN DOMAIN\\user pass', ['A1', 'LOGIN', 'DOMAIN\\user', 'pass']],
  ['A1 LIST "" INBOX.%', ['A1', 'LIST', { q: '' }, 'INBOX.%']],
  ['A1 LIST "" *', ['A1', 'LIST', { q: '' }, { seq: '*' }]],
  ['A1 SELECT foo]bar', ['A1', 'SELECT', 'foo]bar']],
  ['A1 SELECT foo[bar]', ['A1', 'SELECT', 'foo[bar]']],
  ['A1 X ~tilde', ['A1', 'X', '~tilde']],
  // Quoted strings
  ['A1 LOGIN "user" "pa ss"', ['A1', 'LOGIN', { q: 'user' }, { q: 'pa ss' }]],
  ['A1 X "a\\"b" "c\\\\d"', ['A1', 'X', { q: 'a"b' }, { q: 'c\\d' }]],
  ['A1 X "" ""', ['A1', 'X', { q: '' }, { q: '' }]],
  ['A1 X "(not a list)" "{5}"', ['A1', 'X', { q: '(not a list)' }, { q: '{5}' }]],
  ['A1 X ("a" "b")', ['A1', 'X', [{ q: 'a' }, { q: 'b' }]]],
  // Lists
  ['A1 X ()', ['A1', 'X', []]],
  ['A1 X (a (b (c)) d)', ['A1', 'X', ['a', ['b', ['c']], 'd']]],
  ['A1 X ((a))', ['A1', 'X', [['a']]]],
  ['A1 X ( a b )', ['A1', 'X', ['a', 'b']]],
  // Literals, inline form
  ['A1 LOGIN {4}\r\nuser {4}\r\npass', ['A1', 'LOGIN', { lit: 'user' }, { lit: 'pass' }]],
  ['A1 LOGIN {4+}\r\nuser {4+}\r\npass\r\n', ['A1', 'LOGIN', { 'lit+': 'user' }, { 'lit+': 'pass' }]],
  ['A1 X {0}\r\n', ['A1', 'X', { lit: '' }]],
  ['A1 X ({3}\r\nabc)', ['A1', 'X', [{ lit: 'abc' }]]],
  ['A1 X {5}\r\na\r\nbc', ['A1', 'X', { lit: 'a\r\nbc' }]],
  ['A1 APPEND INBOX ~{3}\r\na\u0000c', ['A1', 'APPEND', 'INBOX', { lit8: 'a\u0000c' }]],
  ['A1 APPEND INBOX ~{3+}\r\nabc', ['A1', 'APPEND', 'INBOX', { 'lit8+': 'abc' }]],
  ['A1 X {2}\nab c', ['A1', 'X', { lit: 'ab' }, 'c']],
  // FETCH sections
  ['A1 FETCH 1 BODY[]', ['A1', 'FETCH', 1, { BODY: [] }]],
  ['A1 FETCH 1 body.peek[header]', ['A1', 'FETCH', 1, { 'BODY.PEEK': ['header'] }]],
  ['A1 FETCH 1 (BODY[1.2.MIME] BODY[TEXT]<0.512>)', ['A1', 'FETCH', 1, [{ BODY: ['1.2.MIME'] }, { BODY: ['TEXT'], partial: [0, 512] }]]],
  [
    'A1 FETCH 1 BODY.PEEK[HEADER.FIELDS (From "To" Subject)]',
    ['A1', 'FETCH', 1, { 'BODY.PEEK': ['HEADER.FIELDS', ['From', { q: 'To' }, 'Subject']] }],
  ],
  ['A1 FETCH 1 BODY[HEADER.FIELDS ({4}\r\nFrom)]', ['A1', 'FETCH', 1, { BODY: ['HEADER.FIELDS', [{ lit: 'From' }]] }]],
  ['A1 FETCH 1 BODY[1]', ['A1', 'FETCH', 1, { BODY: [1] }]],
  ['A1 FETCH 1 (BINARY[1] BINARY.PEEK[2.1]<10.20> BINARY.SIZE[])', [
    'A1', 'FETCH', 1, [{ BINARY: [1] }, { 'BINARY.PEEK': ['2.1'], partial: [10, 20] }, { 'BINARY.SIZE': [] }],
  ]],
  ['A1 FETCH 1 (BODY BODYSTRUCTURE)', ['A1', 'FETCH', 1, ['BODY', 'BODYSTRUCTURE']]],
];

test('tokenizer: table of valid commands', () => {
  for (const [input, expected] of cases) {
    assert.deepEqual(tok(input), expected, JSON.stringify(input));
  }
});

const errors: [string, RegExp][] = [
  ['A1 X (a', /Missing '\)'/],
  ['A1 X a)', /Unexpected '\)'/],
  ['A1 X ((a)', /Missing '\)'/],
  ['A1 X "abc', /Missing '"'/],
  ['A1 X "a\\b"', /Invalid escape/],
  ['A1 X "a"b', /Missing space/],
  ['A1 X (a)(b)', /Missing space/],
  ['A1 X a(b)', /Invalid characters in atom/],
  ['A1 X a"b"', /Invalid characters in atom/],
  ['A1 X a{3}\r\nabc', /Invalid characters in atom/],
  ['A1 X \u0001', /Invalid characters in atom/],
  ['A1 X a\u007fb', /Invalid characters in atom/],
  ['A1 X caf\u00e9', /8-bit data in atom/],
  ['A1 X "caf\u00e9"', /8-bit data in quoted string/],
  ['A1 X {3}\r\nab', /Literal data is incomplete/],
  ['A1 X {3}\r\nabcd', /Missing space|Invalid characters/],
  ['A1 X {3} x\r\nabc', /Unexpected data after the command/],
  ['A1 X {3} x', /Literal announcement must end the line/],
  ['A1 X {x}\r\n', /Invalid literal size|Invalid characters/],
  ['A1 X {}\r\n', /Invalid literal size/],
  ['A1 X {3}\r\na\u0000c', /NUL in literal/],
  ['A1 FETCH 1 BODY[HEADER', /Missing '\]'/],
  ['A1 FETCH 1 BODY[TEXT]<0>', /Invalid partial range/],
  ['A1 FETCH 1 BODY[TEXT]<0.0>', /Invalid partial range/],
  ['A1 FETCH 1 BODY[TEXT]<a.1>', /Invalid partial range/],
  ['A1 FETCH 1 BODY[TEXT]<0.99999999999>', /Invalid partial range/],
  ['A1 FETCH 1 BODY[TEXT]x', /Missing space/],
  ['A1 FETCH 1 (BODY[TEXT)]', /Missing '\)'|Unexpected/],
  ['A1 X ' + '('.repeat(40) + ')'.repeat(40), /Too deeply nested/],
  ['A1 X\r\nA2 Y', /Unexpected data after the command/],
];

test('tokenizer: table of errors, all ParseError', () => {
  for (const [input, message] of errors) {
    assert.throws(() => tok(input), (e: unknown) => e instanceof ParseError && message.test(e.message), JSON.stringify(input));
  }
});

test('tokenizer: segments as the session collects them', () => {
  const tokens = tokenize([
    { text: Buffer.from('A1 APPEND INBOX (\\Seen) {5}'), literal: Buffer.from('hello') },
    { text: Buffer.from(' {2+}'), literal: Buffer.from('hi') },
    { text: Buffer.from('') },
  ]);
  assert.deepEqual(show(tokens), ['A1', 'APPEND', 'INBOX', ['\\Seen'], { lit: 'hello' }, { 'lit+': 'hi' }]);
  // A literal segment at the very end needs no empty segment after it.
  assert.deepEqual(show(tokenize([{ text: Buffer.from('A1 X {1}'), literal: Buffer.from('z') }])), ['A1', 'X', { lit: 'z' }]);
  assert.throws(() => tokenize([{ text: Buffer.from('A1 X {2}'), literal: Buffer.from('z') }]), /does not match/);
  assert.throws(() => tokenize([{ text: Buffer.from('A1 X {1}') }]), /Missing literal data/);
  assert.throws(() => tokenize([{ text: Buffer.from('A1 X'), literal: Buffer.from('z') }]), /Unexpected literal data/);
});

test('tokenizer: literals keep their bytes exactly, CR LF and 8-bit included', () => {
  const body = Buffer.from('Subject: \u4e2d\u6587\r\n\r\n\xff\xfe', 'latin1');
  const input = Buffer.concat([Buffer.from(`A1 APPEND INBOX {${body.length}}\r\n`), body, Buffer.from('\r\n')]);
  const [, , , literal] = tokenize(input);
  assert.ok(literal?.kind === 'string');
  assert.ok(literal.value.equals(body));
});

test('tokenizer: UTF-8 in quoted strings only in UTF-8 mode, and then well formed', () => {
  assert.deepEqual(tok('A1 SELECT "\u5bc4\u4ef6\u5099\u4efd"', { utf8: true }), ['A1', 'SELECT', { q: '\u5bc4\u4ef6\u5099\u4efd' }]);
  assert.throws(() => tok('A1 SELECT "\u5bc4"'), /8-bit data in quoted string/);
  const latin1 = Buffer.concat([Buffer.from('A1 SELECT "'), Buffer.from([0xe9]), Buffer.from('"')]);
  assert.throws(() => tok(latin1, { utf8: true }), /Invalid UTF-8/);
  // The Dovecot-style leniency keeps the raw bytes, whatever they are.
  const big5 = Buffer.concat([Buffer.from('A1 SEARCH CHARSET BIG5 TEXT "'), iconv.encode('\u4e2d\u6587', 'big5'), Buffer.from('"')]);
  const tokens = tokenize(big5, { allow8bitQuoted: true });
  const last = tokens[tokens.length - 1];
  assert.ok(last?.kind === 'string' && last.value.equals(iconv.encode('\u4e2d\u6587', 'big5')));
});

test('tokenizer: number tokens keep their text for range checks', () => {
  const [, , big] = tokenize(Buffer.from('A1 X 123456789012345678901234567890'));
  assert.ok(big?.kind === 'number');
  assert.equal(big.text, '123456789012345678901234567890');
});

test('tokenizer: only ParseError escapes, whatever the nesting', () => {
  const deep = Buffer.from('A1 X ' + '('.repeat(100000));
  assert.throws(() => tokenize(deep), ParseError);
  assert.throws(() => tokenize(deep, { maxDepth: 1000 }), ParseError);
});

// The command framer: where a command ends in a byte stream.

const announce = (line: string) => literalAnnouncement(Buffer.from(line, 'latin1'));

test('literalAnnouncement: which lines end with a literal, and its size and kind', () => {
  const cases: [string, { size: number; nonSync: boolean; binary: boolean; offset: number } | null][] = [
    ['A1 LOGIN {5}', { size: 5, nonSync: false, binary: false, offset: 9 }],
    ['A1 LOGIN {5+}', { size: 5, nonSync: true, binary: false, offset: 9 }],
    ['A1 APPEND INBOX ~{12}', { size: 12, nonSync: false, binary: true, offset: 16 }],
    ['A1 APPEND INBOX ~{12+}', { size: 12, nonSync: true, binary: true, offset: 16 }],
    [' {0}', { size: 0, nonSync: false, binary: false, offset: 1 }],
    ['A1 X ({3}', { size: 3, nonSync: false, binary: false, offset: 6 }],
    ['{7}', { size: 7, nonSync: false, binary: false, offset: 0 }],
    // Marker syntax errors still announce, so the stream stays in step (see literalAnnouncement).
    ['A1 X abc{3}', { size: 3, nonSync: false, binary: false, offset: 8 }],
    ['A1 NOOP', null],
    ['A1 X "{5}"', null],
    ['A1 X "a {5}', null],
    ['A1 X "a\\" {5}', null],
    ['A1 X "a\\\\" {5}', { size: 5, nonSync: false, binary: false, offset: 11 }],
    ['A1 X {}', null],
    ['A1 X {+}', null],
    ['A1 X {5-}', null], // LITERAL- is "{n+}" limited to 4096 octets (RFC 7888 §4), there is no "{n-}"
    ['A1 X {5', null],
    ['A1 X 5}', null],
    ['', null],
  ];
  for (const [line, expected] of cases) assert.deepEqual(announce(line), expected, line);
  assert.equal(announce('A1 X {99999999999999999999999}')?.size, 1e23);
  assert.equal(LITERAL_MINUS_MAX, 4096);
});

test('frameCommand: follows a command through its literals as bytes arrive', () => {
  const whole = Buffer.from('A1 LOGIN {4}\r\nuser {4+}\r\npass\r\nA2 NOOP\r\n');
  const seen: string[] = [];
  for (let n = 0; n <= whole.length; n++) {
    const frame = frameCommand(whole.subarray(0, n));
    seen.push(frame.status === 'literal' ? `literal:${frame.literal.size}:${frame.received}` : frame.status);
  }
  assert.equal(seen[0], 'line');
  assert.ok(seen.includes('literal:4:0'));
  assert.ok(seen.includes('literal:4:3'));
  const done = frameCommand(whole);
  assert.equal(done.status, 'complete');
  if (done.status !== 'complete') return;
  assert.equal(done.length, 'A1 LOGIN {4}\r\nuser {4+}\r\npass\r\n'.length);
  assert.deepEqual(
    done.segments.map((s) => [s.text.toString(), s.literal?.toString()]),
    [['A1 LOGIN {4}', 'user'], [' {4+}', 'pass'], ['', undefined]],
  );
  // The next command follows.
  const rest = frameCommand(whole.subarray(done.length));
  assert.equal(rest.status, 'complete');
});

test('frameCommand: a synchronizing literal is reported before any of it arrives', () => {
  const frame = frameCommand(Buffer.from('A1 APPEND INBOX {1048576}\r\n'));
  assert.equal(frame.status, 'literal');
  if (frame.status !== 'literal') return;
  assert.deepEqual(frame.literal, { size: 1048576, nonSync: false, binary: false, offset: 16 });
  assert.equal(frame.received, 0);
  assert.equal(frame.line.toString(), 'A1 APPEND INBOX {1048576}');
});

test('frameCommand: bare LF ends a line as CRLF does', () => {
  const frame = frameCommand(Buffer.from('A1 LOGIN {1}\nu p\n'));
  assert.equal(frame.status, 'complete');
  if (frame.status === 'complete') assert.deepEqual(frame.segments.map((s) => s.text.toString()), ['A1 LOGIN {1}', ' p']);
});

test('splitCommand: exactly one command, final CRLF optional', () => {
  assert.deepEqual(splitCommand(Buffer.from('A1 NOOP')).map((s) => s.text.toString()), ['A1 NOOP']);
  assert.deepEqual(splitCommand(Buffer.from('A1 NOOP\r\n')).map((s) => s.text.toString()), ['A1 NOOP']);
  assert.deepEqual(splitCommand(Buffer.from('A1 X {2}\r\nab')).map((s) => [s.text.toString(), s.literal?.toString()]), [
    ['A1 X {2}', 'ab'],
    ['', undefined],
  ]);
  assert.throws(() => splitCommand(Buffer.from('A1 X {5}\r\nab')), ParseError);
  assert.throws(() => splitCommand(Buffer.from('A1 X {5}')), ParseError);
  assert.throws(() => splitCommand(Buffer.from('A1 NOOP\r\nA2 NOOP\r\n')), /Unexpected data/);
});
