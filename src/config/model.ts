// A settings object (PopSettings, ImapSettings, a receive connector, …) is declared once as a
// list of SettingDef. The same list gives the Exchange defaults, the validation with messages
// that name the parameter, the cmdlet parameters, the Format-List order and the reference docs.

export type SettingKind = 'string' | 'int' | 'bool' | 'enum' | 'size' | 'timespan';

export type SettingValue = string | number | boolean | null | 'unlimited' | string[];

export type SettingsDocument = Record<string, SettingValue>;

export interface DefaultsContext {
  serverName: string;
  fqdn: string;
}

export interface SettingDef {
  name: string;
  kind: SettingKind;
  multi?: boolean;
  values?: readonly string[];
  min?: number;
  max?: number;
  allowUnlimited?: boolean;
  nullable?: boolean;
  /** Read-only properties are shown by Get-* but cannot be set. */
  readOnly?: boolean;
  default: SettingValue | ((ctx: DefaultsContext) => SettingValue);
  /** Checks one element (or the value, when not multi); returns an error text or undefined. */
  check?: (value: string) => string | undefined;
  /**
   * Values Exchange knows that Mailroom refuses because it has nothing that would make them
   * work (NTLM, Kerberos, TNEF, …): value → reason, or undefined when the value is supported.
   * A stored value that is now refused reads back as the default, so no setting is kept that
   * does nothing.
   */
  unsupported?: (value: string | number | boolean) => string | undefined;
  help: string;
}

export class SettingsValidationError extends Error {
  constructor(message: string, readonly parameter: string) {
    super(message);
    this.name = 'SettingsValidationError';
  }
}

export function defaultsOf(defs: readonly SettingDef[], ctx: DefaultsContext): SettingsDocument {
  const doc: SettingsDocument = {};
  for (const def of defs) {
    const value = typeof def.default === 'function' ? def.default(ctx) : def.default;
    doc[def.name] = Array.isArray(value) ? [...value] : value;
  }
  return doc;
}

/** Fills in settings added since the document was stored and drops unknown ones. */
export function completeDocument(
  defs: readonly SettingDef[],
  stored: Record<string, unknown>,
  ctx: DefaultsContext,
): SettingsDocument {
  const doc = defaultsOf(defs, ctx);
  for (const def of defs) {
    if (!(def.name in stored)) continue;
    const value = stored[def.name] as SettingValue;
    if (def.unsupported && Array.isArray(value)) {
      doc[def.name] = value.filter((v) => def.unsupported!(v) === undefined);
    } else if (def.unsupported && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') && def.unsupported(value) !== undefined) {
      continue;
    } else {
      doc[def.name] = value;
    }
  }
  return doc;
}

function fail(def: SettingDef, message: string): never {
  throw new SettingsValidationError(`-${def.name} ${message}`, def.name);
}

function formatRange(def: SettingDef): string {
  if (def.kind === 'timespan') {
    const f = (s: number) => secondsToClock(s);
    return `from ${f(def.min ?? 0)} to ${f(def.max ?? Number.MAX_SAFE_INTEGER)}`;
  }
  return `from ${def.min ?? 0} to ${def.max ?? Number.MAX_SAFE_INTEGER}`;
}

export function secondsToClock(total: number): string {
  const days = Math.floor(total / 86400);
  const rest = total % 86400;
  const hh = String(Math.floor(rest / 3600)).padStart(2, '0');
  const mm = String(Math.floor((rest % 3600) / 60)).padStart(2, '0');
  const ss = String(rest % 60).padStart(2, '0');
  return days > 0 ? `${days}.${hh}:${mm}:${ss}` : `${hh}:${mm}:${ss}`;
}

function validateScalar(def: SettingDef, value: unknown): SettingValue {
  const valid = validateKind(def, value);
  if (def.unsupported && (typeof valid === 'string' || typeof valid === 'number' || typeof valid === 'boolean')) {
    const reason = def.unsupported(valid);
    if (reason) fail(def, `${showValue(valid)} is not supported: ${reason}`);
  }
  return valid;
}

const showValue = (v: string | number | boolean) => (typeof v === 'boolean' ? (v ? '$true' : '$false') : String(v));

function validateKind(def: SettingDef, value: unknown): SettingValue {
  switch (def.kind) {
    case 'string': {
      if (typeof value !== 'string') fail(def, 'must be text.');
      const problem = def.check?.(value);
      if (problem) fail(def, problem);
      return value;
    }
    case 'bool':
      if (typeof value !== 'boolean') fail(def, 'must be $true or $false.');
      return value;
    case 'enum': {
      const match = def.values!.find((v) => v.toLowerCase() === String(value).toLowerCase());
      if (!match) fail(def, `must be one of ${def.values!.join(', ')} (got '${String(value)}').`);
      return match;
    }
    case 'int':
    case 'size':
    case 'timespan': {
      if (value === 'unlimited') {
        if (!def.allowUnlimited) fail(def, `cannot be unlimited; allowed ${formatRange(def)}.`);
        return 'unlimited';
      }
      if (typeof value !== 'number' || !Number.isInteger(value)) fail(def, 'must be a whole number.');
      if ((def.min !== undefined && value < def.min) || (def.max !== undefined && value > def.max)) {
        const shown = def.kind === 'timespan' ? secondsToClock(value) : String(value);
        fail(def, `must be ${formatRange(def)}${def.allowUnlimited ? ' or unlimited' : ''} (got ${shown}).`);
      }
      return value;
    }
  }
}

export function validateSetting(def: SettingDef, value: unknown): SettingValue {
  if (def.readOnly) fail(def, 'is read-only.');
  if (value === null || value === undefined) {
    if (def.multi) return [];
    if (!def.nullable) fail(def, 'cannot be $null.');
    return null;
  }
  if (def.multi) {
    const list = Array.isArray(value) ? value : [value];
    const out = list.map((v) => validateScalar(def, v) as string);
    return [...new Set(out)];
  }
  return validateScalar(def, value);
}

/** A change to a multi-valued setting written as @{Add=...; Remove=...}. */
export interface ListChange {
  add: unknown[];
  remove: unknown[];
}

export function isListChange(v: unknown): v is ListChange {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'add' in v && 'remove' in v;
}

/** Applies `changes` (parameter name → new value) to `current`; throws on the first bad value. */
export function applySettings(
  defs: readonly SettingDef[],
  current: SettingsDocument,
  changes: Record<string, unknown>,
): SettingsDocument {
  const next: SettingsDocument = { ...current };
  for (const [name, raw] of Object.entries(changes)) {
    const def = defs.find((d) => d.name.toLowerCase() === name.toLowerCase());
    if (!def) throw new SettingsValidationError(`There is no parameter -${name}.`, name);
    if (def.multi && isListChange(raw)) {
      const existing = (current[def.name] as string[] | null) ?? [];
      const add = validateSetting(def, raw.add) as string[];
      const remove = new Set((validateSetting(def, raw.remove) as string[]).map((s) => s.toLowerCase()));
      next[def.name] = [...new Set([...existing, ...add])].filter((v) => !remove.has(v.toLowerCase()));
    } else {
      next[def.name] = validateSetting(def, raw);
    }
  }
  return next;
}
