import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuCost } from '../support/cpu-time.ts';
import iconv from 'iconv-lite';
import {
  decodeCharset,
  decodeEncodedWords,
  decodeHeaderBytes,
  decodeHeaderText,
  decodedMailboxes,
  fieldValue,
  formatAddressesDecoded,
  headerValue,
  normalizeCharset,
  parseAddressList,
  parseHeaderFields,
  parseLanguageList,
  parseStructured,
  parseToken,
  unfold,
} from '../../src/mime/index.ts';
import type { AddressItem } from '../../src/mime/index.ts';

const params = (s: string) => parseStructured(s).params.map((p) => [p.name, p.value]);

test('fields: names, folding, obsolete blank before the colon, junk lines', () => {
  const raw = Buffer.from('From blah\r\nSubject : Hello\r\n\tworld\r\nX-Empty:\r\n bogus-start\r\nTo: a@b\r\n\r\nbody');
  const fields = parseHeaderFields(raw);
  assert.deepEqual(fields.map((f) => f.name), ['', 'Subject', 'X-Empty', 'To']);
  assert.equal(fieldValue(raw, fields[1]!), 'Hello\tworld');
  assert.equal(fieldValue(raw, fields[2]!), 'bogus-start');
  assert.equal(headerValue(raw, fields, 'SUBJECT'), 'Hello\tworld');
  assert.equal(headerValue(raw, fields, 'cc'), null);
});

test('unfolding keeps the blank that starts a continuation line', () => {
  const raw = Buffer.from('Subject: a\r\n b\r\n  c\n\td\r\n\r\n');
  assert.equal(headerValue(raw, parseHeaderFields(raw), 'subject'), 'a b  c\td');
});

test('structured values: type, quoted strings, comments, odd spacing, junk', () => {
  const v = parseStructured('text/plain (Plain text) ; charset = "utf-8" (comment); format=flowed;; bogus; name="a \\"b\\".txt" trailing junk');
  assert.equal(v.value, 'text/plain');
  assert.deepEqual(v.params.map((p) => [p.name, p.value]), [['charset', 'utf-8'], ['format', 'flowed'], ['name', 'a "b".txt']]);
  assert.deepEqual(params('attachment; filename=My File (1).pdf'), [['filename', 'My File (1).pdf']]);
  assert.deepEqual(params('attachment; filename="unterminated.pdf'), [['filename', 'unterminated.pdf']]);
  assert.deepEqual(params('x/y; A=1; a=2'), [['a', '1']]);
  assert.deepEqual(params('x/y; =novalue; name'), []);
});

