// The THREAD answers kept for large folders (src/imap/sorting/thread-cache.ts): an answer is
// given back only for exactly the UIDs, folder, UIDVALIDITY, algorithm and store it was made for,
// one per folder and algorithm, within the byte limit, least recently used dropped first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ThreadCache } from '../../src/imap/sorting/thread-cache.ts';
import type { MailStore } from '../../src/store/types.ts';

// Only the identity of a store matters to the cache.
const storeA = {} as MailStore;
const storeB = {} as MailStore;
const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);
const tokens = (n: number) => Float64Array.from(range(n));

test('an answer is given back only for exactly the same UIDs, folder, UIDVALIDITY, algorithm and store', () => {
  const cache = new ThreadCache(1 << 20, 10);
  const uids = range(100);
  const kept = tokens(100);
  cache.set(storeA, 1, 7, 'REFERENCES', uids, kept);
  assert.equal(cache.get(storeA, 1, 7, 'REFERENCES', range(100)), kept);
  assert.equal(cache.get(storeA, 1, 7, 'REFERENCES', range(101)), undefined, 'one more');
  assert.equal(cache.get(storeA, 1, 7, 'REFERENCES', range(99)), undefined, 'one fewer');
  assert.equal(cache.get(storeA, 1, 7, 'REFERENCES', [...range(99), 101]), undefined, 'same count, another UID');
  assert.equal(cache.get(storeA, 2, 7, 'REFERENCES', uids), undefined, 'another folder');
  assert.equal(cache.get(storeA, 1, 8, 'REFERENCES', uids), undefined, 'another UIDVALIDITY');
  assert.equal(cache.get(storeA, 1, 7, 'ORDEREDSUBJECT', uids), undefined, 'another algorithm');
  assert.equal(cache.get(storeB, 1, 7, 'REFERENCES', uids), undefined, 'another store');
});

test('one answer per folder and algorithm; small folders are not kept', () => {
  const cache = new ThreadCache(1 << 20, 10);
  cache.set(storeA, 1, 7, 'REFERENCES', range(9), tokens(9));
  assert.equal(cache.bytes, 0);
  cache.set(storeA, 1, 7, 'REFERENCES', range(100), tokens(100));
  const one = cache.bytes;
  cache.set(storeA, 1, 7, 'REFERENCES', range(101), tokens(101));
  assert.equal(cache.get(storeA, 1, 7, 'REFERENCES', range(100)), undefined, 'the older state was replaced');
  assert.ok(cache.bytes < 2 * one);
  cache.set(storeA, 1, 7, 'ORDEREDSUBJECT', range(101), tokens(101));
  assert.ok(cache.get(storeA, 1, 7, 'REFERENCES', range(101)));
  assert.ok(cache.get(storeA, 1, 7, 'ORDEREDSUBJECT', range(101)));
});

test('the byte limit drops the least recently used answers first', () => {
  // 1,000 UIDs (4 KB) and 1,000 tokens (8 KB) per answer; room for two.
  const cache = new ThreadCache(25_000, 10);
  cache.set(storeA, 1, 7, 'REFERENCES', range(1000), tokens(1000));
  cache.set(storeA, 2, 7, 'REFERENCES', range(1000), tokens(1000));
  assert.ok(cache.get(storeA, 1, 7, 'REFERENCES', range(1000)), 'folder 1 used again');
  cache.set(storeA, 3, 7, 'REFERENCES', range(1000), tokens(1000));
  assert.ok(cache.bytes <= 25_000);
  assert.ok(cache.get(storeA, 1, 7, 'REFERENCES', range(1000)), 'recently used: kept');
  assert.equal(cache.get(storeA, 2, 7, 'REFERENCES', range(1000)), undefined, 'least recently used: dropped');
  assert.ok(cache.get(storeA, 3, 7, 'REFERENCES', range(1000)));
  // An answer larger than the whole limit is not kept at all.
  cache.set(storeA, 4, 7, 'REFERENCES', range(5000), tokens(5000));
  assert.equal(cache.get(storeA, 4, 7, 'REFERENCES', range(5000)), undefined);
  assert.ok(cache.get(storeA, 3, 7, 'REFERENCES', range(1000)));
});
