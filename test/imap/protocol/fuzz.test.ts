// Property and fuzz tests with a seeded PRNG: the same inputs on every run, different ones per
// seed (MAILROOM_FUZZ_SEED=n to explore).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import {
  astring, decodeMailboxUtf7, encodeMailboxUtf7, formatDateTime, formatSequenceSet, frameCommand, imapString,
  parseCommand, parseDateTime, parseSequenceSet, rangesContain, readTag, resolveSequenceSet, tokenize, ParseError,
  STAR, type ParseOptions, type SearchKey, type SeqRange, type Segment,
} from '../../../src/imap/protocol/index.ts';
import { pick, prng, randomInt } from './helpers.ts';

const SEED = Number(process.env.MAILROOM_FUZZ_SEED ?? 20261126);

const VALID_COMMANDS = [
  'A1 CAPABILITY', 'A2 LOGIN {5}\r\nalice "s3 cret"', 'A3 AUTHENTICATE PLAIN AHVzZXIAcGFzcw==', 'A4 ENABLE CONDSTORE QRESYNC',
  'A5 SELECT INBOX (QRESYNC (1 5 1:10 (1:3 4:6)) CONDSTORE)', 'A6 EXAMINE "&W8RO9lCZTv0-/2026"', 'A7 CREATE x (USE (\\Sent))',
  'A8 RENAME a b', 'A9 LIST (SUBSCRIBED RECURSIVEMATCH) "" ("INBOX" %) RETURN (CHILDREN STATUS (UNSEEN SIZE))',
  'B1 LSUB "" *', 'B2 STATUS INBOX (MESSAGES UIDNEXT HIGHESTMODSEQ)',
  'B3 APPEND INBOX (\\Seen) "02-Nov-2026 10:00:00 +0000" {5}\r\nhello {2+}\r\nhi', 'B4 APPEND INBOX ~{3}\r\na\u0000b',
  'B5 UID SEARCH RETURN (MIN COUNT) CHARSET UTF-8 OR (FROM "a" SINCE 1-Feb-1994) NOT UID 1:*,5 HEADER X-Y {3}\r\nabc',
  'B6 SEARCH MODSEQ "/flags/\\\\seen" all 5 OLDER 3600 $', 'B7 UID SORT RETURN (ALL) (REVERSE DATE) UTF-8 UNSEEN',
  'B8 THREAD REFERENCES UTF-8 ALL', 'B9 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)] BINARY[1]<0.10>) (CHANGEDSINCE 5 VANISHED)',
  'C1 FETCH 1 FULL', 'C2 STORE 1:3 (UNCHANGEDSINCE 9) +FLAGS.SILENT (\\Deleted $Junk)', 'C3 UID MOVE 1,3:* Trash',
  'C4 UID EXPUNGE 4:6', 'C5 ID ("name" "Thunderbird" "version" "153.7.0")', 'C6 SETQUOTA "" (STORAGE 512)', 'C7 COMPRESS DEFLATE',
  'C8 GETQUOTAROOT INBOX', 'C9 XLIST "" %', 'D1 IDLE', 'D2 NAMESPACE', 'D3 UID COPY $ Archive',
];

const SPECIALS = Buffer.from('()[]{}<>"\\ *%$.:,~+-0123456789\r\n\u0000abcNILBODYPEEK', 'latin1');

/** Parses, and fails on anything but ParseError, including the parser's own "defect" error. */
function mustNotCrash(input: Buffer | readonly Segment[], options: ParseOptions = {}): void {
  try {
    const command = parseCommand(input, options);
    assert.equal(command.tag, readTag(input));
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    assert.notEqual(error.message, 'Command could not be parsed', `a parser defect on ${JSON.stringify(String(input))}`);
  }
}