test('RFC 2231: charset and language, continuations, mixed pieces, precedence', () => {
  const one = parseStructured("attachment; filename*=utf-8''%E4%B8%AD%E6%96%87.txt").params[0]!;
  assert.deepEqual([one.value, one.charset, one.language], ['中文.txt', 'utf-8', null]);

  const rfc = parseStructured("message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"");
  assert.deepEqual(rfc.params.map((p) => [p.name, p.value]), [['access-type', 'URL'], ['url', 'ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar']]);

  const mixed = parseStructured("application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"").params[0]!;
  assert.deepEqual([mixed.value, mixed.charset, mixed.language], ["This is even more ***fun*** isn't it!", 'us-ascii', 'en']);

  // Pieces out of order and one missing: joined in section order with what is there.
  assert.deepEqual(params('x/y; n*2=c; n*0=a; n*3=d'), [['n', 'acd']]);
  // "name*" wins over the plain fallback, whichever comes first.
  assert.deepEqual(params("x/y; filename*=iso-8859-1''caf%E9.txt; filename=\"cafe.txt\""), [['filename', 'café.txt']]);
  // GB18030 and Big5 charsets in parameters.
  const gb = iconv.encode('报告.doc', 'gb18030').toString('hex').replace(/(..)/g, '%$1');
  assert.deepEqual(params(`x/y; name*=gb2312''${gb}`), [['name', '报告.doc']]);
  // A stray "%" and a missing charset section do not break anything.
  assert.deepEqual(params("x/y; a*=100%25%; b*=no-quotes%41"), [['a', '100%%'], ['b', 'no-quotesA']]);
});

test('raw 8-bit parameter values are decoded as UTF-8, else guessed', () => {
  const utf8 = Buffer.from('attachment; filename="中文.pdf"', 'utf8').toString('latin1');
  assert.deepEqual(params(utf8), [['filename', '中文.pdf']]);
  const big5 = Buffer.concat([Buffer.from('attachment; filename="'), iconv.encode('會議記錄.pdf', 'big5'), Buffer.from('"')]).toString('latin1');
  assert.deepEqual(params(big5), [['filename', '會議記錄.pdf']]);
});

test('language lists and tokens', () => {
  assert.deepEqual(parseLanguageList('en-US, fr (French) ,\r\n de'), ['en-US', 'fr', 'de']);
  assert.deepEqual(parseLanguageList(' , '), []);
  assert.equal(parseToken(' Quoted-Printable (qp) '), 'quoted-printable');
});

test('encoded words (RFC 2047): charsets, Q and B, adjacent words, split characters', () => {
  assert.equal(decodeEncodedWords('=?ISO-8859-1?Q?Andr=E9?= Pirard'), 'André Pirard');
  assert.equal(decodeEncodedWords('(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)'), '(ab)');
  assert.equal(decodeEncodedWords('=?utf-8?B?5L?= =?utf-8?B?it5paH?='), '中文');
  assert.equal(decodeEncodedWords('=?big5?B?' + iconv.encode('會議', 'big5').toString('base64') + '?='), '會議');
  assert.equal(decodeEncodedWords('=?GB2312?B?' + iconv.encode('报告', 'gbk').toString('base64') + '?='), '报告');
  assert.equal(decodeEncodedWords('=?ISO-2022-JP?B?GyRCMnE1RDtxTkEbKEI=?='), '会議資料');
  assert.equal(decodeEncodedWords('=?US-ASCII*EN?Q?Keith_Moore?='), 'Keith Moore');
  assert.equal(decodeEncodedWords('no words here'), 'no words here');
  assert.equal(decodeEncodedWords('=?utf-8?Q?broken'), '=?utf-8?Q?broken');
});

test('raw 8-bit header bytes: UTF-8 first, then the hint, then a Chinese guess, then windows-1252', () => {
  assert.equal(decodeHeaderBytes(Buffer.from('Grüße 中文')), 'Grüße 中文');
  const samples = ['关于项目进度的报告', '请查收附件中的合同', '会议通知', '您好，我们的产品价格表'];
  for (const s of samples) assert.equal(decodeHeaderBytes(iconv.encode(s, 'gb18030')), s, `GB18030 guess: ${s}`);
  const big5 = ['會議通知：下週一上午十點', '請查收附件', '關於專案進度的報告', '您好，這是我們的價格表'];
  for (const s of big5) assert.equal(decodeHeaderBytes(iconv.encode(s, 'big5')), s, `Big5 guess: ${s}`);
  // The hint decides when both readings would be plausible.
  assert.equal(decodeHeaderBytes(iconv.encode('報告', 'big5'), 'big5'), '報告');
  assert.equal(decodeHeaderBytes(iconv.encode('Привет', 'koi8-r'), 'koi8-r'), 'Привет');
  // Latin-1 text is neither UTF-8 nor Chinese, though its bytes would pair up as GBK.
  for (const s of ['café crème', 'Müller', 'Grüße aus Köln', 'François Hébert', 'Ærøskøbing', 'señor Muñoz']) {
    assert.equal(decodeHeaderBytes(Buffer.from(s, 'latin1')), s, s);
  }
  assert.equal(decodeHeaderText(Buffer.from('Re: 报告 =?utf-8?Q?caf=C3=A9?=').toString('latin1')), 'Re: 报告 café');
});

test('declared charsets: aliases, supersets, unknown labels', () => {
  assert.equal(normalizeCharset('"GB2312"'), 'gb18030');
  assert.equal(normalizeCharset('win-1251'), 'windows-1251');
  assert.equal(normalizeCharset('ISO-8859-1'), 'windows-1252');
  assert.equal(decodeCharset(iconv.encode('镕', 'gbk'), 'gb2312'), '镕');
  assert.equal(decodeCharset(Buffer.from([0x93, 0x61, 0x94]), 'iso-8859-1'), '“a”');
  assert.equal(decodeCharset(Buffer.from('中'), 'x-no-such-charset'), '中');
  assert.equal(decodeCharset(Buffer.from([0xe9]), 'x-no-such-charset'), 'é');
  assert.equal(decodeCharset(Buffer.from('é'), 'us-ascii'), 'é');
});

const addr = (name: string | null, mailbox: string | null, host: string | null, route: string | null = null) => ({ name, route, mailbox, host });

test('addresses: RFC 5322 §A.1 examples', () => {
  assert.deepEqual(parseAddressList('John Doe <jdoe@machine.example>'), [addr('John Doe', 'jdoe', 'machine.example')]);
  assert.deepEqual(parseAddressList('Mary Smith <mary@example.net>, "Doe, John" <j@x.example>'), [addr('Mary Smith', 'mary', 'example.net'), addr('Doe, John', 'j', 'x.example')]);
  assert.deepEqual(parseAddressList('A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;'), [
    { group: 'A Group', members: [addr('Ed Jones', 'c', 'a.test'), addr(null, 'joe', 'where.test'), addr('John', 'jdoe', 'one.test')] },
  ]);
  assert.deepEqual(parseAddressList('Undisclosed recipients:;'), [{ group: 'Undisclosed recipients', members: [] }]);
  assert.deepEqual(parseAddressList('"Giant; \\"Big\\" Box" <sysservices@example.net>'), [addr('Giant; "Big" Box', 'sysservices', 'example.net')]);
});

test('addresses: obsolete and broken forms are tolerated', () => {
  const cases: [string, AddressItem[]][] = [
    ['<@a.example,@b.example:joe@c.example>', [addr(null, 'joe', 'c.example', '@a.example,@b.example')]],
    ['joe@example.com (Joe Bloggs)', [addr('Joe Bloggs', 'joe', 'example.com')]],
    ['<joe@example.com> (Joe Bloggs)', [addr('Joe Bloggs', 'joe', 'example.com')]],
    ['Joe <joe@example.com', [addr('Joe', 'joe', 'example.com')]],
    ['Doe, John <j@x.example>', [addr(null, 'Doe', null), addr('John', 'j', 'x.example')]],
    ['undisclosed-recipients', [addr(null, 'undisclosed-recipients', null)]],
    ['<>', [addr(null, null, null)]],
    [', ,, a@b ,', [addr(null, 'a', 'b')]],
    ['"unterminated <x@y>', [addr(null, 'unterminated <x@y>', null)]],
    ['a@[192.0.2.1]', [addr(null, 'a', '[192.0.2.1]')]],
    ['=?utf-8?B?5byg5LiJ?= <zhang@example.cn>', [addr('=?utf-8?B?5byg5LiJ?=', 'zhang', 'example.cn')]],
    ['张三 <zhang@例子.cn>', [addr('张三', 'zhang', '例子.cn')]],
    ['g1: a@b; g2: ; c@d', [{ group: 'g1', members: [addr(null, 'a', 'b')] }, { group: 'g2', members: [] }, addr(null, 'c', 'd')]],
    ['group: a@b, inner: c@d; e@f', [{ group: 'group', members: [addr(null, 'a', 'b'), addr(null, 'c', 'd')] }, addr(null, 'e', 'f')]],
    // Comments are white space inside the brackets and before a domain (RFC 5322 §3.4.1 CFWS).
    ['<user-from (comment)@ (comment) domain.org>', [addr(null, 'user-from', 'domain.org')]],
    ['<joe@example.com (x)>', [addr(null, 'joe', 'example.com')]],
    ['Joe <joe (x) @ (y) example.com (z)>, b@c', [addr('Joe', 'joe', 'example.com'), addr(null, 'b', 'c')]],
    ['joe@ (x) example.com (Joe Bloggs)', [addr('Joe Bloggs', 'joe', 'example.com')]],
    ['joe@(Joe Bloggs)', [addr('Joe Bloggs', 'joe', null)]],
  ];
  for (const [input, want] of cases) assert.deepEqual(parseAddressList(input), want, input);
});

test('decoded address text for SEARCH and SORT', () => {
  const list = parseAddressList('=?utf-8?B?5byg5LiJ?= <zhang@example.cn>, Team: "=?ISO-8859-1?Q?Ren=E9e?=" <r@x.fr>;');
  assert.equal(formatAddressesDecoded(list), '张三 <zhang@example.cn>, Team: Renée <r@x.fr>;');
  assert.deepEqual(decodedMailboxes(list), [
    { name: '张三', address: 'zhang@example.cn' },
    { name: 'Renée', address: 'r@x.fr' },
  ]);
});

test('raw ISO-2022-JP in a header (7-bit escapes, no encoded word) is decoded', () => {
  assert.equal(decodeHeaderBytes(Buffer.from('1b2442327135443b714e411b2842', 'hex')), '会議資料');
  assert.equal(decodeHeaderText(Buffer.from('Re: \x1b$B2q5D;qNA\x1b(B', 'latin1').toString('latin1')), 'Re: 会議資料');
});

test('hostile header values are handled in linear time', () => {
  const blanks = ' '.repeat(100_000);
  const { ms } = cpuCost(() => {
    assert.equal(unfold(`a${blanks}b${blanks}`), `a${blanks}b`);
    assert.equal(parseStructured('a/b; name=x' + ' (c)'.repeat(30_000) + ' z').params[0]!.value.length > 0, true);
    parseStructured('a/b; n*' + '1'.repeat(100_000) + 'x=1');
    parseAddressList('a <'.repeat(30_000));
    parseAddressList('(a) '.repeat(30_000) + '('.repeat(10_000));
    decodeEncodedWords('=?a?'.repeat(30_000));
  });
  assert.ok(ms < 2000, `${ms} ms of CPU`);
});

test('trailing comments are dropped from unquoted values only after a blank', () => {
  assert.deepEqual(params('x/y; charset=utf-8 (Unicode) (really)'), [['charset', 'utf-8']]);
  assert.deepEqual(params('x/y; name=report(1).pdf'), [['name', 'report(1).pdf']]);
  assert.deepEqual(params('x/y; name=a (b) c'), [['name', 'a (b) c']]);
});
