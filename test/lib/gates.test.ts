// Semaphore and KeyedGate: holders, FIFO order, bounded queues, releases that happen once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedGate } from '../../src/lib/keyed-gate.ts';
import { Semaphore } from '../../src/lib/semaphore.ts';

/** A promise with its resolve, to hold a slot for as long as a test wants. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

test('a semaphore runs at most its size at once and the rest in arrival order', async () => {
  const semaphore = new Semaphore(2);
  const holds = Array.from({ length: 5 }, deferred);
  const started: number[] = [];
  const runs = holds.map((hold, i) => semaphore.run(async () => { started.push(i); await hold.promise; return i; }));
  await Promise.resolve();
  assert.deepEqual(started, [0, 1]);
  assert.deepEqual([semaphore.active, semaphore.waiting], [2, 3]);
  holds[1]!.resolve();
  await runs[1];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2]);
  for (const hold of holds) hold.resolve();
  assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3, 4]);
  assert.deepEqual([semaphore.active, semaphore.waiting], [0, 0]);
});

test('a semaphore gives the slot back when the work throws', async () => {
  const semaphore = new Semaphore(1);
  await assert.rejects(semaphore.run(async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await semaphore.run(async () => 'next'), 'next');
  assert.throws(() => new Semaphore(0), RangeError);
});

test('a keyed gate has one holder per key, a bounded FIFO queue, and refuses past it', async () => {
  const gate = new KeyedGate(2);
  const first = await gate.acquire('bob');
  assert.ok(first);
  const other = await gate.acquire('alice');
  assert.ok(other, 'another key is independent');
  const order: string[] = [];
  const second = gate.acquire('bob').then((release) => { order.push('second'); return release; });
  const third = gate.acquire('bob').then((release) => { order.push('third'); return release; });
  assert.equal(await gate.acquire('bob'), null, 'the queue holds two');
  assert.equal(gate.waiting('bob'), 2);
  first();
  first(); // a second release changes nothing
  const secondRelease = await second;
  assert.deepEqual(order, ['second']);
  assert.equal(gate.waiting('bob'), 1);
  secondRelease!();
  (await third)!();
  other();
  assert.equal(gate.size, 0, 'keys without holders take no memory');
  assert.equal(gate.busy('bob'), false);
});
