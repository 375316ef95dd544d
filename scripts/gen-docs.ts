// Writes docs/cmdlets.md from the cmdlet definitions (`npm run docs`). A test fails when the
// committed file is out of date.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { referenceMarkdown } from '../src/cli/help.ts';
import { CMDLETS } from '../src/cli/registry.ts';

writeFileSync(join(import.meta.dirname, '..', 'docs', 'cmdlets.md'), referenceMarkdown(CMDLETS));