function mutate(random: () => number, input: Buffer): Buffer {
  const bytes = [...input];
  const edits = 1 + randomInt(random, 4);
  for (let e = 0; e < edits; e++) {
    const at = randomInt(random, bytes.length + 1);
    switch (randomInt(random, 6)) {
      case 0:
        bytes.splice(at, 1);
        break;
      case 1:
        bytes.splice(at, 0, pick(random, [...SPECIALS]));
        break;
      case 2:
        bytes.splice(at, 0, ...bytes.slice(at, at + randomInt(random, 8)));
        break;
      case 3:
        bytes.splice(at, randomInt(random, bytes.length - at + 1));
        break;
      case 4:
        bytes.splice(at, 0, randomInt(random, 256));
        break;
      default:
        bytes.splice(at, 0, ...Buffer.from(`{${randomInt(random, 4)}}\r\n`));
    }
  }
  return Buffer.from(bytes);
}

test('fuzz: the valid corpus parses', () => {
  for (const line of VALID_COMMANDS) parseCommand(Buffer.from(line, 'latin1'));
});

test('fuzz: random bytes never throw anything but ParseError', () => {
  const random = prng(SEED);
  for (let i = 0; i < 2500; i++) {
    const length = randomInt(random, 80);
    const bytes = Buffer.alloc(length);
    for (let j = 0; j < length; j++) bytes[j] = random() < 0.7 ? pick(random, [...SPECIALS]) : randomInt(random, 256);
    const prefixed = Buffer.concat([Buffer.from(pick(random, ['', 'A1 ', 'A1 UID ', 'A1 SEARCH ', 'A1 FETCH 1 ', 'A1 LIST '])), bytes]);
    mustNotCrash(prefixed);
    mustNotCrash(prefixed, { utf8: true });
  }
});

test('fuzz: mutated valid commands never throw anything but ParseError', () => {
  const random = prng(SEED + 1);
  for (let i = 0; i < 4000; i++) {
    const base = Buffer.from(pick(random, VALID_COMMANDS), 'latin1');
    const mutated = mutate(random, base);
    mustNotCrash(mutated, { utf8: random() < 0.5, allow8bitQuoted: random() < 0.3 });
  }
});

test('fuzz: random segments never throw anything but ParseError', () => {
  const random = prng(SEED + 2);
  for (let i = 0; i < 2000; i++) {
    const base = Buffer.from(pick(random, VALID_COMMANDS), 'latin1');
    const cut = randomInt(random, base.length + 1);
    const segments: Segment[] = [{ text: base.subarray(0, cut), literal: random() < 0.5 ? mutate(random, Buffer.from('xy')) : undefined }];
    segments.push({ text: mutate(random, base.subarray(cut)) });
    mustNotCrash(segments);
  }
});

test('fuzz: deep nesting and long inputs are refused, not crashed on', () => {
  for (const open of ['(', 'NOT ', 'OR ALL ', 'BODY[']) {
    mustNotCrash(Buffer.from(`A1 SEARCH ${open.repeat(5000)}ALL`));
    mustNotCrash(Buffer.from(`A1 FETCH 1 ${open.repeat(5000)}`));
  }
  mustNotCrash(Buffer.from(`A1 FETCH ${'1,'.repeat(20000)}1 FLAGS`));
});

test('property: framing a command is the same whatever the chunking', () => {
  const random = prng(SEED + 3);
  for (const line of VALID_COMMANDS) {
    const bytes = Buffer.from(`${line}\r\n`, 'latin1');
    const whole = frameCommand(bytes);
    assert.equal(whole.status, 'complete', line);
    let received = 0;
    while (received < bytes.length) {
      received = Math.min(bytes.length, received + 1 + randomInt(random, 7));
      const frame = frameCommand(bytes.subarray(0, received));
      if (received < bytes.length) assert.notEqual(frame.status, 'complete', line);
    }
    assert.deepEqual(tokenize(whole.status === 'complete' ? whole.segments : []), tokenize(bytes));
  }
});

