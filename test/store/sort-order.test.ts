// A folder's kept sort order (src/store/sort-order.ts) and the per-folder budget that holds it
// and the thread keys (src/store/kept-by-folder.ts): table tests, then random orders and sets
// against a filter by a Set. The engine's use of both is tested in sort-keys.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeptByFolder } from '../../src/store/kept-by-folder.ts';
import { SortOrder } from '../../src/store/sort-order.ts';
import { prng, randomInt } from '../support/random.ts';

const order = (uids: number[]) => new SortOrder(Uint32Array.from(uids), 1, 100, 5);

describe('SortOrder', () => {
  test('the UIDs asked, in the kept order', () => {
    const o = order([7, 3, 9, 1, 4]);
    const cases: [string, number[], number[]][] = [
      ['all', [1, 3, 4, 7, 9], [7, 3, 9, 1, 4]],
      ['some', [1, 9], [9, 1]],
      ['none', [], []],
      ['UIDs the folder does not hold are left out', [2, 3, 8, 50], [3]],
      ['only UIDs it does not hold', [2, 5], []],
      // Far apart: found by binary search, not marked in a table of their span.
      ['far apart', [1, 7, 4_000_000_000], [7, 1]],
    ];
    for (const [why, asked, expected] of cases) assert.deepEqual([...o.among(asked)], expected, why);
  });

  test('every UID asked: the kept order itself, which an expunge afterwards leaves as it was', () => {
    const o = order([7, 3, 9, 1, 4]);
    const answer = o.among([1, 3, 4, 7, 9]);
    assert.equal(answer, o.uids);
    o.removeExpunged([3]);
    assert.deepEqual([...answer], [7, 3, 9, 1, 4]);
    assert.deepEqual([...o.among([1, 3, 4, 7, 9])], [7, 9, 1, 4]);
    // Given as a typed array (the session's view), the same.
    assert.deepEqual([...o.among(Uint32Array.of(1, 4, 7, 9))], [7, 9, 1, 4]);
  });

  test('expunged UIDs are dropped, the rest keep their order', () => {
    const o = order([7, 3, 9, 1, 4]);
    o.removeExpunged([]);
    assert.deepEqual([...o.uids], [7, 3, 9, 1, 4]);
    o.removeExpunged([2, 3, 9, 10]);
    assert.deepEqual([...o.uids], [7, 1, 4]);
    assert.equal(o.length, 3);
    o.removeExpunged([1, 4, 7]);
    assert.deepEqual([...o.among([1, 4, 7])], []);
  });

  test('random orders and sets: among() is the order filtered by the set', () => {
    const next = prng(5256);
    const random = (n: number) => randomInt(next, n);
    for (let round = 0; round < 300; round++) {
      const size = random(300);
      // Dense UIDs or sparse ones (gaps from expunges, or far apart), shuffled into an order.
      // UIDs are 32-bit: 300 messages 10,000,000 apart stay below 2^32.
      const step = [1, 3, 1000, 10_000_000][random(4)]!;
      const uids = Array.from({ length: size }, (_, i) => 1 + i * step + random(step));
      for (let i = uids.length - 1; i > 0; i--) {
        const j = random(i + 1);
        [uids[i], uids[j]] = [uids[j]!, uids[i]!];
      }
      const o = order(uids);
      const gone = uids.filter(() => random(5) === 0).sort((a, b) => a - b);
      o.removeExpunged(gone);
      const left = uids.filter((u) => !gone.includes(u));
      assert.deepEqual([...o.uids], left, `round ${round}: expunged`);
      const asked = [...uids.filter(() => random(3) > 0), ...Array.from({ length: random(5) }, () => 1 + random(size * step + 10))];
      const ascending = [...new Set(asked)].sort((a, b) => a - b);
      const wanted = new Set(ascending);
      assert.deepEqual([...o.among(ascending)], left.filter((u) => wanted.has(u)), `round ${round}: among`);
    }
  });
});

describe('KeptByFolder', () => {
  const entry = (length: number) => ({ length });

  test('least recently used first out past the budget; the entry just put always stays', () => {
    const kept = new KeptByFolder<string, { length: number }>(100);
    kept.put('a', entry(40));
    kept.put('b', entry(40));
    assert.equal(kept.held, 80);
    // Taking "a" and putting it back makes "b" the oldest.
    kept.put('a', kept.take('a')!);
    kept.put('c', entry(40));
    assert.ok(!kept.has('b'));
    assert.ok(kept.has('a') && kept.has('c'));
    assert.equal(kept.held, 80);
    // Larger than the whole budget: everything else goes, it stays.
    kept.put('huge', entry(500));
    assert.deepEqual([kept.has('a'), kept.has('c'), kept.has('huge')], [false, false, true]);
    assert.equal(kept.held, 500);
    // Taken out, it is no longer held.
    assert.equal(kept.take('huge')!.length, 500);
    assert.equal(kept.take('huge'), undefined);
    assert.equal(kept.held, 0);
  });
});
