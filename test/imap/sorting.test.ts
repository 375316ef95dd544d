// SORT and THREAD building blocks: base subjects (RFC 5256 §2.1), the i;unicode-casemap order,
// the header facts SORT reads, sort order with ties, and threads by REFERENCES (§2.2) and
// ORDEREDSUBJECT written in the RFC's parenthesized form. Tables follow the RFC's rules; the
// property tests feed random subjects, headers and reference graphs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseSubject, extractBaseSubject } from '../../src/mime/base-subject.ts';
import { casemapKey, compareKeys } from '../../src/mime/collation.ts';
import { headerFacts, type MessageFacts } from '../../src/mime/sort-keys.ts';
import { sortMessages } from '../../src/imap/sorting/sort.ts';
import { orderedSubject as orderedSubjectOf, references as referencesOf, renderThreads, threadColumns, threadMessage } from '../../src/imap/sorting/thread.ts';
import { orderedSubjectObjects, referencesObjects, threadTokensOfObjects } from '../support/thread-objects.ts';
import type { SortCriterion } from '../../src/imap/protocol/index.ts';
import { pick, prng, randomInt } from '../support/random.ts';

test('base subject: RFC 5256 §2.1 steps 1–6', () => {
  // [subject, base subject, a reply or forward marker was removed]
  const cases: [string, string, boolean][] = [
    ['Lunch', 'Lunch', false],
    ['Re: Lunch', 'Lunch', true],
    ['RE: Re: FW: fwd: Lunch', 'Lunch', true],
    // (1) tabs, line breaks and runs of blanks are one space.
    ['  Re:\t  Lunch \r\n\t at   noon ', 'Lunch at noon', true],
    // (2) "(fwd)" and blanks at the end, as often as they occur.
    ['Lunch (fwd)', 'Lunch', true],
    ['Lunch (FWD)  (fwd) ', 'Lunch', true],
    ['Lunch(fwd)', 'Lunch', true],
    ['Lunch (fwd) later', 'Lunch (fwd) later', false],
    // (3) subj-leader: blobs followed by re/fw/fwd, optional blanks and a blob before the colon.
    ['[list] Re: Lunch', 'Lunch', true],
    ['[a] [b] Fwd: Lunch', 'Lunch', true],
    ['Re [list]: Lunch', 'Lunch', true],
    ['Re : Lunch', 'Lunch', true],
    ['Fw:Lunch', 'Lunch', true],
    ['Reply: Lunch', 'Reply: Lunch', false],
    ['Re Lunch', 'Re Lunch', false],
    ['Fwdx: Lunch', 'Fwdx: Lunch', false],
    // Only the RFC's markers count: localized ones are part of the subject.
    ['AW: Lunch', 'AW: Lunch', false],
    ['Ad: Re: Lunch', 'Ad: Re: Lunch', false],
    ['回覆：會議通知', '回覆：會議通知', false],
    // (4) a leading blob goes when something is left after it; a lone blob stays.
    ['[list] Lunch', 'Lunch', false],
    ['[a][b] Lunch', 'Lunch', false],
    ['[list]', '[list]', false],
    ['[a] [b]', '[b]', false],
    ['[會議] Re: 通知', '通知', true],
    ['[unclosed Lunch', '[unclosed Lunch', false],
    ['[a [b] Lunch', '[a [b] Lunch', false],
    // (5) steps 3 and 4 repeat: "[x] Lunch" is not a leader, but once "[x]" is gone "Re:" is.
    ['[x] [y] Re: [z] Lunch', 'Lunch', true],
    // (6) "[fwd: …]" is unwrapped and the steps run again from (2).
    ['[fwd: Lunch]', 'Lunch', true],
    ['[Fwd: Re: Lunch (fwd)]', 'Lunch', true],
    ['Re: [fwd: [fwd: re: [fwd: Lunch]]]', 'Lunch', true],
    // A blob, not a wrapper, when text follows it.
    ['[fwd: Lunch] later', 'later', false],
    ['[fwd:]', '', true],
    // Nothing left at all.
    ['', '', false],
    [' ', '', false],
    ['Re:', '', true],
    ['(fwd)', '', true],
  ];
  for (const [input, text, replyOrForward] of cases) {
    assert.deepEqual(extractBaseSubject(input), { text, replyOrForward }, JSON.stringify(input));
  }
});