/** A random string: ASCII, "&", controls, Latin, CJK, astral and the odd lone surrogate. */
function randomUnicode(random: () => number, allowLoneSurrogates = false): string {
  const pools = [
    () => String.fromCharCode(0x20 + randomInt(random, 0x5f)),
    () => '&',
    () => '-',
    () => String.fromCharCode(1 + randomInt(random, 0x1f)),
    () => String.fromCharCode(0xa0 + randomInt(random, 0x200)),
    () => String.fromCharCode(0x4e00 + randomInt(random, 0x5000)),
    () => String.fromCodePoint(0x10000 + randomInt(random, 0xfffff)),
    () => (allowLoneSurrogates ? String.fromCharCode(0xd800 + randomInt(random, 0x800)) : 'x'),
  ];
  let s = '';
  const length = randomInt(random, 16);
  for (let i = 0; i < length; i++) s += pick(random, pools)();
  return s;
}

test('property: modified UTF-7 round-trips random Unicode, astral included, and agrees with iconv-lite', () => {
  const random = prng(SEED + 4);
  for (let i = 0; i < 2000; i++) {
    const name = randomUnicode(random);
    const wire = encodeMailboxUtf7(name);
    assert.match(wire, /^[\x20-\x7e]*$/);
    assert.equal(decodeMailboxUtf7(wire), name, JSON.stringify(name));
    assert.equal(wire, iconv.encode(name, 'utf-7-imap').toString('latin1'), JSON.stringify(name));
  }
  for (let i = 0; i < 500; i++) {
    const name = randomUnicode(random, true);
    assert.notEqual(decodeMailboxUtf7(encodeMailboxUtf7(name)), null, JSON.stringify(name));
  }
});

test('property: a name has exactly one valid modified UTF-7 spelling', () => {
  const random = prng(SEED + 5);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,&-/ ';
  let valid = 0;
  for (let i = 0; i < 20000; i++) {
    let wire = '';
    const length = randomInt(random, 14);
    for (let j = 0; j < length; j++) wire += alphabet[randomInt(random, alphabet.length)];
    const name = decodeMailboxUtf7(wire);
    if (name === null) continue;
    valid++;
    assert.equal(encodeMailboxUtf7(name), wire, wire);
  }
  assert.ok(valid > 1000, `${valid} valid spellings tried`);
});

test('property: sequence sets format and parse back, and resolve like a brute-force check', () => {
  const random = prng(SEED + 6);
  const bound = () => (random() < 0.15 ? STAR : 1 + randomInt(random, 40));
  for (let i = 0; i < 1000; i++) {
    const ranges: SeqRange[] = Array.from({ length: 1 + randomInt(random, 5) }, () => {
      const a = bound();
      return [a, random() < 0.4 ? a : bound()];
    });
    const text = formatSequenceSet({ ranges });
    assert.deepEqual(parseSequenceSet(text), { ranges }, text);
    const max = randomInt(random, 35);
    const resolved = resolveSequenceSet({ ranges }, max);
    for (let n = 1; n <= 45; n++) {
      const expected = n <= max && ranges.some(([a, b]) => {
        const x = a === STAR ? max : a;
        const y = b === STAR ? max : b;
        return n >= Math.min(x, y) && n <= Math.max(x, y);
      });
      assert.equal(rangesContain(resolved, n), expected, `${text} max ${max} n ${n}`);
    }
    for (let k = 1; k < resolved.length; k++) assert.ok(resolved[k]![0] > resolved[k - 1]![1] + 1, 'disjoint and not adjacent');
  }
});

test('property: strings from the writer parse back to themselves', () => {
  const random = prng(SEED + 7);
  for (let i = 0; i < 1500; i++) {
    const s = randomUnicode(random).replace(/\0/g, '');
    const utf8 = random() < 0.5;
    const line = `A1 LOGIN ${astring(s, { utf8 })} ${imapString(s, { utf8 })}`;
    const command = parseCommand(Buffer.from(line, 'utf8'), { utf8 });
    assert.deepEqual(command.args, { username: s, password: s }, JSON.stringify(s));
  }
});

