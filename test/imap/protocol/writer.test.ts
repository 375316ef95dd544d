import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  astring, codes, continuation, esearch, fetchItemLabel, flagList, formatDateTime, imapString, isAtom, join, list,
  literal, mailboxName, nstring, parseCommand, parseDateTime, parseSearchDate, quoted, tagged, untagged,
  untaggedStatus, vanished, ByteLines, MAX_QUOTED_LENGTH,
} from '../../../src/imap/protocol/index.ts';
import { argsOf } from './helpers.ts';
import { prng, randomInt } from '../../support/random.ts';

test('quoted, literal', () => {
  assert.equal(quoted('a b'), '"a b"');
  assert.equal(quoted('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"');
  assert.throws(() => quoted('a\r\nb'), RangeError);
  assert.deepEqual(literal(Buffer.from('a\r\nb')), Buffer.from('{4}\r\na\r\nb'));
  assert.deepEqual(literal('\u4e2d'), Buffer.from('{3}\r\n\u4e2d'));
  assert.deepEqual(literal(Buffer.from([0, 1]), { binary: true }), Buffer.from('~{2}\r\n\u0000\u0001', 'latin1'));
});

test('imapString chooses atom, quoted or literal', () => {
  const cases: [string, Parameters<typeof imapString>[1], string][] = [
    ['INBOX', { atom: true }, 'INBOX'],
    ['INBOX', {}, '"INBOX"'],
    ['NIL', { atom: true }, '"NIL"'],
    ['nil', { atom: true }, '"nil"'],
    ['', { atom: true }, '""'],
    ['Sent Items', { atom: true }, '"Sent Items"'],
    ['a%b', { atom: true }, '"a%b"'],
    ['a*b', { atom: true }, '"a*b"'],
    ['a]b', { atom: true }, '"a]b"'],
    ['a\\b', { atom: true }, '"a\\\\b"'],
    ['a(b', { atom: true }, '"a(b"'],
    ['a{b', { atom: true }, '"a{b"'],
    ['&W8RO9lCZTv0-/2026', { atom: true }, '&W8RO9lCZTv0-/2026'],
    ['line\r\nbreak', {}, '{11}\r\nline\r\nbreak'],
    ['caf\u00e9', {}, '{5}\r\ncaf\u00e9'],
    ['caf\u00e9', { utf8: true }, '"caf\u00e9"'],
    ['caf\u00e9', { utf8: true, atom: true }, '"caf\u00e9"'],
    ['a\u0000b', {}, '"ab"'],
  ];
  for (const [s, options, expected] of cases) assert.equal(imapString(s, options), expected, JSON.stringify([s, options]));
  const long = 'x '.repeat(MAX_QUOTED_LENGTH);
  assert.equal(imapString(long), `{${long.length}}\r\n${long}`);
  assert.equal(astring('Drafts'), 'Drafts');
  assert.equal(nstring(null), 'NIL');
  assert.equal(nstring('NIL'), '"NIL"');
  assert.equal(nstring('x'), '"x"');
  assert.equal(isAtom('\\Seen'), false);
  assert.equal(isAtom('$Forwarded'), true);
});

test('strings written by the writer read back through the parser', () => {
  const samples = ['plain', 'Sent Items', 'quote " and \\ backslash', 'multi\r\nline', '\u5bc4\u4ef6\u5099\u4efd', 'NIL', '', 'a]b[c'];
  for (const s of samples) {
    for (const utf8 of [false, true]) {
      const line = `A LOGIN ${astring(s, { utf8 })} ${imapString(s, { utf8 })}`;
      assert.deepEqual(argsOf(line, 'LOGIN', { utf8 }), { username: s, password: s }, line);
    }
  }
});

test('mailboxName writes mUTF-7 or UTF-8 by mode', () => {
  assert.equal(mailboxName('INBOX'), 'INBOX');
  assert.equal(mailboxName('\u5bc4\u4ef6\u5099\u4efd/2026'), '&W8RO9lCZTv0-/2026');
  assert.equal(mailboxName('\u5bc4\u4ef6\u5099\u4efd/2026', { utf8: true }), '"\u5bc4\u4ef6\u5099\u4efd/2026"');
  assert.equal(mailboxName('Gel\u00f6schte Elemente'), '"Gel&APY-schte Elemente"');
  assert.equal(mailboxName('a&b'), 'a&-b');
  assert.equal(mailboxName('Domain\\Shared'), '"Domain\\\\Shared"');
});

test('lists, lines, tagged and untagged responses', () => {
  assert.equal(list(['a', 'b']), '(a b)');
  assert.equal(list([]), '()');
  assert.equal(flagList(['\\Seen', '$Forwarded']), '(\\Seen $Forwarded)');
  assert.equal(untagged('3', 'EXISTS'), '* 3 EXISTS\r\n');
  assert.equal(untagged('LIST', list(['\\HasNoChildren']), quoted('/'), 'INBOX'), '* LIST (\\HasNoChildren) "/" INBOX\r\n');
  const withBody = untagged('1', 'FETCH', list(['UID', '7', 'BODY[]', literal(Buffer.from([0xff, 0x0d, 0x0a]))]));
  assert.ok(Buffer.isBuffer(withBody));
  assert.deepEqual(withBody, Buffer.concat([Buffer.from('* 1 FETCH (UID 7 BODY[] {3}\r\n'), Buffer.from([0xff, 0x0d, 0x0a]), Buffer.from(')\r\n')]));
  assert.equal(join(['a', 'b'], ','), 'a,b');
  assert.equal(tagged('A1', 'OK', 'NOOP completed.'), 'A1 OK NOOP completed.\r\n');
  assert.equal(tagged('A1', 'OK', codes.readWrite(), 'SELECT completed.'), 'A1 OK [READ-WRITE] SELECT completed.\r\n');
  assert.equal(tagged('A1', 'NO', null, 'LOGIN failed.'), 'A1 NO LOGIN failed.\r\n');
  assert.equal(untaggedStatus('OK', codes.uidNext(30), 'Predicted next UID'), '* OK [UIDNEXT 30] Predicted next UID\r\n');
  assert.equal(untaggedStatus('BYE', null, 'Connection closed.'), '* BYE Connection closed.\r\n');
  assert.equal(continuation(), '+ Ready\r\n');
  assert.equal(continuation(''), '+ \r\n');
});

test('response codes', () => {
  const cases: [string, string][] = [
    [codes.uidNext(5), 'UIDNEXT 5'],
    [codes.uidValidity(1795721374), 'UIDVALIDITY 1795721374'],
    [codes.appendUid(38505, [3955]), 'APPENDUID 38505 3955'],
    [codes.appendUid(38505, [3955, 3956, 3957, 3960]), 'APPENDUID 38505 3955:3957,3960'],
    [codes.copyUid(38505, [304, 319, 320], [3956, 3957, 3958]), 'COPYUID 38505 304,319:320 3956:3958'],
    [codes.copyUid(1, [5, 3, 4], [10, 11, 12]), 'COPYUID 1 5,3:4 10:12'],
    [codes.copyUid(1, '1:3', '7:9'), 'COPYUID 1 1:3 7:9'],
    [codes.highestModSeq(715194045007), 'HIGHESTMODSEQ 715194045007'],
    [codes.modified([7, 9]), 'MODIFIED 7,9'],
    [codes.modified('7,9'), 'MODIFIED 7,9'],
    [codes.permanentFlags(['\\Seen', '\\*']), 'PERMANENTFLAGS (\\Seen \\*)'],
    [codes.tooBig(), 'TOOBIG'],
    [codes.overQuota(), 'OVERQUOTA'],
    [codes.alert(), 'ALERT'],
    [codes.tryCreate(), 'TRYCREATE'],
    [codes.badCharset(['UTF-8', 'BIG5']), 'BADCHARSET (UTF-8 BIG5)'],
    [codes.capability(['IMAP4rev1', 'IDLE']), 'CAPABILITY IMAP4rev1 IDLE'],
    [codes.mailboxId('F2212ea87-6097-4256-9d51-71338625'), 'MAILBOXID (F2212ea87-6097-4256-9d51-71338625)'],
  ];
  for (const [actual, expected] of cases) assert.equal(actual, expected);
});

test('ESEARCH and VANISHED responses', () => {
  assert.equal(esearch('A282', true, { min: 2, count: 3 }), '* ESEARCH (TAG "A282") UID MIN 2 COUNT 3\r\n');
  assert.equal(esearch('A1', false, { all: [1, 2, 3, 5] }), '* ESEARCH (TAG "A1") ALL 1:3,5\r\n');
  assert.equal(esearch('A1', false, { count: 0, all: [] }), '* ESEARCH (TAG "A1") COUNT 0\r\n');
  assert.equal(esearch(null, true, { max: 9, modseq: 917162500 }), '* ESEARCH UID MAX 9 MODSEQ 917162500\r\n');
  assert.equal(vanished([41, 43, 44, 45], true), '* VANISHED (EARLIER) 41,43:45\r\n');
  assert.equal(vanished('1:3', false), '* VANISHED 1:3\r\n');
});

test('fetchItemLabel echoes the item as FETCH responses name it (RFC 3501 §7.4.2)', () => {
  const label = (item: string) => {
    const command = parseCommand(Buffer.from(`A FETCH 1 ${item}`));
    assert.ok(command.command === 'FETCH');
    return fetchItemLabel(command.args.items[0]!);
  };
  const cases: [string, string][] = [
    ['BODY[]', 'BODY[]'],
    ['BODY.PEEK[]', 'BODY[]'],
    ['body.peek[header]', 'BODY[HEADER]'],
    ['BODY[1.2.MIME]', 'BODY[1.2.MIME]'],
    ['BODY[4.2]', 'BODY[4.2]'],
    ['BODY[TEXT]<0.2048>', 'BODY[TEXT]<0>'],
    ['BODY[]<100.50>', 'BODY[]<100>'],
    ['BODY.PEEK[HEADER.FIELDS (From To)]', 'BODY[HEADER.FIELDS (FROM TO)]'],
    ['BODY[2.HEADER.FIELDS.NOT (Received)]', 'BODY[2.HEADER.FIELDS.NOT (RECEIVED)]'],
    ['BINARY.PEEK[1]<0.10>', 'BINARY[1]<0>'],
    ['BINARY.SIZE[1.2]', 'BINARY.SIZE[1.2]'],
    ['RFC822.SIZE', 'RFC822.SIZE'],
  ];
  for (const [item, expected] of cases) assert.equal(label(item), expected, item);
});

test('formatDateTime / parseDateTime (INTERNALDATE and APPEND date-time)', () => {
  const date = new Date(Date.UTC(2026, 10, 2, 10, 0, 0));
  assert.equal(formatDateTime(date), '"02-Nov-2026 10:00:00 +0000"');
  assert.equal(formatDateTime(date, -420), '"02-Nov-2026 03:00:00 -0700"');
  assert.equal(formatDateTime(date, 330), '"02-Nov-2026 15:30:00 +0530"');
  assert.equal(formatDateTime(new Date(Date.UTC(1996, 6, 17, 9, 44, 25)), -420), '"17-Jul-1996 02:44:25 -0700"');
  const parsed = parseDateTime('17-Jul-1996 02:44:25 -0700');
  assert.deepEqual([parsed?.date.toISOString(), parsed?.offsetMinutes], ['1996-07-17T09:44:25.000Z', -420]);
  assert.equal(parseDateTime('" 2-Nov-2026 10:00:00 +0000"')?.date.toISOString(), '2026-11-02T10:00:00.000Z');
  assert.equal(parseDateTime('2-nov-2026 10:00:00 +0000')?.date.toISOString(), '2026-11-02T10:00:00.000Z');
  assert.equal(parseDateTime('01-Jan-0050 00:00:00 +0000')?.date.getUTCFullYear(), 50);
  for (const bad of ['', '"', '32-Jan-2026 00:00:00 +0000', '29-Feb-2025 00:00:00 +0000', '01-Jan-2026 24:00:00 +0000', '01-Jan-2026 00:60:00 +0000',
    '01-Jan-2026 00:00:00', '01-Jan-2026 00:00:00 +2400', '01-Jan-2026 00:00:00 0000', '"01-Jan-2026 00:00:00 +0000', '01-Jan-26 00:00:00 +0000']) {
    assert.equal(parseDateTime(bad), null, bad);
  }
  // Round trip through the writer.
  for (const offset of [0, 60, -300, 345]) {
    const text = formatDateTime(date, offset);
    const back = parseDateTime(text);
    assert.deepEqual([back?.date.getTime(), back?.offsetMinutes], [date.getTime(), offset], text);
  }
  assert.equal(parseSearchDate('1-Feb-1994'), '1994-02-01');
  assert.equal(parseSearchDate('29-Feb-2023'), null);
});

test('ByteLines: numbers of every length and pieces of every size, as a string would write them', () => {
  const table = [0, 7, 10, 99, 100, 65535, 2147483647, 2147483648, 4294967295, 999999999999999, 1e15, Number.MAX_SAFE_INTEGER];
  const lines = new ByteLines(4);
  for (const n of table) lines.bytes(Buffer.from('* ')).number(n).bytes(Buffer.from(' FETCH\r\n'));
  assert.equal(lines.take().toString('latin1'), table.map((n) => `* ${n} FETCH\r\n`).join(''));
  assert.equal(lines.length, 0);
  // Random numbers and pieces (short ones copied byte by byte, long ones at once), the buffer
  // grown on the way; take() hands over what was written and starts afresh.
  const random = prng(5530);
  for (let round = 0; round < 50; round++) {
    const into = new ByteLines(1 + randomInt(random, 64));
    let want = '';
    for (let i = 0; i < 200; i++) {
      if (random() < 0.5) {
        const n = random() < 0.5 ? randomInt(random, 2 ** 31) : Math.floor(random() * Number.MAX_SAFE_INTEGER);
        into.number(n);
        want += String(n);
      } else {
        const piece = 'x'.repeat(randomInt(random, 80)) + '()\\';
        into.bytes(Buffer.from(piece));
        want += piece;
      }
    }
    assert.equal(into.take().toString('latin1'), want, `round ${round}`);
  }
});
