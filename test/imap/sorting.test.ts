// SORT and THREAD building blocks: base subjects (RFC 5256 §2.1), sort order with ties, and
// threads by REFERENCES and ORDEREDSUBJECT written in the RFC's parenthesized form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseSubject } from '../../src/imap/sorting/base-subject.ts';
import { sortMessages } from '../../src/imap/sorting/sort.ts';
import { formatThreads, orderedSubject, references } from '../../src/imap/sorting/thread.ts';
import type { MessageFacts } from '../../src/imap/sorting/message-facts.ts';

test('base subject', () => {
  const cases: [string, string][] = [
    ['Lunch', 'lunch'],
    ['Re: Lunch', 'lunch'],
    ['RE: Re: FW: Lunch', 'lunch'],
    ['Fwd: [list] Re: Lunch (fwd)', 'lunch'],
    ['[fwd: Lunch]', 'lunch'],
    ['  Re:   Lunch   at  noon ', 'lunch at noon'],
    ['回覆：會議通知', '會議通知'],
    ['转发: 会议纪要', '会议纪要'],
    ['[list]', '[list]'],
    ['', ''],
    ['Re:', 're:'],
  ];
  for (const [input, expected] of cases) assert.equal(baseSubject(input), expected, input);
});

function facts(uid: number, subject: string, sent: number, extra: Partial<MessageFacts> = {}): MessageFacts {
  const addr = { mailbox: '', display: '' };
  return { uid, size: 100 * uid, arrival: uid, sent, subject, from: addr, to: addr, cc: addr, messageId: null, references: [], ...extra };
}

test('sort by criteria with reverse and ties in UID order', () => {
  const list = [
    facts(1, 'b', 30, { from: { mailbox: 'zed', display: 'Zed' } }),
    facts(2, 'Re: a', 10, { from: { mailbox: 'amy', display: 'Amy' } }),
    facts(3, 'a', 20, { from: { mailbox: 'amy', display: 'Amy' } }),
  ];
  const uids = (c: Parameters<typeof sortMessages>[1]) => sortMessages(list, c).map((f) => f.uid);
  assert.deepEqual(uids([{ key: 'SUBJECT', reverse: false }]), [2, 3, 1]);
  assert.deepEqual(uids([{ key: 'DATE', reverse: false }]), [2, 3, 1]);
  assert.deepEqual(uids([{ key: 'SIZE', reverse: true }]), [3, 2, 1]);
  assert.deepEqual(uids([{ key: 'FROM', reverse: false }, { key: 'DATE', reverse: true }]), [3, 2, 1]);
  assert.deepEqual(uids([{ key: 'ARRIVAL', reverse: false }]), [1, 2, 3]);
});

test('THREAD REFERENCES and ORDEREDSUBJECT', () => {
  const list = [
    facts(1, 'Plan', 1, { messageId: '<a@x>' }),
    facts(2, 'Re: Plan', 2, { messageId: '<b@x>', references: ['<a@x>'] }),
    facts(3, 'Re: Plan', 3, { messageId: '<c@x>', references: ['<a@x>', '<b@x>'] }),
    facts(4, 'Re: Plan', 4, { messageId: '<d@x>', references: ['<a@x>'] }),
    facts(5, 'Other', 5, { messageId: '<e@x>' }),
    facts(6, 'Re: Missing parent', 6, { messageId: '<f@x>', references: ['<gone@x>'] }),
  ];
  assert.equal(formatThreads(references(list), (u) => u), '(1 (2 3)(4))(5)(6)');
  assert.equal(formatThreads(orderedSubject(list), (u) => u), '(1 (2)(3)(4))(5)(6)');
  assert.equal(formatThreads(references([]), (u) => u), '');
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
