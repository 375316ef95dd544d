// What a cmdlet is, and how its results are shown: Format-List text or JSON.
import type { Directory } from '../directory/directory.ts';
import type { SettingDef, SettingsDocument } from '../config/model.ts';
import type { BoundValue, ParameterSpec } from './types.ts';
import { formatSize, formatTimeSpan } from './values.ts';

export interface CmdletContext {
  directory: Directory;
  /** Notes for the admin (warnings), printed on stderr so that --json output stays clean. */
  warn(text: string): void;
}

/** One output object: property name → display value, in display order. */
export type OutputObject = Record<string, unknown>;

export interface Cmdlet {
  name: string;
  synopsis: string;
  parameters: readonly ParameterSpec[];
  examples?: readonly string[];
  run(args: Record<string, BoundValue>, ctx: CmdletContext): Promise<OutputObject[] | string | void>;
}

export function defineCmdlets(...cmdlets: Cmdlet[]): Cmdlet[] {
  return cmdlets;
}

/** Turns settings definitions into cmdlet parameters with the same names and kinds. */
export function settingParameters(defs: readonly SettingDef[]): ParameterSpec[] {
  return defs
    .filter((d) => !d.readOnly)
    .map((d) => ({
      name: d.name,
      kind: d.kind,
      multi: d.multi,
      values: d.values,
      allowUnlimited: d.allowUnlimited,
      help: d.help,
    }));
}

/** Settings documents shown the way Get-* shows them: sizes and time spans in Exchange's forms. */
export function displaySettings(defs: readonly SettingDef[], doc: SettingsDocument): OutputObject {
  const out: OutputObject = {};
  for (const d of defs) {
    const v = doc[d.name];
    if (d.kind === 'size' && v !== null && v !== undefined) out[d.name] = formatSize(v as number | 'unlimited');
    else if (d.kind === 'timespan' && typeof v === 'number') out[d.name] = formatTimeSpan(v);
    else if (d.kind === 'int' && v === 'unlimited') out[d.name] = 'Unlimited';
    else out[d.name] = v;
  }
  return out;
}

/** Keeps only the parameters that were given, keyed by canonical name. */
export function pick(args: Record<string, BoundValue>, names: readonly string[]): Record<string, BoundValue> {
  const out: Record<string, BoundValue> = {};
  for (const n of names) if (n in args) out[n] = args[n]!;
  return out;
}

function formatListValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return `{${v.map(formatListValue).join(', ')}}`;
  return String(v);
}

/** PowerShell's Format-List: `Name : value`, names padded to the longest, objects separated by a blank line. */
export function formatList(objects: OutputObject[]): string {
  return objects
    .map((o) => {
      const width = Math.max(0, ...Object.keys(o).map((k) => k.length));
      return Object.entries(o)
        .map(([k, v]) => `${k.padEnd(width)} : ${formatListValue(v)}`)
        .join('\n');
    })
    .join('\n\n');
}
