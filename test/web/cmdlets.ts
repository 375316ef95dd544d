// Runs a cmdlet in the test process exactly as `mailroom <Verb-Noun> …` would: the same binder,
// the same validation, the same Directory methods.
import { bindArguments } from '../../src/cli/bind.ts';
import { findCmdlet } from '../../src/cli/registry.ts';
import type { Directory } from '../../src/directory/directory.ts';

export async function cmdlet(directory: Directory, name: string, ...args: string[]): Promise<unknown> {
  const c = findCmdlet(name);
  if (!c) throw new Error(`no cmdlet ${name}`);
  const warnings: string[] = [];
  const result = await c.run(bindArguments(args, c.parameters).values, { directory, warn: (t) => warnings.push(t) });
  return result;
}
