import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cjkBigrams, isCjk } from '../../src/store/cjk.ts';

test('CJK runs become overlapping two-character words; other text is dropped', () => {
  const cases: [string, string][] = [
    ['會議室', '會議 議室'],
    ['明天開會 budget 2026', '明天 天開 開會'],
    ['台北101', '台北'],
    ['單', '單'],
    ['東京タワーへ行く', '東京 京タ タワ ワー ーへ へ行 行く'],
    ['안녕하세요', '안녕 녕하 하세 세요'],
    ['no cjk at all', ''],
    ['', ''],
    ['會\n議', '會 議'],
  ];
  for (const [input, expected] of cases) assert.equal(cjkBigrams(input), expected, input);
});

test('isCjk', () => {
  assert.equal(isCjk('會'), true);
  assert.equal(isCjk('ー'), true);
  assert.equal(isCjk('a'), false);
  assert.equal(isCjk('１'), false);
});

test('property: every adjacent CJK pair of the input is a token of the output', () => {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  const alphabet = ['會', '議', '預', '算', 'a', ' ', '1', 'カ', '\n', '。'];
  for (let i = 0; i < 2000; i++) {
    const s = Array.from({ length: rand(20) }, () => alphabet[rand(alphabet.length)]).join('');
    const tokens = new Set(cjkBigrams(s).split(' '));
    const chars = [...s];
    for (let j = 0; j + 1 < chars.length; j++) {
      if (isCjk(chars[j]!) && isCjk(chars[j + 1]!)) assert.ok(tokens.has(chars[j]! + chars[j + 1]!), s);
    }
  }
});
