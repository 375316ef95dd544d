import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuCost } from '../support/cpu-time.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeBase64,
  decodeEntities,
  decodeQuotedPrintable,
  extractSearchText,
  htmlToText,
  scanMessage,
} from '../../src/mime/index.ts';
import { FIXTURE_DIR } from './make-fixtures.ts';
import { pick, prng, randomInt } from '../support/random.ts';

const fixture = (name: string) => {
  const raw = readFileSync(join(FIXTURE_DIR, `${name}.eml`));
  return extractSearchText(raw, scanMessage(raw));
};

test('base64: line breaks, junk, missing padding, concatenated chunks, URL-safe alphabet', () => {
  assert.equal(decodeBase64(Buffer.from('SGVs\r\nbG8g\r\nd29y bGQ=')).toString(), 'Hello world');
  assert.equal(decodeBase64(Buffer.from('SGVsbG8')).toString(), 'Hello');
  assert.equal(decodeBase64(Buffer.from('SGk=SGk=')).toString(), 'HiHi');
  assert.equal(decodeBase64(Buffer.from('!!S*G#k@')).toString(), 'Hi');
  assert.deepEqual([...decodeBase64(Buffer.from('-_8'))], [0xfb, 0xff]);
  assert.equal(decodeBase64(Buffer.from('')).length, 0);
  assert.equal(decodeBase64(Buffer.from('Q')).length, 0);
});

test('quoted-printable: soft breaks, lower-case hex, invalid escapes kept, trailing "="', () => {
  const qp = (s: string) => decodeQuotedPrintable(Buffer.from(s, 'latin1')).toString('latin1');
  assert.equal(qp('caf=E9 =3D ok'), 'caf\xe9 = ok');
  assert.equal(qp('soft=\r\nbreak and=  \nblank-padded'), 'softbreak andblank-padded');
  assert.equal(qp('lower=e9'), 'lower\xe9');
  assert.equal(qp('bad=ZZ=4'), 'bad=ZZ=4');
  assert.equal(qp('end='), 'end');
});

test('quoted-printable: blanks at the end of a line were added in transport and are dropped (RFC 2045 §6.7 rule 3)', () => {
  const qp = (s: string) => decodeQuotedPrintable(Buffer.from(s, 'latin1')).toString('latin1');
  // The body of imaptest's fetch-binary-mime-qp part, line by line.
  const body = 'hello  \r\nbar=\r\n\r\nfoo\t=\r\nbar\r\nfoo\t \t= \r\n=62\r\nfoo = \t\r\nbar\r\nfoo =\r\n=62\r\nfoo  \r\nbar=\r\n\r\nfoo_bar\r\n';
  assert.equal(qp(body), 'hello\r\nbar\r\nfoo\tbar\r\nfoo\t \tb\r\nfoo bar\r\nfoo b\r\nfoo\r\nbar\r\nfoo_bar\r\n');
  assert.equal(qp('a \t \nb'), 'a\nb');
  assert.equal(qp('last line  '), 'last line');
  assert.equal(qp('inner  blanks\tstay'), 'inner  blanks\tstay');
  assert.equal(qp('=20\r\n'), ' \r\n', 'an encoded blank is data');
  assert.equal(qp('a \rb'), 'a \rb', 'a bare CR does not end a line');
});

test('quoted-printable: transport padding never changes the decoded bytes (property)', () => {
  const random = prng(0x9e3779b9);
  const alphabet = ['a', 'Z', '=', '=3D', '=C3=A9', ' x', '\tq', '_', '=\r\n', '.'];
  for (let round = 0; round < 500; round++) {
    const lines: string[] = [];
    for (let l = randomInt(random, 6); l >= 0; l--) {
      let line = '';
      for (let k = randomInt(random, 8); k > 0; k--) line += pick(random, alphabet);
      lines.push(line.replace(/[ \t]+$/, ''));
    }
    const clean = lines.join('\r\n');
    const padded = lines.map((line) => line + pick(random, ['', ' ', '\t', ' \t  '])).join('\r\n');
    assert.deepEqual(decodeQuotedPrintable(Buffer.from(padded)), decodeQuotedPrintable(Buffer.from(clean)), JSON.stringify(padded));
  }
});

test('quoted-printable reads a long run of blanks once (a quadratic decoder would not finish)', () => {
  const blanks = ' '.repeat(400_000);
  assert.equal(decodeQuotedPrintable(Buffer.from(`${blanks}x`)).length, 400_001);
  assert.equal(decodeQuotedPrintable(Buffer.from(`x${blanks}\r\n`)).length, 3);
  assert.equal(decodeQuotedPrintable(Buffer.from('= '.repeat(200_000))).length, 399_998, 'the last "= " is a soft break');
});