test('base subject: random subjects never throw, and the result is a fixed point', () => {
  const seed = Number(process.env.SORT_FUZZ_SEED ?? 5256);
  const random = prng(seed);
  const pieces = ['Re', 're', 'FW', 'fwd', 'Fwd', ':', ' ', '  ', '\t', '\r\n', '[', ']', '[list]', '[fwd:', '(fwd)', '(', ')', 'x', 'Lunch', '會議', '😀', '\u0000'];
  for (let i = 0; i < 3000; i++) {
    let subject = '';
    for (let n = randomInt(random, 16); n > 0; n--) subject += pick(random, pieces);
    const { text } = extractBaseSubject(subject);
    const context = `seed ${seed}, case ${i}: ${JSON.stringify(subject)}`;
    assert.equal(baseSubject(text), text, context);
    assert.equal(text, text.trim(), context);
    assert.ok(!/\s\s|[\t\r\n]/.test(text), context);
    assert.ok(subject.replace(/[\t\r\n ]+/g, ' ').includes(text), context);
  }
});

test('base subject: hostile subjects take linear time', () => {
  // Each of these would be quadratic if a step re-scanned or copied the rest of the text for
  // every marker it removed; at 200 000 characters that would not finish within the test.
  const n = 50_000;
  assert.equal(baseSubject('Re: '.repeat(n) + 'x'), 'x');
  assert.equal(baseSubject('[a]'.repeat(n) + 'x'), 'x');
  assert.equal(baseSubject('[a]'.repeat(n)), '[a]');
  assert.equal(baseSubject('[fwd: '.repeat(n) + 'x' + ']'.repeat(n)), 'x');
  assert.equal(baseSubject('x' + ' (fwd)'.repeat(n)), 'x');
  assert.equal(baseSubject('[' + 'a'.repeat(4 * n)), '[' + 'a'.repeat(4 * n));
});

test('i;unicode-casemap keys: titlecase, decomposed, code point order', () => {
  // [lower, higher]
  const ordered: [string, string][] = [
    ['a', 'B'],
    ['Z', '['],
    ['[', '_'],
    ['Lunch', 'lunch!'],
    ['', 'a'],
    ['a', 'ä'],
    ['ä', 'b'],
    ['\uffff', '😀'],
    ['會', '😀'],
  ];
  for (const [low, high] of ordered) {
    assert.ok(compareKeys(casemapKey(low), casemapKey(high)) < 0, `${low} < ${high}`);
    assert.ok(compareKeys(casemapKey(high), casemapKey(low)) > 0, `${high} > ${low}`);
  }
  const equal: [string, string][] = [
    ['lunch', 'LUNCH'],
    ['straße', 'STRAßE'],
    ['ǆ', 'ǅ'],
    ['Ǆ', 'ǅ'],
    ['é', 'E\u0301'],
    ['ᾳ', 'ᾼ'],
  ];
  for (const [x, y] of equal) assert.equal(compareKeys(casemapKey(x), casemapKey(y)), 0, `${x} = ${y}`);
});

