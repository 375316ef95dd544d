import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEncodedWords, encodeRfc2231, encodeWordsUtf8, formatParams, imapList, imapString, MAX_QUOTED_LENGTH } from '../../src/mime/index.ts';

test('imapString: NIL, quoting and escaping', () => {
  assert.equal(imapString(null, false), 'NIL');
  assert.equal(imapString('', false), '""');
  assert.equal(imapString('plain', false), '"plain"');
  assert.equal(imapString('say "hi" \\ bye', false), '"say \\"hi\\" \\\\ bye"');
  assert.equal(imapString('tab\tok', false), '"tab\tok"');
});

test('imapString: literals for line breaks, 8-bit without UTF8=ACCEPT, and long text', () => {
  assert.equal(imapString('a\r\nb', false), '{4}\r\na\r\nb');
  assert.equal(imapString('a\nb', true), '{3}\r\na\nb');
  assert.equal(imapString('中文', false), '{6}\r\n中文');
  assert.equal(imapString('中文', true), '"中文"');
  const long = 'x'.repeat(MAX_QUOTED_LENGTH + 1);
  assert.equal(imapString(long, true), `{${long.length}}\r\n${long}`);
});

test('imapString: NUL cannot be sent in either form and is dropped', () => {
  assert.equal(imapString('a\0b', false), '"ab"');
  assert.equal(imapString('a\0\r\n', false), '{3}\r\na\r\n');
});

test('imapList', () => {
  assert.equal(imapList([]), 'NIL');
  assert.equal(imapList(['"a"', 'NIL']), '("a" NIL)');
});

test('parameters: ASCII as is, non-ASCII and language-tagged values as one RFC 2231 value', () => {
  assert.equal(encodeRfc2231('中 a*b\'c%.pdf', null), "utf-8''%E4%B8%AD%20a%2Ab%27c%25.pdf");
  assert.equal(
    formatParams(
      [
        { name: 'name', value: 'a.pdf', charset: null, language: null, raw: 'a.pdf' },
        { name: 'filename', value: 'é.pdf', charset: 'iso-8859-1', language: null, raw: '\xe9.pdf' },
        { name: 'title', value: 'Hi', charset: 'us-ascii', language: 'en', raw: 'Hi' },
        { name: 'x', value: 'line\r\nbreak', charset: null, language: null, raw: '' },
      ],
      false,
    ),
    `("name" "a.pdf" "filename*" "utf-8''%C3%A9.pdf" "title*" "utf-8'en'Hi" "x*" "utf-8''line%0D%0Abreak")`,
  );
  assert.equal(formatParams([], false), 'NIL');
});

test('encoded words for 8-bit header text: whole text, at most 75 characters each, round trip', () => {
  for (const text of ['Grüße', '會議通知：下週一上午十點'.repeat(5), 'Ünïcödé — naïve café 😀 '.repeat(4)]) {
    const encoded = encodeWordsUtf8(text);
    for (const word of encoded.split(' ')) assert.ok(word.length <= 75, word);
    assert.equal(decodeEncodedWords(encoded), text);
  }
});
