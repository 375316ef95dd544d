import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameCommand, literalAnnouncement, splitCommand, ParseError, LITERAL_MINUS_MAX } from '../../../src/imap/protocol/index.ts';

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
