// Client input cannot buy CPU time: every regular expression in src/ is listed in
// regex-inventory.ts with where its text comes from, and every one that reads outside text, and
// every function in support/client-input-cases.ts, must get through inputs built to make
// backtracking explode (about 40-100 KB) within a CPU budget. A linear reader needs well under a
// millisecond for these; a quadratic one needs seconds, a cubic or exponential one hours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { REGEX_INVENTORY } from './regex-inventory.ts';
import { CLIENT_INPUT_CASES } from './support/client-input-cases.ts';
import { regularExpressionsIn } from './support/regex-scan.ts';

const SRC = resolve(import.meta.dirname, '..', 'src');

/** CPU time one input may take: generous, as the machine is shared; a super-linear reader misses it by far. */
const BUDGET_MS = 250;
/** Without a word from the worker for this long, the item it is on never ends. */
const STUCK_MS = 60_000;

const found = regularExpressionsIn(SRC);

interface Result {
  id: string;
  worst: { ms: number; label: string };
}

/** Runs a job in the budget worker; an item that does not finish is reported as such. */
function runInWorker(data: Record<string, unknown>): Promise<{ results: Result[]; stuck: string | null }> {
  return new Promise((resolveRun, reject) => {
    const worker = new Worker(new URL('./support/cpu-budget-worker.mjs', import.meta.url), { workerData: data });
    const results: Result[] = [];
    let current: string | null = null;
    let timer: NodeJS.Timeout | undefined;
    const watch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        void worker.terminate();
        resolveRun({ results, stuck: current });
      }, STUCK_MS);
    };
    watch();
    worker.on('message', (m: { type: string; id?: string; worst?: Result['worst'] }) => {
      watch();
      if (m.type === 'start') current = m.id!;
      else if (m.type === 'done') results.push({ id: m.id!, worst: m.worst! });
      else if (m.type === 'end') {
        clearTimeout(timer);
        resolveRun({ results, stuck: null });
      }
    });
    worker.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function overBudget(results: Result[]): string[] {
  return results.filter((r) => r.worst.ms > BUDGET_MS).map((r) => `${r.id}: ${r.worst.ms.toFixed(0)} ms CPU on ${r.worst.label}`);
}

test('every regular expression in src/ is in the inventory, with where its input comes from', () => {
  const unlisted = found.filter((r) => REGEX_INVENTORY[r.file]?.[r.text] === undefined).map((r) => `src/${r.file}:${r.line} ${r.text}`);
  const present = new Set(found.map((r) => `${r.file} ${r.text}`));
  const gone = Object.entries(REGEX_INVENTORY).flatMap(([file, entries]) => Object.keys(entries).filter((text) => !present.has(`${file} ${text}`)).map((text) => `${file} ${text}`));
  // unlisted: add to test/regex-inventory.ts (client, admin or internal; client and admin ones must
  // be linear); gone: no longer in src/, remove from the inventory.
  assert.deepEqual({ unlisted, gone }, { unlisted: [], gone: [] });
  // An expression built at run time cannot be run on its own: a case must run the function.
  const covered = new Set(CLIENT_INPUT_CASES.flatMap((c) => c.covers ?? []));
  const uncovered = found.filter((r) => r.regex === null && REGEX_INVENTORY[r.file]?.[r.text] !== 'internal' && !covered.has(r.file));
  assert.deepEqual(uncovered.map((r) => `src/${r.file}:${r.line}`), [], 'a case in test/support/client-input-cases.ts must cover these');
});

test('every expression on client or admin input stays within the CPU budget on adversarial input', async () => {
  const items = found
    .filter((r) => r.regex !== null && REGEX_INVENTORY[r.file]?.[r.text] !== 'internal')
    .map((r) => ({ id: `src/${r.file}:${r.line} ${r.text}`, source: r.regex!.source, flags: r.regex!.flags }));
  assert.ok(items.length > 150, `only ${items.length} expressions found`);
  const { results, stuck } = await runInWorker({ job: 'regexes', items });
  assert.equal(stuck, null, `never finished: ${stuck}`);
  assert.equal(results.length, items.length);
  assert.deepEqual(overBudget(results), []);
});

test('every function in the client input cases stays within the CPU budget', async () => {
  const { results, stuck } = await runInWorker({ job: 'cases' });
  assert.equal(stuck, null, `never finished: ${stuck}`);
  assert.deepEqual(results.map((r) => r.id), CLIENT_INPUT_CASES.map((c) => c.name));
  assert.deepEqual(overBudget(results), []);
});
