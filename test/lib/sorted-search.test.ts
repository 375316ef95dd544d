// lowerBound (src/lib/sorted-search.ts): a table of edges, and random lists against a scan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lowerBound } from '../../src/lib/sorted-search.ts';
import { prng, randomInt } from '../support/random.ts';

test('lowerBound: the first place at or above a value, table', () => {
  const list = new Uint32Array([2, 4, 4, 9, 0, 0]);
  // [value, length, expected]
  const cases: [number, number, number][] = [[1, 4, 0], [2, 4, 0], [3, 4, 1], [4, 4, 1], [5, 4, 3], [9, 4, 3], [10, 4, 4], [0, 4, 0], [5, 0, 0], [9, 3, 3]];
  for (const [value, length, expected] of cases) assert.equal(lowerBound(list, length, value), expected, `${value} in ${length}`);
});

test('property: lowerBound equals a scan for the first value ≥ the one asked', () => {
  const random = prng(97);
  for (let round = 0; round < 2000; round++) {
    const list = Array.from({ length: randomInt(random, 40) }, () => randomInt(random, 30)).sort((a, b) => a - b);
    const value = randomInt(random, 33) - 1;
    const scan = list.findIndex((v) => v >= value);
    assert.equal(lowerBound(list, list.length, value), scan < 0 ? list.length : scan, `${value} in ${list.join(',')}`);
  }
});

test('sameElements: equal values of the same type, views into larger arrays included', async () => {
  const { sameElements } = await import('../../src/lib/sorted-search.ts');
  const wide = Uint32Array.of(9, 1, 2, 3, 9);
  assert.ok(sameElements(wide.subarray(1, 4), Uint32Array.of(1, 2, 3)));
  assert.ok(sameElements(new Uint32Array(0), new Uint32Array(0)));
  assert.ok(!sameElements(Uint32Array.of(1, 2), Uint32Array.of(1, 2, 3)));
  assert.ok(!sameElements(Uint32Array.of(1, 2, 4), Uint32Array.of(1, 2, 3)));
  assert.ok(sameElements(Float64Array.of(5, 2 ** 40), Float64Array.of(5, 2 ** 40)));
  // Same bytes, other element type: not the same values.
  assert.ok(!sameElements(new Uint32Array(2), new Float64Array(1)));
});
