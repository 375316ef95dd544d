// The thread keys kept in memory (src/store/thread-keys.ts): numbering, subsets, and keys
// brought forward by appends and expunges against keys read afresh from the same messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ThreadKeys, type ThreadColumns, type ThreadKeyRow } from '../../src/store/thread-keys.ts';
import { orderedSubject, references, renderThreads } from '../../src/imap/sorting/thread.ts';
import { pick, prng, randomInt } from '../support/random.ts';

const row = (uid: number, subject: string, id: string | null, refs = '', sent = uid, reply = 0): ThreadKeyRow => [uid, sent, subject, reply, id, refs];

/** Message i's References as numbers. */
const refsOf = (c: ThreadColumns, i: number) => [...c.refs.subarray(c.refStarts[i]!, c.refStarts[i + 1]!)];

test('thread keys: equal strings get equal numbers, none is 0, References keep their order', () => {
  const keys = new ThreadKeys();
  keys.append([
    row(3, 'plan', '<a>'),
    row(5, 'plan', '<b>', '<a>'),
    row(9, '', null, '<x> <a>  <b>'),
    row(12, 'other', '<a>', '<b>'),
  ]);
  const c = keys.columns([3, 5, 9, 12]);
  assert.deepEqual([...c.uids], [3, 5, 9, 12]);
  assert.equal(c.subjects[0], c.subjects[1]);
  assert.equal(c.subjects[2], 0, 'the empty subject is 0');
  assert.notEqual(c.subjects[3], c.subjects[0]);
  assert.equal(c.subjectTexts[c.subjects[3]!], 'other');
  const [a, b] = [c.messageIds[0]!, c.messageIds[1]!];
  assert.ok(a > 0 && b > 0 && a !== b);
  assert.equal(c.messageIds[2], 0, 'no Message-ID is 0');
  assert.equal(c.messageIds[3], a, 'a duplicate Message-ID has the same number');
  assert.deepEqual(refsOf(c, 1), [a]);
  const x = refsOf(c, 2)[0]!;
  assert.deepEqual(refsOf(c, 2), [x, a, b], 'empty pieces between spaces are skipped');
  assert.ok(x !== a && x !== b && x <= c.idCount);
  assert.equal(c.idCount, 3);
  assert.throws(() => keys.append([row(12, 'late', null)]), /UID order/);
});

test('thread keys: a subset is copied with its References; all of them is the columns', () => {
  const keys = new ThreadKeys();
  keys.append([row(1, 'a', '<1>'), row(2, 'b', '<2>', '<1>'), row(4, 'c', '<4>', '<1> <2>'), row(7, 'd', '<7>', '<4>')]);
  const some = keys.columns([2, 3, 7, 8]);
  assert.deepEqual([...some.uids], [2, 7], 'UIDs not held are left out');
  assert.deepEqual(refsOf(some, 0), [keys.columns([1]).messageIds[0]]);
  assert.deepEqual(refsOf(some, 1), [keys.columns([4]).messageIds[0]]);
  const all = keys.columns([1, 2, 4, 7]);
  assert.equal(all.uids.buffer, keys.uids.buffer, 'no copy for every message');
  assert.deepEqual([...keys.columns([1, 2, 5, 7]).uids], [1, 2, 7], 'the same count and ends, not the same UIDs');
  assert.equal(keys.columns([]).length, 0);
});

test('thread keys: many expunged ids make the keys wasteful', () => {
  const keys = new ThreadKeys();
  const rows = Array.from({ length: 3000 }, (_, i) => row(i + 1, 's', `<${i}>`, `<r${i}>`));
  keys.append(rows);
  assert.equal(keys.wasteful, false);
  keys.removeExpunged(rows.slice(0, 2000).map((r) => r[0]));
  assert.equal(keys.length, 1000);
  assert.equal(keys.wasteful, true);
});

/** The two columns hold the same messages, their ids numbered alike up to a renaming. */
function assertSameKeys(got: ThreadColumns, fresh: ThreadColumns, context: string): void {
  assert.deepEqual([...got.uids], [...fresh.uids], context);
  assert.deepEqual([...got.sent], [...fresh.sent], context);
  assert.deepEqual([...got.replies], [...fresh.replies], context);
  assert.deepEqual([...got.subjects].map((s) => got.subjectTexts[s]), [...fresh.subjects].map((s) => fresh.subjectTexts[s]), context);
  const renaming = new Map<number, number>();
  const same = (x: number, y: number) => {
    if ((x === 0) !== (y === 0)) return false;
    if (!renaming.has(x)) renaming.set(x, y);
    return renaming.get(x) === y;
  };
  for (let i = 0; i < got.length; i++) {
    assert.ok(same(got.messageIds[i]!, fresh.messageIds[i]!), `${context}: Message-ID of ${got.uids[i]}`);
    const [r, s] = [refsOf(got, i), refsOf(fresh, i)];
    assert.equal(r.length, s.length, context);
    for (let k = 0; k < r.length; k++) assert.ok(same(r[k]!, s[k]!), `${context}: References of ${got.uids[i]}`);
  }
  assert.equal(new Set(renaming.values()).size, renaming.size, `${context}: two ids became one`);
  const text = (t: Float64Array) => renderThreads(t, (u) => u);
  assert.equal(text(references(got)), text(references(fresh)), context);
  assert.equal(text(orderedSubject(got)), text(orderedSubject(fresh)), context);
}

test('property: keys brought forward by appends and expunges equal keys read afresh', () => {
  const seed = Number(process.env.THREAD_KEYS_SEED ?? 2026);
  const random = prng(seed);
  for (let round = 0; round < 200; round++) {
    const ids = Array.from({ length: 1 + randomInt(random, 30) }, (_, i) => `<${i}.${'x'.repeat(randomInt(random, 20))}@host>`);
    const subjects = ['', 'plan', 'other', 'third', '會議'];
    const keys = new ThreadKeys();
    let held: ThreadKeyRow[] = [];
    let uid = 0;
    for (let step = 0; step < 12; step++) {
      if (random() < 0.6) {
        const added = Array.from({ length: randomInt(random, 40) }, () => row((uid += 1 + randomInt(random, 3)), pick(random, subjects),
          random() < 0.8 ? pick(random, ids) : null, Array.from({ length: randomInt(random, 4) }, () => pick(random, ids)).join(' '),
          randomInt(random, 50), randomInt(random, 2)));
        keys.append(added);
        held.push(...added);
      } else {
        const gone = held.filter(() => random() < 0.3).map((r) => r[0]);
        keys.removeExpunged(gone);
        held = held.filter((r) => !gone.includes(r[0]));
      }
      const fresh = new ThreadKeys();
      fresh.append(held);
      const context = `seed ${seed}, round ${round}, step ${step}`;
      assert.equal(keys.length, held.length, context);
      const all = held.map((r) => r[0]);
      assertSameKeys(keys.columns(all), fresh.columns(all), context);
      const some = all.filter(() => random() < 0.5);
      assertSameKeys(keys.columns(some), fresh.columns(some), `${context}, a subset`);
    }
  }
});
