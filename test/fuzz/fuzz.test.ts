// The bounded fuzz run of `npm test`: for every target, its corpus (test/fuzz/corpus/<target>/
// plus the fixtures other tests use) and mutations of it from a fixed seed. A finding prints the
// file under tmp/fuzz-findings/ that replays it (`node --import tsx scripts/fuzz.ts <target> --replay FILE`).
// Longer, coverage-guided runs: scripts/fuzz.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBounded } from './runner.ts';
import { TARGETS } from './targets.ts';

const MUTATIONS = Number(process.env.MAILROOM_FUZZ_MUTATIONS ?? 1500);
const SEED = 0x0f0220e5;

for (const target of TARGETS) {
  test(`fuzz ${target.name}: corpus and ${MUTATIONS} mutations, no defect and no hang`, () => {
    const { runs, findings } = runBounded(target, MUTATIONS, SEED);
    assert.ok(runs > MUTATIONS);
    assert.deepEqual(
      findings.slice(0, 5).map((f) => `${f.problem} (replay: ${f.savedAs})`),
      [],
    );
  });
}
