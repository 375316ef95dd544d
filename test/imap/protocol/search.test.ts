// SEARCH keys, CHARSET decoding, ESEARCH return options, SORT and THREAD, and the translation
// of the criteria into the store's UID-only form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import type { SearchKey as StoreSearchKey } from '../../../src/store/search.ts';
import {
  resolveSequenceSet, resolveSearchKey, BADCHARSET_CODE, SEARCH_CHARSETS, STAR,
  type SearchKey, type UidSearchKey,
} from '../../../src/imap/protocol/index.ts';
import { argsOf, parseError } from './helpers.ts';

const criteria = (keys: string) => argsOf(`A SEARCH ${keys}`, 'SEARCH').criteria;

/** SEARCH CHARSET <charset> <key> {n}\r\n<bytes>: the string sent as a literal of raw bytes. */
function withLiteral(prefix: string, bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${prefix} {${bytes.length}}\r\n`), bytes]);
}

test('SEARCH: every key of RFC 3501 §6.4.4 and RFC 9051', () => {
  const cases: [string, SearchKey][] = [
    ['ALL', { type: 'all' }],
    ['ANSWERED', { type: 'flag', flag: '\\Answered', present: true }],
    ['DELETED', { type: 'flag', flag: '\\Deleted', present: true }],
    ['DRAFT', { type: 'flag', flag: '\\Draft', present: true }],
    ['FLAGGED', { type: 'flag', flag: '\\Flagged', present: true }],
    ['SEEN', { type: 'flag', flag: '\\Seen', present: true }],
    ['UNANSWERED', { type: 'flag', flag: '\\Answered', present: false }],
    ['UNDELETED', { type: 'flag', flag: '\\Deleted', present: false }],
    ['UNDRAFT', { type: 'flag', flag: '\\Draft', present: false }],
    ['UNFLAGGED', { type: 'flag', flag: '\\Flagged', present: false }],
    ['UNSEEN', { type: 'flag', flag: '\\Seen', present: false }],
    ['KEYWORD $Forwarded', { type: 'flag', flag: '$Forwarded', present: true }],
    ['UNKEYWORD Junk', { type: 'flag', flag: 'Junk', present: false }],
    ['RECENT', { type: 'recent', present: true }],
    ['OLD', { type: 'recent', present: false }],
    ['NEW', { type: 'and', keys: [{ type: 'recent', present: true }, { type: 'flag', flag: '\\Seen', present: false }] }],
    ['BEFORE 1-Feb-1994', { type: 'internaldate', op: 'before', date: '1994-02-01' }],
    ['ON "02-nov-2026"', { type: 'internaldate', op: 'on', date: '2026-11-02' }],
    ['SINCE 29-Feb-2024', { type: 'internaldate', op: 'since', date: '2024-02-29' }],
    ['SENTBEFORE 1-Jan-2000', { type: 'sentdate', op: 'before', date: '2000-01-01' }],
    ['SENTON 31-Dec-1999', { type: 'sentdate', op: 'on', date: '1999-12-31' }],
    ['SENTSINCE 15-Jul-2026', { type: 'sentdate', op: 'since', date: '2026-07-15' }],
    ['LARGER 1024', { type: 'size', op: 'larger', bytes: 1024 }],
    ['SMALLER 10000000000', { type: 'size', op: 'smaller', bytes: 10000000000 }],
    ['FROM alice', { type: 'header', field: 'from', value: 'alice' }],
    ['TO "Bob Smith"', { type: 'header', field: 'to', value: 'Bob Smith' }],
    ['CC carol', { type: 'header', field: 'cc', value: 'carol' }],
    ['BCC dave', { type: 'header', field: 'bcc', value: 'dave' }],
    ['SUBJECT {6}\r\nreport', { type: 'header', field: 'subject', value: 'report' }],
    ['HEADER Message-ID "<a@b>"', { type: 'header', field: 'message-id', value: '<a@b>' }],
    ['HEADER X-Spam ""', { type: 'header', field: 'x-spam', value: '' }],
    ['BODY invoice', { type: 'body', value: 'invoice' }],
    ['TEXT "quarterly results"', { type: 'text', value: 'quarterly results' }],
    ['UID 1:100,200', { type: 'uid', ranges: [[1, 100], [200, 200]] }],
    ['UID 5:*', { type: 'uid', ranges: [[5, STAR]] }],
    ['UID $', { type: 'saved' }],
    ['1:5', { type: 'seq', set: { ranges: [[1, 5]] } }],
    ['7', { type: 'seq', set: { ranges: [[7, 7]] } }],
    ['*', { type: 'seq', set: { ranges: [[STAR, STAR]] } }],
    ['$', { type: 'saved' }],
    ['MODSEQ 620162338', { type: 'modseq', modseq: 620162338 }],
    ['MODSEQ "/flags/\\\\draft" all 620162338', { type: 'modseq', modseq: 620162338 }],
    ['MODSEQ 0', { type: 'modseq', modseq: 0 }],
    ['OLDER 3600', { type: 'age', op: 'older', seconds: 3600 }],
    ['YOUNGER 86400', { type: 'age', op: 'younger', seconds: 86400 }],
    ['NOT SEEN', { type: 'not', key: { type: 'flag', flag: '\\Seen', present: true } }],
    ['OR SEEN FLAGGED', { type: 'or', left: { type: 'flag', flag: '\\Seen', present: true }, right: { type: 'flag', flag: '\\Flagged', present: true } }],
    ['(SEEN)', { type: 'flag', flag: '\\Seen', present: true }],
    ['(SEEN FLAGGED)', { type: 'and', keys: [{ type: 'flag', flag: '\\Seen', present: true }, { type: 'flag', flag: '\\Flagged', present: true }] }],
  ];
  for (const [keys, expected] of cases) assert.deepEqual(criteria(keys), expected, keys);
  // Key names in any case.
  for (const [keys, expected] of cases.filter(([k]) => /^[A-Z]+$/.test(k))) assert.deepEqual(criteria(keys.toLowerCase()), expected, keys);
});

test('SEARCH: implicit AND, nesting, OR and NOT combinations', () => {
  assert.deepEqual(criteria('UNSEEN FROM alice SINCE 1-Jan-2026'), {
    type: 'and',
    keys: [
      { type: 'flag', flag: '\\Seen', present: false },
      { type: 'header', field: 'from', value: 'alice' },
      { type: 'internaldate', op: 'since', date: '2026-01-01' },
    ],
  });
  assert.deepEqual(criteria('OR (FROM a TO b) NOT (1:3 DELETED)'), {
    type: 'or',
    left: { type: 'and', keys: [{ type: 'header', field: 'from', value: 'a' }, { type: 'header', field: 'to', value: 'b' }] },
    right: { type: 'not', key: { type: 'and', keys: [{ type: 'seq', set: { ranges: [[1, 3]] } }, { type: 'flag', flag: '\\Deleted', present: true }] } },
  });
  assert.deepEqual(criteria('OR OR SEEN DRAFT ANSWERED'), {
    type: 'or',
    left: { type: 'or', left: { type: 'flag', flag: '\\Seen', present: true }, right: { type: 'flag', flag: '\\Draft', present: true } },
    right: { type: 'flag', flag: '\\Answered', present: true },
  });
  assert.deepEqual(criteria('NOT NOT ALL'), { type: 'not', key: { type: 'not', key: { type: 'all' } } });
});

test('SEARCH: errors', () => {
  const cases: [string, RegExp][] = [
    ['A SEARCH', /Missing search key/],
    ['A SEARCH FOO', /Unknown search key FOO/],
    ['A SEARCH ()', /Missing search key/],
    ['A SEARCH OR SEEN', /Missing search key/],
    ['A SEARCH NOT', /Missing search key/],
    ['A SEARCH FROM', /Missing search string/],
    ['A SEARCH BEFORE 1994-02-01', /Invalid date/],
    ['A SEARCH ON 30-Feb-2026', /Invalid date/],
    ['A SEARCH ON 1-Foo-2026', /Invalid date/],
    ['A SEARCH SINCE 001-Jan-2026', /Invalid date/],
    ['A SEARCH LARGER big', /expected a number/],
    ['A SEARCH LARGER -1', /expected a number/],
    ['A SEARCH KEYWORD \\Seen', /Invalid keyword/],
    ['A SEARCH KEYWORD (x)', /Invalid keyword/],
    ['A SEARCH HEADER "Bad Name" x', /Invalid header field name/],
    ['A SEARCH HEADER Subject', /Missing search string/],
    ['A SEARCH UID abc', /Invalid UID set/],
    ['A SEARCH UID 0', /Invalid UID set/],
    ['A SEARCH 0', /Invalid sequence set/],
    ['A SEARCH OLDER 0', /must not be zero/],
    ['A SEARCH MODSEQ "/flags/\\\\seen" bogus 5', /Invalid MODSEQ entry/],
    ['A SEARCH MODSEQ "/other" all 5', /Invalid MODSEQ entry/],
    ['A SEARCH MODSEQ x', /expected a number/],
    ['A SEARCH RETURN (FOO) ALL', /Unknown search return option FOO/],
    ['A SEARCH RETURN ALL', /parenthesized list/],
    ['A SEARCH CHARSET', /Missing charset/],
    ['A SEARCH CHARSET UTF-8', /Missing search key/],
    ['A SEARCH ' + 'NOT '.repeat(70) + 'ALL', /nested too deeply/],
  ];
  for (const [line, message] of cases) assert.match(parseError(line).message, message, line);
});

test('SEARCH: RETURN options (RFC 4731, RFC 5182 SAVE)', () => {
  assert.equal(argsOf('A SEARCH ALL', 'SEARCH').returnOptions, null);
  assert.deepEqual(argsOf('A SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN', 'SEARCH').returnOptions, ['MIN', 'MAX', 'COUNT', 'ALL']);
  assert.deepEqual(argsOf('A UID SEARCH RETURN () FLAGGED', 'SEARCH').returnOptions, ['ALL']);
  assert.deepEqual(argsOf('A SEARCH RETURN (save) SEEN', 'SEARCH').returnOptions, ['SAVE']);
  assert.deepEqual(argsOf('A SEARCH RETURN (MIN MIN) SEEN', 'SEARCH').returnOptions, ['MIN']);
  const both = argsOf('A SEARCH RETURN (COUNT) CHARSET UTF-8 TEXT x', 'SEARCH');
  assert.deepEqual([both.returnOptions, both.charset], [['COUNT'], 'UTF-8']);
});

test('SEARCH CHARSET: Big5, GB2312/GBK/GB18030 and UTF-8 literals decode to Unicode', () => {
  const words = '\u5bc4\u4ef6\u5099\u4efd \u5831\u544a'; // "寄件備份 報告"
  const big5 = iconv.encode(words, 'big5');
  assert.notDeepEqual(big5, Buffer.from(words, 'utf8'));
  assert.deepEqual(argsOf(withLiteral('A SEARCH CHARSET BIG5 SUBJECT', big5), 'SEARCH').criteria, {
    type: 'header',
    field: 'subject',
    value: words,
  });
  const simplified = '\u5df2\u53d1\u9001\u90ae\u4ef6'; // "已发送邮件"
  for (const charset of ['GB2312', 'gbk', 'GB18030']) {
    const bytes = iconv.encode(simplified, charset === 'GB18030' ? 'gb18030' : 'gbk');
    const args = argsOf(withLiteral(`A SEARCH CHARSET ${charset} TEXT`, bytes), 'SEARCH');
    assert.deepEqual(args.criteria, { type: 'text', value: simplified }, charset);
    assert.equal(args.charset, charset.toUpperCase());
  }
  // GB18030 reaches beyond GBK: an astral character (U+20000) round-trips.
  const astral = '\u{20000}\u4e2d';
  assert.deepEqual(argsOf(withLiteral('A SEARCH CHARSET GB18030 BODY', iconv.encode(astral, 'gb18030')), 'SEARCH').criteria, {
    type: 'body',
    value: astral,
  });
  assert.deepEqual(argsOf(withLiteral('A SEARCH CHARSET UTF-8 BODY', Buffer.from(words)), 'SEARCH').criteria, { type: 'body', value: words });
  // Without CHARSET, strings are UTF-8 (RFC 9051); quoted UTF-8 needs UTF-8 mode.
  assert.deepEqual(argsOf(`A SEARCH SUBJECT "${words}"`, 'SEARCH', { utf8: true }).criteria, { type: 'header', field: 'subject', value: words });
  // Several strings in one command, OR'ed, each a Big5 literal.
  const or = Buffer.concat([
    withLiteral('A SEARCH CHARSET BIG5 OR FROM', iconv.encode('\u738b\u5c0f\u660e', 'big5')),
    withLiteral(' SUBJECT', iconv.encode('\u6703\u8b70', 'big5')),
  ]);
  assert.deepEqual(argsOf(or, 'SEARCH').criteria, {
    type: 'or',
    left: { type: 'header', field: 'from', value: '\u738b\u5c0f\u660e' },
    right: { type: 'header', field: 'subject', value: '\u6703\u8b70' },
  });
  // Big5 sent as a quoted string by a client that does not use literals (Dovecot-style leniency).
  const quotedBig5 = Buffer.concat([Buffer.from('A SEARCH CHARSET BIG5 TEXT "'), big5, Buffer.from('"')]);
  assert.deepEqual(argsOf(quotedBig5, 'SEARCH', { allow8bitQuoted: true }).criteria, { type: 'text', value: words });
  assert.match(parseError(quotedBig5).message, /8-bit data in quoted string/);
});

test('SEARCH CHARSET: US-ASCII, invalid UTF-8, unknown charsets (NO [BADCHARSET])', () => {
  assert.deepEqual(criteria('CHARSET US-ASCII FROM bob'), { type: 'header', field: 'from', value: 'bob' });
  assert.match(parseError(withLiteral('A SEARCH CHARSET US-ASCII TEXT', Buffer.from([0x41, 0xe9]))).message, /8-bit data in a US-ASCII/);
  assert.match(parseError(withLiteral('A SEARCH CHARSET UTF-8 TEXT', Buffer.from([0xe9, 0x41]))).message, /Invalid UTF-8 in search string/);
  assert.match(parseError(withLiteral('A SEARCH TEXT', Buffer.from([0xc3]))).message, /Invalid UTF-8 in search string/);
  const error = parseError('A7 SEARCH CHARSET KLINGON TEXT x');
  assert.equal(error.status, 'NO');
  assert.equal(error.tag, 'A7');
  assert.equal(error.code, BADCHARSET_CODE);
  assert.match(BADCHARSET_CODE, /^BADCHARSET \(UTF-8 US-ASCII .*BIG5.*GB18030.*\)$/);
  assert.ok(SEARCH_CHARSETS.includes('BIG5'));
  // Aliases resolve; the charset is reported as sent.
  assert.equal(argsOf('A SEARCH CHARSET utf8 ALL', 'SEARCH').charset, 'UTF8');
});

test('SORT (RFC 5256, RFC 5957 DISPLAY, RFC 5267 ESORT)', () => {
  assert.deepEqual(argsOf('A UID SORT (REVERSE ARRIVAL subject) UTF-8 UNSEEN', 'SORT'), {
    criteria: [{ key: 'ARRIVAL', reverse: true }, { key: 'SUBJECT', reverse: false }],
    charset: 'UTF-8',
    search: { type: 'flag', flag: '\\Seen', present: false },
    returnOptions: null,
  });
  const all = argsOf('A SORT (ARRIVAL CC DATE FROM SIZE SUBJECT TO DISPLAYFROM REVERSE DISPLAYTO) US-ASCII ALL', 'SORT');
  assert.deepEqual(all.criteria.map((c) => c.key), ['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO']);
  assert.deepEqual(argsOf('A SORT RETURN (MIN COUNT) (DATE) UTF-8 ALL', 'SORT').returnOptions, ['MIN', 'COUNT']);
  const big5 = argsOf(withLiteral('A SORT (DATE) BIG5 SUBJECT', iconv.encode('\u5831\u544a', 'big5')), 'SORT');
  assert.deepEqual(big5.search, { type: 'header', field: 'subject', value: '\u5831\u544a' });
  const cases: [string, RegExp][] = [
    ['A SORT DATE UTF-8 ALL', /parenthesized list/],
    ['A SORT () UTF-8 ALL', /Missing sort key/],
    ['A SORT (REVERSE) UTF-8 ALL', /Missing sort key/],
    ['A SORT (SPEED) UTF-8 ALL', /Unknown sort key SPEED/],
    ['A SORT (DATE) ALL', /Unsupported charset ALL/], // the charset is mandatory, so ALL is one
    ['A SORT (DATE)', /Missing charset/],
  ];
  for (const [line, message] of cases) assert.match(parseError(line).message, message, line);
  assert.equal(parseError('A SORT (DATE) EBCDIC ALL').status, 'NO');
});

test('THREAD (RFC 5256)', () => {
  assert.deepEqual(argsOf('A THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000', 'THREAD'), {
    algorithm: 'ORDEREDSUBJECT',
    charset: 'UTF-8',
    search: { type: 'internaldate', op: 'since', date: '2000-03-05' },
  });
  assert.equal(argsOf('A UID THREAD references US-ASCII ALL', 'THREAD').algorithm, 'REFERENCES');
  assert.equal(argsOf('A UID THREAD REFS UTF-8 ALL', 'THREAD').algorithm, 'REFS');
  assert.match(parseError('A THREAD RANDOM UTF-8 ALL').message, /Unknown threading algorithm RANDOM/);
  assert.match(parseError('A THREAD REFERENCES UTF-8').message, /Missing search key/);
});

test('resolveSearchKey: sequence numbers, $ and * become UID ranges the store understands', () => {
  // Five messages with UIDs 10, 20, 30, 40, 50.
  const uids = [10, 20, 30, 40, 50];
  const resolver = {
    maxUid: 50,
    seqToUids: (set: Parameters<typeof resolveSequenceSet>[0]) =>
      resolveSequenceSet(set, uids.length).map(([a, b]): [number, number] => [uids[a - 1]!, uids[b - 1]!]),
    savedUids: (): [number, number][] => [[20, 20], [40, 40]],
    recentUids: (): [number, number][] => [[40, 50]],
  };
  const key = criteria('OR 2:* NOT $ UID 45:* SEEN');
  const resolved: UidSearchKey = resolveSearchKey(key, resolver);
  assert.deepEqual(resolved, {
    type: 'and',
    keys: [
      { type: 'or', left: { type: 'uid', ranges: [[20, 50]] }, right: { type: 'not', key: { type: 'uid', ranges: [[20, 20], [40, 40]] } } },
      { type: 'uid', ranges: [[45, 50]] },
      { type: 'flag', flag: '\\Seen', present: true },
    ],
  });
  // RFC 3501 §6.4.8: "UID 559:*" still names the last message when 559 is past the end.
  assert.deepEqual(resolveSearchKey(criteria('UID 559:*'), resolver), { type: 'uid', ranges: [[50, 50]] });
  // \Recent is the session's: RECENT, OLD and NEW (RECENT UNSEEN) name its UIDs.
  assert.deepEqual(resolveSearchKey(criteria('RECENT'), resolver), { type: 'uid', ranges: [[40, 50]] });
  assert.deepEqual(resolveSearchKey(criteria('OLD'), resolver), { type: 'not', key: { type: 'uid', ranges: [[40, 50]] } });
  assert.deepEqual(resolveSearchKey(criteria('NEW'), resolver), {
    type: 'and', keys: [{ type: 'uid', ranges: [[40, 50]] }, { type: 'flag', flag: '\\Seen', present: false }],
  });
  // The resolved tree is the store's SearchKey.
  const forStore: StoreSearchKey = resolved;
  assert.ok(forStore);
});
