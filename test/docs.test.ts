import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { referenceMarkdown } from '../src/cli/help.ts';
import { CMDLETS } from '../src/cli/registry.ts';

test('docs/cmdlets.md matches the cmdlet definitions (run `npm run docs`)', () => {
  const committed = readFileSync(join(import.meta.dirname, '..', 'docs', 'cmdlets.md'), 'utf8');
  assert.equal(committed, referenceMarkdown(CMDLETS));
});
