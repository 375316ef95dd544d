// Every admin-center action runs a cmdlet, through the same binder and the same run() as
// `mailroom <Verb-Noun>`, so values are parsed, validated and refused with the same messages.
import { bindArguments } from '../../cli/bind.ts';
import { findCmdlet } from '../../cli/registry.ts';
import { CmdletSyntaxError } from '../../cli/types.ts';
import { SettingsValidationError } from '../../config/model.ts';
import { DirectoryError, type Directory } from '../../directory/directory.ts';
import type { Logger } from '../../lib/log.ts';

export type CmdletOutcome =
  | { ok: true; result: unknown; warnings: string[] }
  | { ok: false; message: string; parameter?: string; warnings: string[] };

/**
 * Runs `name` with arguments written as on the command line (`-Parameter:value`). The log says
 * who ran what and with which parameters, never the values (one may be a password).
 */
export async function runCmdlet(directory: Directory, log: Logger, admin: string, name: string, args: string[]): Promise<CmdletOutcome> {
  const cmdlet = findCmdlet(name);
  if (!cmdlet) throw new Error(`no cmdlet ${name}`);
  const warnings: string[] = [];
  try {
    const bound = bindArguments(args, cmdlet.parameters);
    const result = await cmdlet.run(bound.values, { directory, warn: (text) => warnings.push(text) });
    log.info({ admin, cmdlet: cmdlet.name, parameters: Object.keys(bound.values) }, 'admin center ran a cmdlet');
    return { ok: true, result, warnings };
  } catch (err) {
    if (err instanceof CmdletSyntaxError || err instanceof SettingsValidationError) {
      return { ok: false, message: err.message, parameter: err.parameter, warnings };
    }
    if (err instanceof DirectoryError) return { ok: false, message: err.message, warnings };
    // Cmdlets report bad input with plain errors too ("needs at least one setting to change").
    if (err instanceof Error && !(err instanceof TypeError) && !(err instanceof ReferenceError)) {
      return { ok: false, message: err.message, parameter: /^-(\w+)/.exec(err.message)?.[1], warnings };
    }
    throw err;
  }
}

/** `-Name:value`: the colon form keeps values that start with "-" or are empty intact. */
export function argument(name: string, value: string): string {
  return `-${name}:${value}`;
}
