// The in-memory folder map (src/store/folder-map.ts): table tests of each merge, and a property
// test that brings one map forward through random expunges, flag changes and appends and checks
// it against the folder recounted from scratch after every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FolderMap, flagRowsOf, type ChangedRow } from '../../src/store/folder-map.ts';
import { pick, prng, randomInt } from '../support/random.ts';

const rowsOf = (map: FolderMap, from = 1, to = 0xffffffff) => flagRowsOf(map.flagColumns(from, to)).map((r) => [r.uid, r.modseq, [...r.flags]]);

test('FolderMap: each merge, table', async (t) => {
  const base: ChangedRow[] = [[1, 5, '["\\\\Seen"]'], [2, 6, '[]'], [4, 7, '["\\\\Seen"]'], [9, 8, '["$Work"]']];
  const cases: { name: string; gone?: number[]; changed?: ChangedRow[]; want: unknown[] | 'reread' }[] = [
    { name: 'nothing changed', want: [[1, 5, ['\\Seen']], [2, 6, []], [4, 7, ['\\Seen']], [9, 8, ['$Work']]] },
    { name: 'an expunge in the middle', gone: [2], want: [[1, 5, ['\\Seen']], [4, 7, ['\\Seen']], [9, 8, ['$Work']]] },
    { name: 'expunges of the first and last, and of UIDs never held', gone: [1, 3, 9, 12], want: [[2, 6, []], [4, 7, ['\\Seen']]] },
    { name: 'a flag change', changed: [[4, 10, '[]']], want: [[1, 5, ['\\Seen']], [2, 6, []], [4, 10, []], [9, 8, ['$Work']]] },
    { name: 'new messages after the last', changed: [[10, 11, '[]'], [11, 12, '["\\\\Flagged"]']], want: [[1, 5, ['\\Seen']], [2, 6, []], [4, 7, ['\\Seen']], [9, 8, ['$Work']], [10, 11, []], [11, 12, ['\\Flagged']]] },
    { name: 'a change and an expunge together', gone: [1], changed: [[2, 9, '["\\\\Seen"]']], want: [[2, 9, ['\\Seen']], [4, 7, ['\\Seen']], [9, 8, ['$Work']]] },
    { name: 'a UID below the last that the map does not hold', changed: [[3, 9, '[]']], want: 'reread' },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const map = FolderMap.withFlags(base, 7, 10, 8);
      map.removeExpunged(c.gone ?? []);
      const merged = map.applyChanged(c.changed ?? []);
      if (c.want === 'reread') return assert.equal(merged, false);
      assert.equal(merged, true);
      assert.deepEqual(rowsOf(map), c.want);
      assert.deepEqual(Array.from(map.uids.subarray(0, map.length)), (c.want as [number][]).map((r) => r[0]));
    });
  }
});

test('FolderMap: flag rows of a UID range', () => {
  const map = FolderMap.withFlags([[3, 1, '[]'], [5, 2, '[]'], [8, 3, '[]']], 1, 9, 3);
  assert.deepEqual(rowsOf(map, 4, 8).map((r) => r[0]), [5, 8]);
  assert.deepEqual(rowsOf(map, 1, 2), []);
  assert.deepEqual(rowsOf(map, 9, 20), []);
  assert.deepEqual(rowsOf(map, 3, 3).map((r) => r[0]), [3]);
  // Rows with the same flags share one list: FETCH formats each distinct list once.
  const rows = flagRowsOf(map.flagColumns(1, 10));
  assert.equal(rows[0]!.flags, rows[2]!.flags);
  assert.ok(Object.isFrozen(rows[0]!.flags));
});

test('FolderMap: a UID map without flag columns takes appends and expunges, and refuses flag reads', () => {
  const map = new FolderMap([1, 2, 3], 1, 4, 3);
  assert.equal(map.hasFlags, false);
  map.removeExpunged([2]);
  map.appendUids([4, 5]);
  assert.deepEqual(Array.from(map.uids.subarray(0, map.length)), [1, 3, 4, 5]);
  assert.throws(() => map.flagColumns(1, 5), /flag columns/);
});

for (const seed of [41, 42, 43, 44]) {
  test(`FolderMap: brought forward through random changes equals the folder read again (seed ${seed})`, () => {
    const random = prng(seed);
    const LISTS = ['[]', '["\\\\Seen"]', '["\\\\Seen","\\\\Flagged"]', '["$Work"]', '["\\\\Answered","$Later"]'];
    // The folder as a store holds it: UID → [MODSEQ, flags JSON].
    const folder = new Map<number, [number, string]>();
    let uidNext = 1;
    let modseq = 1;
    const readAll = (): ChangedRow[] => [...folder.entries()].sort((a, b) => a[0] - b[0]).map(([uid, [m, json]]) => [uid, m, json]);
    for (let i = 0; i < 50; i++) folder.set(uidNext++, [modseq++, pick(random, LISTS)]);
    const map = FolderMap.withFlags(readAll(), 1, uidNext, modseq - 1);
    for (let step = 0; step < 300; step++) {
      const since = map.modseq;
      const expunged: number[] = [];
      const changes = 1 + randomInt(random, 40);
      for (let c = 0; c < changes; c++) {
        const uids = [...folder.keys()];
        const action = randomInt(random, 3);
        if (action === 0 || uids.length === 0) folder.set(uidNext++, [modseq++, pick(random, LISTS)]);
        else if (action === 1) folder.set(pick(random, uids), [modseq++, pick(random, LISTS)]);
        else {
          const uid = pick(random, uids);
          folder.delete(uid);
          expunged.push(uid);
          modseq++;
        }
      }
      map.removeExpunged(expunged.sort((a, b) => a - b));
      assert.equal(map.applyChanged(readAll().filter(([, m]) => m > since)), true);
      map.modseq = modseq - 1;
      map.uidNext = uidNext;
      assert.deepEqual(rowsOf(map), readAll().map(([uid, m, json]) => [uid, m, JSON.parse(json)]), `step ${step}`);
      assert.equal(map.length, folder.size);
    }
  });
}
