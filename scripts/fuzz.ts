// Coverage-guided fuzzing of the parsers in test/fuzz/targets.ts, for runs longer than the
// bounded one in `npm test`. V8's block coverage (through the inspector) tells which branches of
// src/ an input reached; an input that reaches one no earlier input did joins the corpus in
// test/fuzz/corpus/<target>/, so the next run (and `npm test`) starts from it. Defects and hangs
// are written under tmp/fuzz-findings/<target>/.
//
//   node --import tsx scripts/fuzz.ts [target ...] [--minutes N] [--seed N]
//   node --import tsx scripts/fuzz.ts <target> --replay FILE
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { mutate } from '../test/fuzz/mutate.ts';
import { corpusOf, runOne, saveToCorpus } from '../test/fuzz/runner.ts';
import { TARGETS, type FuzzTarget } from '../test/fuzz/targets.ts';
import { prng, randomInt } from '../test/support/random.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { minutes: { type: 'string', default: '1' }, seed: { type: 'string' }, replay: { type: 'string' } },
});

const chosen = positionals.length > 0 ? TARGETS.filter((t) => positionals.includes(t.name)) : [...TARGETS];
if (chosen.length === 0) {
  console.error(`unknown target; the targets are: ${TARGETS.map((t) => t.name).join(', ')}`);
  process.exit(2);
}

if (values.replay) {
  const finding = runOne(chosen[0]!, readFileSync(values.replay));
  console.log(finding ? `${finding.target}: ${finding.problem}` : 'no defect');
  process.exit(finding ? 1 : 0);
}

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });

/** The blocks of src/ that ran since the last call, as "script:start-end" keys. */
async function blocksReached(): Promise<string[]> {
  const { result } = await session.post('Profiler.takePreciseCoverage');
  const keys: string[] = [];
  for (const script of result) {
    if (!script.url.includes('/src/')) continue;
    for (const fn of script.functions) {
      for (const range of fn.ranges) if (range.count > 0) keys.push(`${script.scriptId}:${range.startOffset}-${range.endOffset}`);
    }
  }
  return keys;
}

async function fuzz(target: FuzzTarget, deadline: number, seed: number): Promise<void> {
  const corpus = corpusOf(target);
  const tokens = target.tokens.map((t) => Buffer.from(t, 'latin1'));
  const seen = new Set<string>();
  await blocksReached();
  for (const input of corpus) {
    runOne(target, input);
    for (const key of await blocksReached()) seen.add(key);
  }
  const random = prng(seed);
  let runs = 0;
  let added = 0;
  let findings = 0;
  while (Date.now() < deadline) {
    const input = mutate(random, corpus[randomInt(random, corpus.length)]!, corpus, tokens);
    const finding = runOne(target, input);
    runs++;
    if (finding) {
      findings++;
      console.log(`${target.name}: ${finding.problem}\n  replay: node --import tsx scripts/fuzz.ts ${target.name} --replay ${finding.savedAs}`);
      continue;
    }
    let fresh = false;
    for (const key of await blocksReached()) {
      if (!seen.has(key)) {
        seen.add(key);
        fresh = true;
      }
    }
    if (fresh) {
      corpus.push(input);
      saveToCorpus(target, input);
      added++;
    }
  }
  console.log(`${target.name}: ${runs} runs, ${seen.size} blocks reached, ${added} inputs added to the corpus, ${findings} findings`);
}

const seed = values.seed ? Number(values.seed) : Date.now() >>> 0;
console.log(`seed ${seed}`);
const perTarget = (Number(values.minutes) * 60_000) / chosen.length;
for (const target of chosen) await fuzz(target, Date.now() + perTarget, seed);
session.disconnect();
