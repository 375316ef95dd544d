// Runs one cmdlet line (already split into arguments) against the directory.
import { Directory } from '../directory/directory.ts';
import { bindArguments } from './bind.ts';
import { formatList, type CmdletContext } from './cmdlet.ts';
import { helpText } from './help.ts';
import { CMDLETS, findCmdlet } from './registry.ts';

/** Runs one cmdlet; `out` gets the result, stderr gets warnings and errors. */
export async function cmdletCommand(name: string, args: string[], out: NodeJS.WritableStream, directory?: Directory): Promise<number> {
  if (name.toLowerCase() === 'get-command') {
    out.write(CMDLETS.map((c) => `${c.name.padEnd(28)} ${c.synopsis}`).join('\n') + '\n');
    return 0;
  }
  if (name.toLowerCase() === 'get-help') {
    const target = args.find((a) => !a.startsWith('-'));
    const cmdlet = target ? findCmdlet(target) : undefined;
    if (!cmdlet) {
      console.error(target ? `There is no cmdlet '${target}'. mailroom Get-Command lists them.` : 'Usage: mailroom Get-Help <Verb-Noun>');
      return 1;
    }
    out.write(helpText(cmdlet) + '\n');
    return 0;
  }
  const cmdlet = findCmdlet(name);
  if (!cmdlet) {
    console.error(`There is no cmdlet '${name}'. mailroom Get-Command lists them.`);
    return 1;
  }
  const json = args.includes('--json');
  const bound = bindArguments(args.filter((a) => a !== '--json'), cmdlet.parameters);
  if (bound.help) {
    out.write(helpText(cmdlet) + '\n');
    return 0;
  }
  for (const name of bound.implied ?? []) {
    console.error(`Note: -${name} had no value and is taken as $true. In bash, write '$true' and '$false' in single quotes (an unquoted $false reaches Mailroom as nothing).`);
  }
  const verbose = bound.common.Verbose === true;
  const quietErrors = bound.common.ErrorAction === 'SilentlyContinue' || bound.common.ErrorAction === 'Ignore';
  const started = performance.now();
  const own = directory ?? (await Directory.open());
  try {
    if (verbose) console.error(`VERBOSE: ${cmdlet.name} on the directory ${own.describe()}`);
    const ctx: CmdletContext = { directory: own, warn: (t) => console.error(`WARNING: ${t}`) };
    let result: Awaited<ReturnType<typeof cmdlet.run>>;
    try {
      result = await cmdlet.run(bound.values, ctx);
    } catch (e) {
      // -ErrorAction SilentlyContinue/Ignore: the caller sees the failure only in the status.
      if (quietErrors) return 1;
      throw e;
    } finally {
      if (verbose) console.error(`VERBOSE: ${cmdlet.name} took ${Math.round(performance.now() - started)} ms`);
    }
    if (typeof result === 'string') out.write(result + '\n');
    else if (Array.isArray(result)) {
      if (json) out.write(JSON.stringify(result.length === 1 && !/^Get-/i.test(cmdlet.name) ? result[0] : result, null, 2) + '\n');
      else if (result.length > 0) out.write('\n' + formatList(result) + '\n\n');
    } else if (json) out.write('null\n');
    return 0;
  } finally {
    if (!directory) await own.close();
  }
}
