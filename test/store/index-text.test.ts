// What SEARCH FROM/TO/CC/BCC match: the store tests a case-insensitive substring of the field's
// decoded address text (index-text.ts), which must hold the address and the display name in
// every form a header can take. The forms are those of imaptest's search-addresses group and
// the ones Dovecot answers the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractIndexedText } from '../../src/store/index-text.ts';

type Field = 'from' | 'to' | 'cc' | 'bcc';

/** [header line, field, strings that must match, strings that must not]. */
const cases: [string, Field, string[], string[]][] = [
  ['From: user-from@domain.org', 'from', ['user-from@domain.org', 'ser-fro', 'DOMAIN.ORG'], ['realfrom']],
  ['From: RealFrom <user-from@domain.org>', 'from', ['realfrom', 'ealfro', 'user-from@domain.org', 'RealFrom <user-from@domain.org>'], ['comment']],
  ['From: <user-from (comment)@ (comment) domain.org>', 'from', ['user-from@domain.org', 'ser-fro'], ['comment']],
  ['From: user-from@domain.org (RealFrom)', 'from', ['realfrom', 'user-from@domain.org'], []],
  ['From: <joe@example.com> (Joe Bloggs)', 'from', ['joe bloggs', 'joe@example.com'], []],
  ['From: user-from1@domain.org, user-from2@domain.org', 'from', ['user-from1', 'user-from2@domain.org'], ['user-from3']],
  ['To: groupname: groupuser1@domain.org, groupuser2@domain.org;,\r\n  groupname2: groupuser3@domain.org;', 'to',
    ['groupname', 'groupname2', 'groupuser1', 'groupuser2@domain.org', 'groupuser3'], ['groupuser4']],
  ['To: groupname:;', 'to', ['groupname'], ['groupuser']],
  ['To: undisclosed-recipients:;', 'to', ['undisclosed-recipients'], []],
  ['From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@x.org>', 'from', ['jörg müller', 'JÖRG', 'joerg@x.org', 'müller <joerg@'], ['=?utf-8', 'c3']],
  ['From: =?iso-8859-1?q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>', 'from', ['andré pirard', 'pirard@vm1'], []],
  ['Cc: =?utf-8?q?Gr=C3=BCppe?=: a@b.c;', 'cc', ['grüppe', 'a@b.c'], ['=?utf-8']],
  ['To: "Smith, John" <js@x.org>', 'to', ['smith, john', 'js@x.org'], []],
  ['From: "Quoted \\"Name\\"" <q@x.org>', 'from', ['quoted "name"', 'q@x.org'], []],
  ['Bcc: Bob Example <bob@[127.0.0.1]>', 'bcc', ['bob example', 'bob@[127.0.0.1]'], []],
  ['From: 张三 <zhang@例子.cn>', 'from', ['张三', 'zhang@例子.cn'], []],
  ['Cc: =?utf-8?B?546L5bCP5piO?= <xiaoming@contoso.com>', 'cc', ['王小明', 'xiaoming'], []],
];

test('address fields: SEARCH FROM/TO/CC/BCC match the address and the display name', () => {
  for (const [line, field, matching, other] of cases) {
    // Lower case on both sides, as the store's text_has and the trigram index compare.
    const text = extractIndexedText(Buffer.from(`${line}\r\nSubject: x\r\n\r\nbody\r\n`))[field].toLowerCase();
    for (const needle of matching) assert.ok(text.includes(needle.toLowerCase()), `${line} should match ${JSON.stringify(needle)} (text: ${text})`);
    for (const needle of other) assert.ok(!text.includes(needle.toLowerCase()), `${line} should not match ${JSON.stringify(needle)} (text: ${text})`);
  }
});

test('address fields: several fields of one name are all searched', () => {
  const t = extractIndexedText(Buffer.from('To: a@x.org\r\nTo: Bee <b@y.org>\r\n\r\n'));
  assert.ok(t.to.includes('a@x.org') && t.to.includes('Bee <b@y.org>'), t.to);
});
