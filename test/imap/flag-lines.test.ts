// The cache of FETCH (UID FLAGS) lines by run (src/imap/flag-lines.ts): a run is found only for
// the same place and the same UIDs and MODSEQs, and the bytes held never pass the budget, the
// least recently used going first. Table tests, then random operations against a model.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prng, randomInt } from '../support/random.ts';
import { FlagLinesCache, type FlagLinesRun, type RunKey } from '../../src/imap/flag-lines.ts';

const storeA = {};
const storeB = {};

function key(over: Partial<RunKey> = {}): RunKey {
  return { store: storeA, folderId: 7, uidValidity: 1000, items: 'UID FLAGS', firstSeq: 1, ...over };
}

function run(uids: number[], modseqs: number[], text = 'x'): FlagLinesRun {
  return { uids: Uint32Array.from(uids), modseqs: Float64Array.from(modseqs), lists: [], bytes: Buffer.from(text) };
}

/** What a run weighs against the budget: its lines, UIDs and MODSEQs. */
const weight = (r: FlagLinesRun) => r.bytes.length + r.uids.byteLength + r.modseqs.byteLength;

describe('FlagLinesCache', () => {
  test('a run is found for the same place, UIDs and MODSEQs only', () => {
    const cache = new FlagLinesCache(1 << 20);
    const kept = run([1, 2, 3], [5, 6, 7], '* 1 FETCH …');
    cache.put(key(), kept);
    assert.equal(cache.get(key(), Uint32Array.of(1, 2, 3), Float64Array.of(5, 6, 7)), kept);
    // The arrays may be views into larger ones.
    const wide = Uint32Array.of(0, 1, 2, 3, 9);
    assert.equal(cache.get(key(), wide.subarray(1, 4), Float64Array.of(5, 6, 7)), kept);
    const misses: [string, RunKey, number[], number[]][] = [
      ['a flag changed (MODSEQ moved)', key(), [1, 2, 3], [5, 8, 7]],
      ['a message expunged', key(), [1, 3], [5, 7]],
      ['another message in its place', key(), [1, 2, 4], [5, 6, 7]],
      ['a message more', key(), [1, 2, 3, 4], [5, 6, 7, 9]],
      ['another database', key({ store: storeB }), [1, 2, 3], [5, 6, 7]],
      ['another folder', key({ folderId: 8 }), [1, 2, 3], [5, 6, 7]],
      ['the folder made again', key({ uidValidity: 1001 }), [1, 2, 3], [5, 6, 7]],
      ['other items', key({ items: 'UID FLAGS MODSEQ' }), [1, 2, 3], [5, 6, 7]],
      ['another run', key({ firstSeq: 8193 }), [1, 2, 3], [5, 6, 7]],
    ];
    for (const [why, k, uids, modseqs] of misses) {
      assert.equal(cache.get(k, Uint32Array.from(uids), Float64Array.from(modseqs)), undefined, why);
    }
    // Put again for the same place, it replaces the one kept.
    const again = run([1, 2], [5, 6]);
    cache.put(key(), again);
    assert.equal(cache.size, 1);
    assert.equal(cache.heldBytes, weight(again));
    assert.equal(cache.get(key(), Uint32Array.of(1, 2), Float64Array.of(5, 6)), again);
  });

  test('the budget: least recently used first out, a run larger than the budget not kept', () => {
    const one = run([1], [1], 'a'.repeat(88));
    const size = weight(one);
    assert.equal(size, 100);
    const cache = new FlagLinesCache(3 * size);
    for (const firstSeq of [1, 2, 3]) cache.put(key({ firstSeq }), one);
    assert.equal(cache.heldBytes, 300);
    // Using run 1 makes run 2 the oldest: a fourth pushes it out.
    assert.ok(cache.get(key({ firstSeq: 1 }), one.uids, one.modseqs));
    cache.put(key({ firstSeq: 4 }), one);
    assert.equal(cache.size, 3);
    assert.equal(cache.get(key({ firstSeq: 2 }), one.uids, one.modseqs), undefined);
    for (const firstSeq of [1, 3, 4]) assert.ok(cache.get(key({ firstSeq }), one.uids, one.modseqs), `run ${firstSeq}`);
    const huge = run([1], [1], 'b'.repeat(400));
    cache.put(key({ firstSeq: 9 }), huge);
    assert.equal(cache.get(key({ firstSeq: 9 }), huge.uids, huge.modseqs), undefined);
    assert.equal(cache.heldBytes, 300);
    // A huge one put where a kept one was: the old one goes too (it no longer describes the place).
    cache.put(key({ firstSeq: 1 }), huge);
    assert.equal(cache.get(key({ firstSeq: 1 }), one.uids, one.modseqs), undefined);
    assert.equal(cache.heldBytes, 200);
  });

  test('random puts and gets agree with a model, within the budget', () => {
    const next = prng(42);
    const random = (n: number) => randomInt(next, n);
    for (let round = 0; round < 50; round++) {
      const budget = 200 + random(2000);
      const cache = new FlagLinesCache(budget);
      // The model: kept runs by name, oldest first.
      let model: { name: string; run: FlagLinesRun }[] = [];
      for (let step = 0; step < 300; step++) {
        const folderId = random(3);
        const firstSeq = 1 + random(4) * 8192;
        const k = key({ folderId, firstSeq });
        const name = `${folderId}/${firstSeq}`;
        const uids = Array.from({ length: 1 + random(4) }, (_, i) => i + 1 + random(2));
        const modseqs = uids.map(() => 1 + random(3));
        if (random(2) === 0) {
          const r = run(uids, modseqs, 'z'.repeat(random(budget)));
          cache.put(k, r);
          model = model.filter((e) => e.name !== name);
          if (weight(r) <= budget) {
            model.push({ name, run: r });
            let held = model.reduce((sum, e) => sum + weight(e.run), 0);
            while (held > budget) held -= weight(model.shift()!.run);
          }
        } else {
          const found = cache.get(k, Uint32Array.from(uids), Float64Array.from(modseqs));
          const at = model.findIndex((e) => e.name === name);
          const expected = at >= 0 && model[at]!.run.uids.join() === uids.join() && model[at]!.run.modseqs.join() === modseqs.join() ? model[at]!.run : undefined;
          assert.equal(found, expected, `round ${round} step ${step}`);
          if (expected) model.push(...model.splice(at, 1));
        }
        const held = model.reduce((sum, e) => sum + weight(e.run), 0);
        assert.equal(cache.heldBytes, held);
        assert.ok(held <= budget);
        assert.equal(cache.size, model.length);
      }
    }
  });
});
