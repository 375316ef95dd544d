// Runs fuzz targets over their corpus and mutations of it. `runBounded` is what `npm test` does
// (a fixed number of mutations from a fixed seed, so a failure replays); scripts/fuzz.ts adds
// coverage guidance for long runs and saves inputs that reach new code into the corpus.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers.ts';
import { cpuCost } from '../support/cpu-time.ts';
import { prng, randomInt } from '../support/random.ts';
import { mutate } from './mutate.ts';
import { FuzzDefect, type FuzzTarget } from './targets.ts';

export const CORPUS_DIR = join(ROOT, 'test', 'fuzz', 'corpus');

/**
 * One input that costs this much CPU is a hang: the inputs are at most 64 KB and every target is
 * meant to be linear in them (milliseconds; a 26 KB From: of 6,500 addresses costs about 0.3 s,
 * more before the JIT warms up). CPU time, so that a busy machine is not taken for one. A
 * quadratic path on 64 KB costs more than this; super-linear regular expressions are measured
 * apart, on inputs built to make them backtrack.
 */
export const HANG_MS = 5_000;

export function corpusOf(target: FuzzTarget): Buffer[] {
  const dir = join(CORPUS_DIR, target.name);
  const saved = existsSync(dir) ? readdirSync(dir).sort().map((f) => readFileSync(join(dir, f))) : [];
  return [...target.seeds(), ...saved];
}

export function saveToCorpus(target: FuzzTarget, input: Buffer): string {
  const dir = join(CORPUS_DIR, target.name);
  mkdirSync(dir, { recursive: true });
  const name = createHash('sha1').update(input).digest('hex').slice(0, 16);
  writeFileSync(join(dir, name), input);
  return name;
}

export interface Finding {
  target: string;
  input: Buffer;
  problem: string;
  /** Where the input was written, to replay it. */
  savedAs: string;
}

/** Runs one input; a defect or a hang comes back as a Finding (and the input is kept under tmp/). */
export function runOne(target: FuzzTarget, input: Buffer): Finding | null {
  const { result: thrown, ms } = cpuCost((): string | null => {
    try {
      target.run(input);
      return null;
    } catch (err) {
      return err instanceof FuzzDefect ? err.message : `uncaught ${err instanceof Error ? err.stack : String(err)}`;
    }
  });
  let problem = thrown;
  if (problem === null && ms > HANG_MS) problem = `took ${Math.round(ms)} ms of CPU on ${input.length} bytes`;
  if (problem === null) return null;
  const dir = join(ROOT, 'tmp', 'fuzz-findings', target.name);
  mkdirSync(dir, { recursive: true });
  const savedAs = join(dir, createHash('sha1').update(input).digest('hex').slice(0, 16));
  writeFileSync(savedAs, input);
  return { target: target.name, input, problem, savedAs };
}

/** The corpus, then `mutations` mutated inputs drawn from it with `seed`. */
export function runBounded(target: FuzzTarget, mutations: number, seed: number): { runs: number; findings: Finding[] } {
  const corpus = corpusOf(target);
  const tokens = target.tokens.map((t) => Buffer.from(t, 'latin1'));
  const findings: Finding[] = [];
  for (const input of corpus) {
    const f = runOne(target, input);
    if (f) findings.push(f);
  }
  const random = prng(seed);
  for (let i = 0; i < mutations; i++) {
    const input = mutate(random, corpus[randomInt(random, corpus.length)]!, corpus, tokens);
    const f = runOne(target, input);
    if (f) findings.push(f);
  }
  return { runs: corpus.length + mutations, findings };
}