test('HTML to text: tags, blocks, comments, script/style/head, entities, stray "<"', () => {
  assert.equal(htmlToText('<p>Hello&nbsp;<b>World</b></p><p>Next</p>'), 'Hello World\nNext');
  assert.equal(htmlToText('<html><head><title>t</title><style>p{}</style></head><body><!-- c --><script>x<y</script>a < b &amp; c</body></html>'), 'a < b & c');
  assert.equal(htmlToText('x <!-- never closed'), 'x');
  assert.equal(htmlToText('x <b unclosed tag'), 'x <b unclosed tag');
  assert.equal(htmlToText('<SCRIPT>never closed'), '');
  assert.equal(decodeEntities('&lt;&#65;&#x42;&eacute;&bogus;&#0;'), '<ABé&bogus;\ufffd');
});

test('HTML stripping is linear on hostile input', () => {
  const { ms } = cpuCost(() => {
    htmlToText('<'.repeat(200_000));
    htmlToText('<script>'.repeat(50_000));
    htmlToText('<!--'.repeat(50_000));
    htmlToText('<a '.repeat(50_000) + '>');
  });
  assert.ok(ms < 2000, `${ms} ms of CPU`);
});

test('search text: Big5 body and encoded-word headers', () => {
  const t = fixture('big5-encoded-words');
  assert.match(t.headers, /會議通知：下週一上午十點/);
  assert.match(t.headers, /陳大文 <chan\.taiman@example\.com\.tw>/);
  assert.match(t.body, /下週一上午十點在三樓會議室開會/);
});

test('search text: raw 8-bit Big5 and GBK headers', () => {
  assert.match(fixture('big5-raw-headers').headers, /^會議通知：下週一上午十點\n陳大文 </);
  const gb = fixture('gb2312-raw-headers');
  assert.match(gb.headers, /Re: 关于项目进度的报告/);
  assert.match(gb.headers, /项目组: a@example\.com\.cn/);
  assert.match(gb.body, /朱镕基/);
});

test('search text: GB18030 base64 body with a four-byte character', () => {
  const t = fixture('gb18030-encoded-words');
  assert.match(t.headers, /关于项目进度的报告/);
  assert.match(t.body, /预算余额为 €1200，生僻字㐀/);
});

test('search text: ISO-2022-JP, windows-1252 quoted-printable, format=flowed', () => {
  const jp = fixture('iso-2022-jp');
  assert.match(jp.headers, /会議資料/);
  assert.match(jp.headers, /山田 太郎/);
  assert.match(jp.body, /明日の会議資料を送ります/);
  const w = fixture('windows-1252-qp');
  assert.match(w.body, /“Café crème” costs €5 at the café near the gare – see you there!/);
  assert.match(w.headers, /Café crème à 5 €/);
  assert.match(w.headers, /Renée <renee@example\.fr>, Jörg <joerg@example\.de>/);
  assert.match(fixture('thunderbird-flowed').body, /auf 15 Uhr verschieben\? Ich habe vorher noch/);
});

test('search text: HTML parts, alternatives, attached messages; attachments are not text', () => {
  const html = fixture('html-only');
  assert.match(html.body, /Your order #1234 has shipped — ETA Monday\./);
  assert.match(html.body, /Fish & Chips <3 €5 ☺/);
  assert.doesNotMatch(html.body, /not text|color:red|Shipped/);
  const fwd = fixture('forward-nested-twice');
  assert.match(fwd.body, /See below\.[\s\S]*FYI[\s\S]*The budget is 10k\./);
  const gmail = fixture('gmail-alternative-qp');
  assert.match(gmail.body, /see you at the café at 9!/);
  assert.match(gmail.body, /near the station\./);
  const related = fixture('outlook-related');
  assert.match(related.body, /Our spring catalogue is here – 20% off everything\./);
  assert.doesNotMatch(fixture('outlook-winmail').body, /[^\x00-\x7f]/);
});

test('search text is capped', () => {
  const big = Buffer.from('Subject: big\r\nContent-Type: text/plain\r\n\r\n' + 'word '.repeat(400_000));
  const t = extractSearchText(big, scanMessage(big), 1000);
  assert.equal(t.body.length, 1000);
  const full = extractSearchText(big, scanMessage(big));
  assert.equal(full.body.length, 1024 * 1024);
});