test('property: INTERNALDATE format and APPEND parse agree', () => {
  const random = prng(SEED + 8);
  for (let i = 0; i < 2000; i++) {
    const date = new Date(Date.UTC(1970 + randomInt(random, 130), 0, 1) + randomInt(random, 366 * 86400) * 1000);
    const offset = randomInt(random, 28 * 60) - 14 * 60;
    const parsed = parseDateTime(formatDateTime(date, offset));
    assert.deepEqual([parsed?.date.getTime(), parsed?.offsetMinutes], [date.getTime(), offset]);
  }
});

// Random search trees, written out as IMAP and parsed back.

const WORDS = ['alice', 'Bob Smith', '\u5831\u544a', 'a"b\\c', 'x'];
const DAYS = ['1-Feb-1994', '29-Feb-2024', '31-Dec-2026'];

function randomKey(random: () => number, depth: number): [string, SearchKey] {
  const word = pick(random, WORDS);
  const day = pick(random, DAYS);
  const iso = { '1-Feb-1994': '1994-02-01', '29-Feb-2024': '2024-02-29', '31-Dec-2026': '2026-12-31' }[day]!;
  const leaves: (() => [string, SearchKey])[] = [
    () => ['ALL', { type: 'all' }],
    () => ['UNSEEN', { type: 'flag', flag: '\\Seen', present: false }],
    () => ['KEYWORD $Label1', { type: 'flag', flag: '$Label1', present: true }],
    () => [`SENTSINCE ${day}`, { type: 'sentdate', op: 'since', date: iso }],
    () => [`BEFORE "${day}"`, { type: 'internaldate', op: 'before', date: iso }],
    () => ['LARGER 4096', { type: 'size', op: 'larger', bytes: 4096 }],
    () => [`SUBJECT ${imapString(word, { utf8: true })}`, { type: 'header', field: 'subject', value: word }],
    () => [`HEADER List-Id ${imapString(word, { utf8: true })}`, { type: 'header', field: 'list-id', value: word }],
    () => [`TEXT ${imapString(word, { utf8: true })}`, { type: 'text', value: word }],
    () => ['UID 3:*', { type: 'uid', ranges: [[3, STAR]] }],
    () => ['2,4:5', { type: 'seq', set: { ranges: [[2, 2], [4, 5]] } }],
    () => ['$', { type: 'saved' }],
    () => ['MODSEQ 77', { type: 'modseq', modseq: 77 }],
    () => ['YOUNGER 60', { type: 'age', op: 'younger', seconds: 60 }],
  ];
  if (depth >= 4 || random() < 0.5) return pick(random, leaves)();
  switch (randomInt(random, 3)) {
    case 0: {
      const [text, key] = randomKey(random, depth + 1);
      return [`NOT ${text}`, { type: 'not', key }];
    }
    case 1: {
      const [lt, left] = randomKey(random, depth + 1);
      const [rt, right] = randomKey(random, depth + 1);
      return [`OR ${lt} ${rt}`, { type: 'or', left, right }];
    }
    default: {
      const parts = Array.from({ length: 2 + randomInt(random, 2) }, () => randomKey(random, depth + 1));
      return [`(${parts.map(([t]) => t).join(' ')})`, { type: 'and', keys: parts.map(([, k]) => k) }];
    }
  }
}

test('property: random search criteria written as IMAP parse back to the same tree', () => {
  const random = prng(SEED + 9);
  for (let i = 0; i < 1500; i++) {
    const [text, key] = randomKey(random, 0);
    const command = parseCommand(Buffer.from(`A1 UID SEARCH CHARSET UTF-8 ${text}`, 'utf8'), { utf8: true });
    assert.ok(command.command === 'SEARCH');
    assert.deepEqual(command.args.criteria, key, text);
  }
});