const header = (lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n\r\nbody\r\n`);
const meta = (uid: number) => ({ uid, size: 100, internalDate: new Date(Date.UTC(2026, 0, 1, 0, uid)) });

test('header facts: first address, group names, display names, ids and dates', () => {
  // [From value, mailbox key, display key]
  const cases: [string, string, string][] = [
    ['Amy Lee <amy@contoso.com>', 'amy', 'Amy Lee'],
    ['amy@contoso.com', 'amy', 'amy@contoso.com'],
    ['"Lee, Amy" <amy@contoso.com>, bob@contoso.com', 'amy', 'Lee, Amy'],
    ['=?iso-8859-1?q?J=F6rg?= <joerg@contoso.com>', 'joerg', 'Jörg'],
    ['=?utf-8?b?5p2O5aSn5ZCM?= <li@contoso.com>', 'li', '李大同'],
    ['"" <amy@contoso.com>', 'amy', 'amy@contoso.com'],
    ['amy', 'amy', 'amy'],
    // A group is the first thing in the field: its name is the key, not its first member.
    ['Team: amy@contoso.com, bob@contoso.com;', 'Team', 'Team'],
    ['undisclosed-recipients:;', 'undisclosed-recipients', 'undisclosed-recipients'],
    ['', '', ''],
  ];
  for (const [from, mailbox, display] of cases) {
    const f = headerFacts(header([`From: ${from}`, `Cc: ${from}`]), meta(1));
    assert.deepEqual(f.from, { mailbox, display }, from);
    assert.deepEqual(f.cc, { mailbox, display }, from);
  }
  // Raw UTF-8 (RFC 6532) and an 8-bit header in the message's charset are decoded once.
  const raw8 = headerFacts(header(['From: 李大同 <li@contoso.com>', 'To: José Ñ <jose@contoso.com>', 'Cc: 團隊: amy@contoso.com;']), meta(1));
  assert.deepEqual([raw8.from, raw8.to, raw8.cc], [{ mailbox: 'li', display: '李大同' }, { mailbox: 'jose', display: 'José Ñ' }, { mailbox: '團隊', display: '團隊' }]);
  const none = headerFacts(header(['X-Other: 1']), meta(2));
  assert.deepEqual([none.subject, none.to, none.messageId, none.references], ['', { mailbox: '', display: '' }, null, []]);
  assert.equal(none.sent, none.arrival, 'no Date: the internal date (RFC 5256 §2.2)');
  const dated = headerFacts(header(['Date: Mon, 02 Nov 2026 08:00:00 +0200 (EET)', 'Subject: =?utf-8?q?Re=3A_caf=C3=A9?=']), meta(3));
  assert.equal(dated.sent, Date.UTC(2026, 10, 2, 6));
  assert.equal(dated.subject, 'Re: café');
  assert.equal(headerFacts(header(['Date: not a date']), meta(4)).sent, meta(4).internalDate.getTime());
  const reply = headerFacts(header(['Message-ID: <c@x>', 'In-Reply-To: <b@x> <z@x>']), meta(5));
  assert.deepEqual([reply.messageId, reply.references], ['<c@x>', ['<b@x>']], 'In-Reply-To when there is no References');
  const both = headerFacts(header(['References: <a@x>\r\n <b@x>', 'In-Reply-To: <z@x>']), meta(6));
  assert.deepEqual(both.references, ['<a@x>', '<b@x>']);
});

test('header facts: random header bytes never throw', () => {
  const seed = Number(process.env.SORT_FUZZ_SEED ?? 6532);
  const random = prng(seed);
  const names = ['From', 'To', 'Cc', 'Subject', 'Date', 'Message-ID', 'References', 'In-Reply-To'];
  const pieces = ['<', '>', '@', ':', ';', ',', '"', '(', ')', '\\', ' ', '\r\n ', '=?utf-8?q?', '=?big5?b?', '?=', 'a', '李', '\u00ff', '\u0000', 'Re:', '[x]'];
  for (let i = 0; i < 1000; i++) {
    const lines = Array.from({ length: randomInt(random, 8) }, () => {
      let value = '';
      for (let n = randomInt(random, 12); n > 0; n--) value += pick(random, pieces);
      return `${pick(random, names)}: ${value}`;
    });
    const bytes = random() < 0.5 ? header(lines) : Buffer.from(header(lines).toString('utf8'), 'latin1');
    const f = headerFacts(bytes, meta(i + 1));
    const context = `seed ${seed}, case ${i}: ${JSON.stringify(lines)}`;
    for (const text of [f.subject, f.from.mailbox, f.from.display, f.to.display, f.cc.mailbox]) assert.equal(typeof text, 'string', context);
    assert.ok(Number.isFinite(f.sent), context);
    assert.ok(f.references.every((id) => id.startsWith('<') && id.endsWith('>')), context);
  }
});

function facts(uid: number, subject: string, sent: number, extra: Partial<MessageFacts> = {}): MessageFacts {
  const addr = { mailbox: '', display: '' };
  return { uid, size: 100 * uid, arrival: uid, sent, subject, from: addr, to: addr, cc: addr, messageId: null, references: [], ...extra };
}

const uidsOf = (list: readonly MessageFacts[]) => list.map((f) => f.uid);

test('SORT SUBJECT: base subjects in casemap order, ties in sequence order also under REVERSE', () => {
  const subjects = ['b', 'Re: A', '_x', '[list] b', 'Fwd: [list]', '', 'a (fwd)', 'B', '=b', 'Ab: c', '[fwd: a]', 'é', 'e'];
  const list = subjects.map((s, i) => facts(i + 1, s, 0));
  const sort = (criteria: SortCriterion[]) => uidsOf(sortMessages(list, criteria));
  // "" < "=b" < a (2, 7, 11) < "Ab: c" < b (1, 4, 8) < e < é < "[list]" < "_x"
  assert.deepEqual(sort([{ key: 'SUBJECT', reverse: false }]), [6, 9, 2, 7, 11, 10, 1, 4, 8, 13, 12, 5, 3]);
  assert.deepEqual(sort([{ key: 'SUBJECT', reverse: true }]), [3, 5, 12, 13, 1, 4, 8, 10, 2, 7, 11, 9, 6]);
  assert.deepEqual(sort([{ key: 'SUBJECT', reverse: false }, { key: 'SIZE', reverse: true }]), [6, 9, 11, 7, 2, 10, 8, 4, 1, 13, 12, 5, 3]);
});

test('SORT by address, display name, date, size and arrival', () => {
  const a = (mailbox: string, display = mailbox) => ({ mailbox, display });
  const list = [
    facts(1, 'x', 30, { from: a('zed', 'Adam Zed'), to: a('team', 'team'), cc: a('') }),
    facts(2, 'x', 10, { from: a('Amy', 'amy@contoso.com'), to: a('bob', 'Bob'), cc: a('carol') }),
    facts(3, 'x', 20, { from: a('amy', 'Amy Lee'), to: a('Bob', 'bob@contoso.com'), cc: a('amy') }),
  ];
  const sort = (...criteria: SortCriterion[]) => uidsOf(sortMessages(list, criteria));
  assert.deepEqual(sort({ key: 'FROM', reverse: false }), [2, 3, 1]);
  assert.deepEqual(sort({ key: 'FROM', reverse: false }, { key: 'DATE', reverse: true }), [3, 2, 1]);
  assert.deepEqual(sort({ key: 'TO', reverse: false }), [2, 3, 1]);
  assert.deepEqual(sort({ key: 'CC', reverse: false }), [1, 3, 2], 'no Cc sorts first');
  assert.deepEqual(sort({ key: 'DISPLAYFROM', reverse: false }), [1, 3, 2], '"AMY LEE" < "AMY@CONTOSO.COM"');
  assert.deepEqual(sort({ key: 'DISPLAYTO', reverse: true }), [1, 3, 2]);
  assert.deepEqual(sort({ key: 'DATE', reverse: false }), [2, 3, 1]);
  assert.deepEqual(sort({ key: 'SIZE', reverse: true }), [3, 2, 1]);
  assert.deepEqual(sort({ key: 'ARRIVAL', reverse: true }), [3, 2, 1]);
  assert.deepEqual(sort({ key: 'SUBJECT', reverse: true }), [1, 2, 3], 'equal keys: sequence order');
});

test('SORT: random facts and criteria give a permutation in criteria order', () => {
  const seed = Number(process.env.SORT_FUZZ_SEED ?? 5957);
  const random = prng(seed);
  const keys = ['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO'] as const;
  const words = ['', 'a', 'B', 'Re: a', '[x] b', '_', 'é', '😀', 'ß'];
  for (let round = 0; round < 200; round++) {
    const list = Array.from({ length: randomInt(random, 12) }, (_, i) => {
      const addr = () => ({ mailbox: pick(random, words), display: pick(random, words) });
      return { ...facts(i + 1, pick(random, words), randomInt(random, 4)), size: randomInt(random, 4), arrival: randomInt(random, 4), from: addr(), to: addr(), cc: addr() };
    });
    const criteria = Array.from({ length: 1 + randomInt(random, 3) }, () => ({ key: pick(random, keys), reverse: random() < 0.5 }));
    const sorted = sortMessages(list, criteria);
    const context = `seed ${seed}, round ${round}`;
    assert.deepEqual(uidsOf(sorted).sort((x, y) => x - y), uidsOf(list), context);
    // Each neighbour pair is in order under the criteria, with sequence order last.
    const key = (f: MessageFacts, k: (typeof keys)[number]) =>
      k === 'ARRIVAL' ? f.arrival : k === 'DATE' ? f.sent : k === 'SIZE' ? f.size
        : casemapKey(k === 'SUBJECT' ? baseSubject(f.subject) : k === 'FROM' ? f.from.mailbox : k === 'TO' ? f.to.mailbox
          : k === 'CC' ? f.cc.mailbox : k === 'DISPLAYFROM' ? f.from.display : f.to.display);
    for (let i = 1; i < sorted.length; i++) {
      let d = 0;
      for (const c of criteria) {
        const x = key(sorted[i - 1]!, c.key);
        const y = key(sorted[i]!, c.key);
        d = typeof x === 'number' ? x - (y as number) : compareKeys(x, y as string);
        if (c.reverse) d = -d;
        if (d !== 0) break;
      }
      assert.ok(d < 0 || (d === 0 && sorted[i - 1]!.uid < sorted[i]!.uid), context);
    }
  }
});

const threads = (tokens: Float64Array) => renderThreads(tokens, (u) => u);
// The algorithms over the thread keys of header facts, as the store keeps them.
function references(list: readonly MessageFacts[]): Float64Array {
  return referencesOf(threadColumns(list.map(threadMessage)));
}
function orderedSubject(list: readonly MessageFacts[]): Float64Array {
  return orderedSubjectOf(threadColumns(list.map(threadMessage)));
}

test('THREAD REFERENCES: linking, dummies and pruning (RFC 5256 §2.2 steps 1–4)', () => {
  const m = (uid: number, id: string | null, refs: string[] = [], sent = uid, subject = '') =>
    facts(uid, subject, sent, { messageId: id, references: refs });
  // [case, messages, THREAD answer]
  const cases: [string, MessageFacts[], string][] = [
    ['a reply chain and a branch', [m(1, '<a>'), m(2, '<b>', ['<a>']), m(3, '<c>', ['<a>', '<b>']), m(4, '<d>', ['<a>'])], '(1 (2 3)(4))'],
    ['siblings in sent date order, not arrival', [m(1, '<a>'), m(2, '<b>', ['<a>'], 9), m(3, '<c>', ['<a>'], 5)], '(1 (3)(2))'],
    ['equal dates: sequence order', [m(1, '<a>', [], 0), m(2, '<b>', [], 0)], '(1)(2)'],
    ['a reply that arrives before its parent', [m(1, '<b>', ['<a>']), m(2, '<a>')], '(2 1)'],
    ['a missing parent with one child: the child is a root', [m(1, '<b>', ['<gone>'])], '(1)'],
    ['a missing parent with two children: a dummy root', [m(1, null, ['<gone>']), m(2, null, ['<gone>'])], '((1)(2))'],
    ['missing parents in the middle are skipped', [m(1, '<a>'), m(2, '<d>', ['<a>', '<b>', '<c>']), m(3, '<e>', ['<a>', '<x>'])], '(1 (2)(3))'],
    ['a duplicate Message-ID counts as a new message', [m(1, '<a>'), m(2, '<a>'), m(3, '<b>', ['<a>'])], '(1 3)(2)'],
    // References say a → c → b; then c's own header says its parent is b. That link would be a
    // loop, and c's earlier parent a is dropped all the same (step 1.B).
    ["the message's own parent wins, even when it cannot be linked", [m(1, '<a>', [], 3), m(2, '<b>', ['<a>', '<c>'], 1), m(3, '<c>', ['<b>'], 2)], '(3 2)(1)'],
    ['a message with no references loses a parent guessed from others', [m(1, '<x>', ['<a>', '<b>']), m(2, '<b>')], '(2 1)'],
    ['an existing parent is kept over a later References guess', [m(1, '<a>'), m(2, '<b>'), m(3, '<c>', ['<a>']), m(4, '<d>', ['<b>', '<c>'])], '(1 3 4)(2)'],
    ['a message that references itself', [m(1, '<a>', ['<a>'])], '(1)'],
    // <a> went under <b>; <b>'s own parent would then be its child <a>, a loop.
    ['reference loops are not linked', [m(1, '<a>', ['<b>']), m(2, '<b>', ['<a>'])], '(2 1)'],
    ['nothing', [], ''],
  ];
  for (const [name, list, expected] of cases) assert.equal(threads(references(list)), expected, name);
});

test('THREAD REFERENCES: threads are gathered by base subject (step 5)', () => {
  const m = (uid: number, subject: string, extra: Partial<MessageFacts> = {}) => facts(uid, subject, uid, extra);
  const cases: [string, MessageFacts[], string][] = [
    ['a reply joins the thread of its subject', [m(1, 'Plan'), m(2, 'Re: Plan')], '(1 2)'],
    ['subjects compare without case', [m(1, 'plan'), m(2, 'RE: PLAN')], '(1 2)'],
    ['two replies: a dummy holds both', [m(1, 'Re: Plan'), m(2, 'Re: Plan')], '((1)(2))'],
    ['two originals: a dummy holds both', [m(1, 'Plan'), m(2, 'Plan')], '((1)(2))'],
    ['the original is the parent even when it is younger', [m(1, 'Re: Plan'), m(2, 'Plan')], '(2 1)'],
    ['a dummy holds later roots as its children', [m(1, 'Plan'), m(2, 'Plan'), m(3, 'Re: Plan'), m(4, 'Other')], '((1)(2)(3))(4)'],
    ['empty subjects are never gathered', [m(1, ''), m(2, 'Re:'), m(3, '')], '(1)(2)(3)'],
    ['a thread keeps its replies when it is gathered', [m(1, 'Plan', { messageId: '<a>' }), m(2, 'Re: Plan', { messageId: '<b>', references: ['<a>'] }), m(3, 'Plan')],
      '((1 2)(3))'],
    ["a dummy root takes its first child's subject; two dummies merge",
      [m(1, 'Plan', { references: ['<x>'] }), m(2, 'Re: Plan', { references: ['<x>'] }), m(3, 'Re: Plan', { references: ['<y>'] }), m(4, 'Re: Plan', { references: ['<y>'] })],
      '((1)(2)(3)(4))'],
    ['a root joins a dummy of the same subject', [m(1, 'Plan', { references: ['<x>'] }), m(2, 'Plan', { references: ['<x>'] }), m(3, 'Plan')], '((1)(2)(3))'],
  ];
  for (const [name, list, expected] of cases) assert.equal(threads(references(list)), expected, name);
});

test('THREAD ORDEREDSUBJECT: one thread per base subject, first message the parent', () => {
  const list = [
    facts(1, 'Plan', 5),
    facts(2, 'Re: plan', 2),
    facts(3, 'Other', 3),
    facts(4, '[list] Fwd: Plan', 9),
    facts(5, '', 1),
    facts(6, 'Re: Other', 3),
    facts(7, '', 8),
  ];
  // Threads in the order of their first message's date: "" (5) at 1, plan (2) at 2, other (3) at 3.
  assert.equal(threads(orderedSubject(list)), '(5 7)(2 (1)(4))(3 6)');
  assert.equal(threads(orderedSubject([])), '');
});

test('THREAD: random reference graphs give every message exactly once and never throw', () => {
  const seed = Number(process.env.SORT_FUZZ_SEED ?? 2822);
  const random = prng(seed);
  const ids = ['<a>', '<b>', '<c>', '<d>', '<e>', '<f>'];
  const subjects = ['Plan', 'Re: Plan', 'plan (fwd)', '', 'Other', '[fwd: Other]'];
  for (let round = 0; round < 500; round++) {
    const list = Array.from({ length: randomInt(random, 10) }, (_, i) =>
      facts(i + 1, pick(random, subjects), randomInt(random, 3), {
        messageId: random() < 0.8 ? pick(random, ids) : null,
        references: Array.from({ length: randomInt(random, 4) }, () => pick(random, ids)),
      }));
    for (const algorithm of [references, orderedSubject]) {
      const text = threads(algorithm(list));
      const context = `seed ${seed}, round ${round}, ${algorithm.name}: ${text}`;
      const numbers = (text.match(/\d+/g) ?? []).map(Number).sort((x, y) => x - y);
      assert.deepEqual(numbers, uidsOf(list), context);
      let depth = 0;
      for (const ch of text) {
        depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
        assert.ok(depth >= 0, context);
      }
      assert.equal(depth, 0, context);
      assert.ok(!/\(\)|\(\(\d+\)\)/.test(text), `no empty thread and no dummy with one child: ${context}`);
    }
  }
});

test('THREAD on numbered columns answers as the plain object implementation does', () => {
  // test/support/thread-objects.ts is RFC 5256 §2.2 step by step over objects and a Map of
  // strings; the columns must give the same answer for every graph: duplicate ids, loops,
  // missing parents, dummies merged by subject, equal dates, UIDs with gaps.
  const seed = Number(process.env.SORT_FUZZ_SEED ?? 5256);
  const random = prng(seed);
  const subjects = ['Plan', 'Re: Plan', 'plan (fwd)', '', 'Re:', 'Other', '[fwd: Other]', 'RE: other', 'Third'];
  for (let round = 0; round < 2000; round++) {
    const idCount = 1 + randomInt(random, round % 2 === 0 ? 6 : 40);
    const ids = Array.from({ length: idCount }, (_, i) => `<${i}@x>`);
    let uid = 0;
    // Sent dates: few distinct values (ties), whole seconds, milliseconds, and a spread too wide
    // to pack with an index into a double (before 1970 and far ahead), as threading orders
    // each of them its own way.
    const dates = [
      () => randomInt(random, 6),
      () => 1_700_000_000_000 + 1000 * randomInt(random, 5),
      () => 1_700_000_000_000 + randomInt(random, 3000),
      () => pick(random, [-8.64e15, 8.64e15, 0, -1500, 1_700_000_000_000]) + 1000 * randomInt(random, 2),
    ];
    const date = dates[round % dates.length]!;
    const list = Array.from({ length: randomInt(random, round % 10 === 0 ? 200 : 25) }, () =>
      facts((uid += 1 + randomInt(random, 3)), pick(random, subjects), date(), {
        messageId: random() < 0.85 ? pick(random, ids) : null,
        references: Array.from({ length: randomInt(random, 5) }, () => pick(random, ids)),
      }));
    const messages = list.map(threadMessage);
    const context = `seed ${seed}, round ${round}`;
    assert.equal(threads(referencesOf(threadColumns(messages))), threads(threadTokensOfObjects(referencesObjects(messages))), `REFERENCES, ${context}`);
    assert.equal(threads(orderedSubjectOf(threadColumns(messages))), threads(threadTokensOfObjects(orderedSubjectObjects(messages))), `ORDEREDSUBJECT, ${context}`);
  }
});

test('THREAD: a reply chain 20 000 messages deep does not exhaust the stack', () => {
  const n = 20_000;
  const list = Array.from({ length: n }, (_, i) => facts(i + 1, 'Re: Plan', i, { messageId: `<${i}>`, references: i === 0 ? [] : [`<${i - 1}>`] }));
  const text = threads(references(list));
  assert.equal(text, `(${list.map((f) => f.uid).join(' ')})`);
  assert.equal(threads(orderedSubject(list)), `(1 ${list.slice(1).map((f) => `(${f.uid})`).join('')})`);
});

test('LIST patterns join the reference as RFC 3501 §6.3.8 says', async () => {
  const { patternMatcher } = await import('../../src/imap/commands/list.ts');
  const cases: [string, string, string, boolean][] = [
    ['', '*', '寄件備份/2026', true],
    ['', '%', '寄件備份/2026', false],
    ['', '%', '寄件備份', true],
    ['寄件備份/', '%', '寄件備份/2026', true],
    ['Foo', '*', 'Foobar', true],
    ['Foo', '*', 'Foo/bar', true],
    ['', 'inbox', 'INBOX', true],
    ['', 'Inbox/%', 'INBOX/Sub', true],
    ['', 'a.b', 'axb', false],
    ['x', '/a', '/a', true],
  ];
  for (const [reference, pattern, name, expected] of cases) {
    assert.equal(patternMatcher(reference, pattern)(name), expected, `${reference} ${pattern} ${name}`);
  }
});

test('property: LIST wildcards match what the regular expression of the pattern matches', async () => {
  const { wildcardMatcher } = await import('../../src/imap/commands/list.ts');
  // The translation the matcher replaced; exponential in the wildcards, so only short names.
  const byRegex = (pattern: string, name: string) => {
    let re = '';
    for (const ch of pattern) re += ch === '*' ? '.*' : ch === '%' ? '[^/]*' : ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`^${re}$`, 'su').test(name);
  };
  const seed = Date.now() % 1_000_000;
  const random = prng(seed);
  const patternPieces = ['*', '%', 'a', 'b', '/', '.', '寄', '😀'];
  const namePieces = ['a', 'b', '/', '.', '寄', '😀'];
  let matched = 0;
  for (let run = 0; run < 20_000; run++) {
    let pattern = '';
    let name = '';
    for (let i = randomInt(random, 7); i > 0; i--) pattern += pick(random, patternPieces);
    for (let i = randomInt(random, 7); i > 0; i--) name += pick(random, namePieces);
    const expected = byRegex(pattern, name);
    assert.equal(wildcardMatcher(pattern)(name), expected, `seed ${seed}: ${JSON.stringify(pattern)} ${JSON.stringify(name)}`);
    if (expected) matched++;
  }
  assert.ok(matched > 500, `only ${matched} matches`);
});

test('SORT and SEARCH responses are written as bytes: numbers of every length, and none', async () => {
  const { numberListLine } = await import('../../src/imap/protocol/index.ts');
  const random = prng(5256);
  const numbers = Uint32Array.from([0, 9, 10, 99, 100, 4294967295, ...Array.from({ length: 200 }, () => randomInt(random, 2 ** 32))]);
  assert.equal(numberListLine('* SORT', numbers).toString('latin1'), `* SORT ${numbers.join(' ')}\r\n`);
  assert.equal(numberListLine('* SORT', new Uint32Array(0)).toString('latin1'), '* SORT\r\n');
  assert.equal(numberListLine('* SEARCH', [3, 17], ' (MODSEQ 912)').toString('latin1'), '* SEARCH 3 17 (MODSEQ 912)\r\n');
  assert.equal(numberListLine('* SEARCH', [], ' (MODSEQ 1)').toString('latin1'), '* SEARCH (MODSEQ 1)\r\n');
});
