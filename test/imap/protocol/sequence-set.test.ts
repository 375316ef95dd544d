import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compressNumbers, formatRanges, formatSequenceSet, highestNumber, iterateRanges, normalizeRanges, parseSequenceSet,
  rangesContain, rangesCount, rangesFromNumbers, resolveSequenceSet, setFromRanges, usesStar, MAX_NUMBER, STAR,
  type SequenceSet,
} from '../../../src/imap/protocol/index.ts';

const set = (text: string): SequenceSet => {
  const parsed = parseSequenceSet(text);
  assert.ok(parsed !== null && parsed !== '$', text);
  return parsed;
};

test('parseSequenceSet: valid forms', () => {
  const cases: [string, [number, number][]][] = [
    ['1', [[1, 1]]],
    ['*', [[STAR, STAR]]],
    ['1:*', [[1, STAR]]],
    ['*:4', [[STAR, 4]]],
    ['5:1', [[5, 1]]],
    ['1:*,5,7:9', [[1, STAR], [5, 5], [7, 9]]],
    ['4294967295', [[MAX_NUMBER, MAX_NUMBER]]],
    ['1:4294967295', [[1, MAX_NUMBER]]],
    ['3,3,3', [[3, 3], [3, 3], [3, 3]]],
  ];
  for (const [text, ranges] of cases) assert.deepEqual(parseSequenceSet(text), { ranges }, text);
  assert.equal(parseSequenceSet('$'), '$');
});

test('parseSequenceSet: invalid forms', () => {
  for (const text of ['', '0', '0:1', '1:0', '01', '4294967296', '1:4294967296', '1,', ',1', '1,,2', '1::2', '1:2:3', ':', '*:', 'a', '1 2', '$,1', '$:1', '-1', '+1', '1.5']) {
    assert.equal(parseSequenceSet(text), null, text);
  }
});

test('formatSequenceSet writes the set as it was given', () => {
  for (const text of ['1', '*', '1:*', '*:4', '5:1', '1:*,5,7:9', '$']) {
    const parsed = parseSequenceSet(text);
    assert.ok(parsed !== null);
    assert.equal(formatSequenceSet(parsed), text);
  }
});

test('resolveSequenceSet: against the mailbox, with * as the highest number', () => {
  const cases: [string, number, [number, number][]][] = [
    ['1:*', 10, [[1, 10]]],
    ['*', 10, [[10, 10]]],
    ['*:3', 10, [[3, 10]]],
    ['5:1', 10, [[1, 5]]],
    ['1,3,2,4', 10, [[1, 4]]],
    ['8:12,1', 10, [[1, 1], [8, 10]]],
    ['11:12', 10, []],
    ['559:*', 500, [[500, 500]]], // RFC 3501 §6.4.8
    ['1:*', 0, []],
    ['*', 0, []],
    ['1:4294967295', 3, [[1, 3]]],
    ['2,4:6,5:9,20', 30, [[2, 2], [4, 9], [20, 20]]],
  ];
  for (const [text, max, expected] of cases) assert.deepEqual(resolveSequenceSet(set(text), max), expected, `${text} / ${max}`);
});

test('highestNumber and usesStar tell the session when sequence numbers run past the end', () => {
  assert.equal(highestNumber(set('1:5,9')), 9);
  assert.equal(highestNumber(set('*')), 0);
  assert.equal(highestNumber(set('3:*')), 3);
  assert.equal(usesStar(set('3:*')), true);
  assert.equal(usesStar(set('3:4')), false);
});

test('ranges: count, membership, iteration, never expanded', () => {
  const huge = resolveSequenceSet(set('1:4294967295'), MAX_NUMBER);
  assert.deepEqual(huge, [[1, MAX_NUMBER]]);
  assert.equal(rangesCount(huge), MAX_NUMBER);
  assert.equal(rangesContain(huge, 4000000000), true);
  const first: number[] = [];
  for (const n of iterateRanges(huge)) {
    if (first.length === 3) break;
    first.push(n);
  }
  assert.deepEqual(first, [1, 2, 3]);
  const r = resolveSequenceSet(set('2,4:6,10'), 20);
  assert.deepEqual([...iterateRanges(r)], [2, 4, 5, 6, 10]);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 10, 11].map((n) => rangesContain(r, n)), [false, true, false, true, true, true, false, true, false]);
  assert.equal(rangesContain([], 1), false);
});

test('compressNumbers and rangesFromNumbers', () => {
  assert.equal(compressNumbers([1, 2, 3, 5, 7, 8, 9]), '1:3,5,7:9');
  assert.equal(compressNumbers([9, 1, 3, 2, 2]), '1:3,9');
  assert.equal(compressNumbers([]), '');
  assert.equal(compressNumbers([42]), '42');
  assert.deepEqual(rangesFromNumbers(new Set([5, 6, 1])), [[1, 1], [5, 6]]);
  assert.equal(formatRanges([[1, 1], [3, 4]]), '1,3:4');
  assert.deepEqual(normalizeRanges([[5, 3], [1, 2], [7, 7], [6, 6]]), [[1, 7]]);
  assert.equal(formatSequenceSet(setFromRanges([[1, 3], [5, 5]])), '1:3,5');
});
