// Binds a cmdlet's arguments to its parameters, PowerShell-style. argv comes either from bash
// (quotes already removed, `$true` already expanded to nothing) or from splitCommandLine; the
// rules below accept both. Pure: no I/O.
import {
  CmdletSyntaxError,
  type BoundArguments,
  type BoundValue,
  type MultiValueChange,
  type ParameterSpec,
} from './types.ts';
import { decodeWord, findGroupEnd, splitTopLevel } from './syntax.ts';
import {
  isBooleanLiteral,
  parseBoolean,
  parseEnum,
  parseInteger,
  parseSize,
  parseTimeSpan,
  showValue,
} from './values.ts';

/** Accepted by every cmdlet and returned in BoundArguments.common; a cmdlet's own spec wins. */
export const COMMON_PARAMETERS: readonly ParameterSpec[] = [
  { name: 'Confirm', kind: 'switch', aliases: ['cf'], help: '-Confirm:$false only: Mailroom never asks before a change, as Exchange with -Confirm:$false. -Confirm is refused.' },
  { name: 'WhatIf', kind: 'switch', aliases: ['wi'], help: 'Refused: Mailroom cannot show what a cmdlet would do without doing it. -WhatIf:$false is accepted.' },
  { name: 'DomainController', kind: 'string', help: 'Not supported: there are no domain controllers; the directory is one database.' },
  { name: 'Verbose', kind: 'switch', aliases: ['vb'], help: 'Writes VERBOSE: lines to stderr: the directory used, and how long the cmdlet took.' },
  {
    name: 'ErrorAction',
    kind: 'enum',
    aliases: ['ea'],
    values: ['Break', 'Continue', 'Ignore', 'Inquire', 'SilentlyContinue', 'Stop', 'Suspend'],
    help: 'Stop or Continue: an error is shown and the exit status is 1. SilentlyContinue or Ignore: the error is not shown; the exit status is still 1. Inquire, Suspend and Break are refused.',
  },
];

const BASH_BOOLEAN_HINT =
  "In bash, put $true and $false in single quotes ('$false'): unquoted, bash expands them to nothing.";

export function bindArguments(argv: readonly string[], params: readonly ParameterSpec[]): BoundArguments {
  return new Binder(argv, params).bind();
}

// ---------------------------------------------------------------------------------------------
// Recognising parameters

const DASHES = '-\u2013\u2014\u2015'; // PowerShell also takes the en and em dashes of pasted text
const PARAMETER = /^[-\u2013\u2014\u2015]([A-Za-z_][A-Za-z0-9_]*)(?::([\s\S]*))?$/;

/** A negative number (-5, -1.5, -.5) is a value, as in PowerShell; '-' alone is a value too. */
export function isParameterLike(item: string): boolean {
  return item.length > 1 && DASHES.includes(item[0]!) && !/^.\.?\d/.test(item);
}

const isNullLiteral = (text: string): boolean => /^\$null$/i.test(text.trim());

interface ParameterToken {
  name: string;
  /** The text after `-Name:`, if the colon form was used. */
  inline?: string;
}

function parseParameterToken(item: string): ParameterToken {
  if (item === '-?') return { name: '?' };
  const m = PARAMETER.exec(item);
  if (m) return m[2] === undefined ? { name: m[1]! } : { name: m[1]!, inline: m[2] };
  // Show only the part before ':' or '=': what follows may be a password.
  const shown = item.split(/[:=]/)[0]!;
  if (/^.[A-Za-z_]\w*=/.test(item)) {
    throw new CmdletSyntaxError(`Write ${shown} value or ${shown}:value; '=' does not join a parameter to its value.`);
  }
  throw new CmdletSyntaxError(`${showValue(shown)} is not a parameter name: names are letters and digits after one dash.`);
}

/** Optimal string alignment distance: a swapped pair of letters (Fdqn) counts as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** A name as errors show it: a pasted page of text is cut to its start. */
const shortened = (name: string): string => (name.length > 60 ? `${name.slice(0, 60)}…` : name);

const spellings = (spec: ParameterSpec): string[] => [spec.name, ...(spec.aliases ?? [])].map((n) => n.toLowerCase());

const listNames = (specs: readonly ParameterSpec[]): string => specs.map((s) => `-${s.name}`).join(', ');

// ---------------------------------------------------------------------------------------------
// Describing what a parameter accepts, for error messages

function describeKind(spec: ParameterSpec): string {
  const unlimited = spec.allowUnlimited ? ', or Unlimited' : '';
  const single = {
    string: 'a text value',
    secret: 'a password',
    int: `a whole number${unlimited}`,
    bool: '$true or $false',
    switch: '$true or $false',
    enum: `one of ${(spec.values ?? []).join(', ')}`,
    size: `a size such as 10MB${unlimited}`,
    timespan: 'a time span such as 00:30:00',
  }[spec.kind];
  return spec.multi ? `${single}, or several as a,b` : single;
}

/** ` (got 'x')`, or nothing for a password. */
const got = (text: string, spec: ParameterSpec): string => (spec.kind === 'secret' ? '' : ` (got ${showValue(text)})`);

/** Re-raises a syntax error from a shared helper with the parameter named. */
function about<T>(spec: ParameterSpec, work: () => T): T {
  try {
    return work();
  } catch (e) {
    if (e instanceof CmdletSyntaxError && e.parameter === undefined) {
      throw new CmdletSyntaxError(`-${spec.name}: ${e.message}`, spec.name);
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Converting text to values

function convertScalar(text: string, spec: ParameterSpec): BoundValue {
  const options = { parameter: spec.name, allowUnlimited: spec.allowUnlimited };
  switch (spec.kind) {
    case 'string':
    case 'secret':
      return text;
    case 'int':
      return parseInteger(text, options);
    case 'bool':
    case 'switch':
      return parseBoolean(text, options);
    case 'enum':
      return parseEnum(text, spec.values ?? [], options);
    case 'size':
      return parseSize(text, options);
    case 'timespan':
      return parseTimeSpan(text, options);
  }
}

/** The items of `a,b`, `{a, b}`, `@("a","b")` or `"a","b"`, unquoted and trimmed. */
function listItems(text: string, spec: ParameterSpec): string[] {
  const t = text.trim();
  let inner = t;
  if (t.startsWith('{') || t.startsWith('@(')) {
    const end = findGroupEnd(t, 0);
    if (end < 0) {
      throw new CmdletSyntaxError(
        `-${spec.name}: the ${t.startsWith('@') ? '@(' : '{'} is never closed. ` +
          `In bash, quote the whole list: '{a, b}'.`,
        spec.name,
      );
    }
    if (end === t.length) inner = t.slice(t.startsWith('@') ? 2 : 1, -1);
  }
  if (inner.trim() === '') return [];
  return splitTopLevel(inner, ',').map((raw) => {
    const item = raw.trim();
    if (item === '') {
      throw new CmdletSyntaxError(
        `-${spec.name} has an empty item in its list${got(text, spec)}; separate items with single commas: a,b.`,
        spec.name,
      );
    }
    return decodeWord(item);
  });
}

function convertList(text: string, spec: ParameterSpec): unknown[] {
  return listItems(text, spec).map((item) => convertScalar(item, spec));
}

/** `@{Add="a","b"; Remove="c"}`: changes to a multi-valued parameter rather than a new list. */
function parseChange(text: string, spec: ParameterSpec): MultiValueChange {
  const t = text.trim();
  const end = findGroupEnd(t, 0);
  if (end < 0) {
    throw new CmdletSyntaxError(
      `-${spec.name}: the @{ is never closed. In bash, quote it whole: '@{Add="a","b"; Remove="c"}'.`,
      spec.name,
    );
  }
  if (end !== t.length) throw new CmdletSyntaxError(`-${spec.name}: unexpected text after @{…}.`, spec.name);

  const change: MultiValueChange = { add: [], remove: [] };
  const seen = new Set<string>();
  for (const raw of splitTopLevel(t.slice(2, -1), ';\n')) {
    if (raw.trim() === '') continue;
    const [rawKey = '', ...rest] = splitTopLevel(raw, '=');
    const key = decodeWord(rawKey.trim()).toLowerCase();
    if (rest.length === 0 || (key !== 'add' && key !== 'remove')) {
      throw new CmdletSyntaxError(
        `-${spec.name}: each entry of @{…} must be Add=values or Remove=values, as in @{Add="a","b"; Remove="c"}.`,
        spec.name,
      );
    }
    if (seen.has(key)) throw new CmdletSyntaxError(`-${spec.name}: @{…} has ${key === 'add' ? 'Add' : 'Remove'} twice.`, spec.name);
    seen.add(key);
    const items = convertList(rest.join('='), spec);
    if (items.length === 0) throw new CmdletSyntaxError(`-${spec.name}: give at least one value after ${rawKey.trim()}=.`, spec.name);
    change[key as keyof MultiValueChange] = items;
  }
  return change;
}

function convertValue(text: string, spec: ParameterSpec): BoundValue {
  if (isNullLiteral(text)) return null;
  // An empty string clears anything but a single text value, which may legitimately be empty.
  const textual = (spec.kind === 'string' || spec.kind === 'secret') && !spec.multi;
  if (text === '' && !textual) return null;
  return about(spec, () => {
    if (!spec.multi) return convertScalar(text, spec);
    rejectBraceExpansion(text);
    if (text.trim().startsWith('@{')) return parseChange(text, spec);
    return convertList(text, spec);
  });
}

/** True while `text` opens a `{`, `@{` or `@(` group that it does not close. */
function isOpenGroup(text: string): boolean {
  const t = text.trimStart();
  if (!(t.startsWith('{') || t.startsWith('@{') || t.startsWith('@('))) return false;
  try {
    return findGroupEnd(t, 0) < 0;
  } catch {
    return false; // crossed brackets: let the parser report them
  }
}

// ---------------------------------------------------------------------------------------------
// The binder

interface Positional {
  text: string;
  /** Set when the item came right after a password, which it may be part of. */
  afterSecret?: string;
}

class Binder {
  private readonly values: Record<string, BoundValue> = {};
  private readonly common: Record<string, BoundValue> = {};
  private readonly implied: string[] = [];
  private readonly positionals: Positional[] = [];
  private help = false;
  /** Name of the secret parameter whose value was just read; cleared by the next parameter. */
  private afterSecret: string | undefined;
  private readonly all: readonly ParameterSpec[];
  private readonly commonSpecs: ReadonlySet<ParameterSpec>;

  constructor(
    private readonly argv: readonly string[],
    private readonly params: readonly ParameterSpec[],
  ) {
    const taken = new Set(params.flatMap(spellings));
    const common = COMMON_PARAMETERS.filter((c) => !taken.has(c.name.toLowerCase())).map((c) => ({
      ...c,
      aliases: (c.aliases ?? []).filter((a) => !taken.has(a.toLowerCase())),
    }));
    this.commonSpecs = new Set(common);
    this.all = [...params, ...common];
  }

  bind(): BoundArguments {
    let i = 0;
    while (i < this.argv.length) {
      const item = this.argv[i]!;
      i = isParameterLike(item) ? this.named(item, i + 1) : this.positional(item, i + 1);
    }
    this.bindPositionals();
    // Exchange previews the change and makes none. Mailroom has no preview, and running the
    // cmdlet would make the change the admin only wanted to see, so it stops here instead.
    // (`-WhatIf:` is what bash leaves of -WhatIf:$true as well as of -WhatIf:$false.)
    if (Object.hasOwn(this.common, 'WhatIf') && this.common.WhatIf !== false) {
      throw new CmdletSyntaxError('-WhatIf is not supported: Mailroom cannot show what a cmdlet would change without changing it, so nothing was done. Run the cmdlet without -WhatIf to make the change.', 'WhatIf');
    }
    // Exchange asks before the change with -Confirm; Mailroom never asks, so running on would
    // make the change the admin wanted to be asked about. `-Confirm:` (bash's remains of
    // -Confirm:$false, the common case) is let through.
    if (this.common.Confirm === true) {
      throw new CmdletSyntaxError('-Confirm is not supported: Mailroom never asks before a change, so nothing was done. Run the cmdlet without -Confirm (or with -Confirm:$false).', 'Confirm');
    }
    if (Object.hasOwn(this.common, 'DomainController')) {
      throw new CmdletSyntaxError('-DomainController is not supported: Mailroom has no domain controllers; every cmdlet reads and writes the one directory database.', 'DomainController');
    }
    const action = this.common.ErrorAction;
    if (action === 'Inquire' || action === 'Suspend' || action === 'Break') {
      throw new CmdletSyntaxError(`-ErrorAction ${action} is not supported: Mailroom does not stop to ask or debug. Use Stop, Continue, SilentlyContinue or Ignore.`, 'ErrorAction');
    }
    if (!this.help) this.checkRequired();
    const bound: BoundArguments = { values: this.values, common: this.common, help: this.help };
    if (this.implied.length > 0) bound.implied = this.implied;
    return bound;
  }

  /** Reads `-Name [value]`; returns the index of the next unread item. */
  private named(item: string, next: number): number {
    const token = parseParameterToken(item);
    if (token.name === '?') {
      this.help = true;
      return next;
    }
    const spec = this.resolve(token.name);
    const isCommon = this.commonSpecs.has(spec);
    const target = isCommon ? this.common : this.values;
    if (Object.hasOwn(target, spec.name)) {
      throw new CmdletSyntaxError(`-${spec.name} is given more than once.`, spec.name);
    }
    this.afterSecret = undefined;
    let value: BoundValue;
    if (spec.kind === 'switch') value = this.switchValue(spec, token.inline, isCommon);
    else if (spec.kind === 'bool' && !spec.multi) [value, next] = this.boolValue(spec, token.inline, next);
    else [value, next] = this.otherValue(spec, token.inline, next);
    target[spec.name] = value;
    if (spec.kind === 'secret') this.afterSecret = spec.name;
    return next;
  }

  private positional(item: string, next: number): number {
    rejectBraceExpansion(item);
    const [text, after] = this.continueList(item, next);
    this.positionals.push(this.afterSecret ? { text, afterSecret: this.afterSecret } : { text });
    return after;
  }

  /** A switch is never followed by its value: only `-Name:$false` turns it off. */
  private switchValue(spec: ParameterSpec, inline: string | undefined, isCommon: boolean): BoundValue {
    if (inline === undefined) return true;
    if (inline !== '') return convertValue(inline, spec);
    // `-Confirm:$false` arrives from bash as `-Confirm:`. The common switches do nothing, so
    // that is harmless there; elsewhere the lost value could have been either.
    if (isCommon) return null;
    throw new CmdletSyntaxError(`-${spec.name}: needs $true or $false after the colon. ${BASH_BOOLEAN_HINT}`, spec.name);
  }

  /**
   * Bash expands an unquoted `$true` to nothing, so `-AdvertiseClientSettings $true -Fqdn x`
   * arrives as `-AdvertiseClientSettings -Fqdn x`. A bool followed by another parameter or by
   * nothing therefore means $true; the caller warns, since a vanished `$false` looks the same.
   */
  private boolValue(spec: ParameterSpec, inline: string | undefined, next: number): [BoundValue, number] {
    if (inline !== undefined && inline !== '') return [convertValue(inline, spec), next];
    const following = this.argv[next];
    if (following !== undefined && (isBooleanLiteral(following) || isNullLiteral(following) || following === '')) {
      return [convertValue(following, spec), next + 1];
    }
    if (inline !== undefined) {
      throw new CmdletSyntaxError(`-${spec.name}: needs $true or $false after the colon. ${BASH_BOOLEAN_HINT}`, spec.name);
    }
    if (following === undefined || isParameterLike(following)) {
      this.implied.push(spec.name);
      return [true, next];
    }
    throw new CmdletSyntaxError(`-${spec.name} must be $true or $false${got(following, spec)}. ${BASH_BOOLEAN_HINT}`, spec.name);
  }

  private otherValue(spec: ParameterSpec, inline: string | undefined, next: number): [BoundValue, number] {
    let text: string;
    const following = this.argv[next];
    if (inline !== undefined && inline !== '') text = inline;
    else if (following !== undefined && !isParameterLike(following)) {
      text = following; // `-Name value`, or PowerShell's `-Name: value`
      next++;
    } else if (inline !== undefined) text = ''; // `-Name:""` from bash
    else throw this.missingValue(spec, following);
    if (spec.multi) [text, next] = this.continueList(text, next);
    return [convertValue(text, spec), next];
  }

  private missingValue(spec: ParameterSpec, following: string | undefined): CmdletSyntaxError {
    const dash = following === undefined ? '' : ` To give a value that starts with '-', write -${spec.name}:'-value'.`;
    return new CmdletSyntaxError(`-${spec.name} needs a value: ${describeKind(spec)}.${dash}`, spec.name);
  }

  /**
   * Bash splits `{a, b}` into `{a,` and `b}`, and `a ,b` into `a` and `,b`: rejoin items while a
   * comma dangles or a group is still open. Parameters are never swallowed.
   */
  private continueList(text: string, next: number): [string, number] {
    while (next < this.argv.length) {
      const following = this.argv[next]!;
      if (isParameterLike(following)) break;
      const dangling = text.endsWith(',') || following.startsWith(',');
      if (!dangling && !isOpenGroup(text)) break;
      text = `${text} ${following}`;
      next++;
    }
    return [text, next];
  }

  private bindPositionals(): void {
    const slots = this.params
      .filter((p) => p.positional !== undefined && !Object.hasOwn(this.values, p.name))
      .sort((a, b) => a.positional! - b.positional!);
    for (const item of this.positionals) {
      const spec = slots.shift();
      if (!spec) throw this.unexpected(item);
      this.values[spec.name] = convertValue(item.text, spec);
    }
  }

  private unexpected(item: Positional): CmdletSyntaxError {
    const what = item.afterSecret ? `Unexpected argument after the value of -${item.afterSecret}` : `Unexpected argument ${showValue(item.text)}`;
    const positional = this.params.filter((p) => p.positional !== undefined);
    const why = positional.length === 0
      ? 'this command takes only named parameters (-Name value)'
      : `${listNames(positional)} already ${positional.length === 1 ? 'has a value' : 'have values'}`;
    return new CmdletSyntaxError(
      `${what}: ${why}. Quote a value that contains spaces ("Client Frontend MAIL01").`,
    );
  }

  private checkRequired(): void {
    const missing = this.params.filter((p) => p.required && !Object.hasOwn(this.values, p.name));
    if (missing.length === 0) return;
    const plural = missing.length > 1 ? 's' : '';
    throw new CmdletSyntaxError(`Missing required parameter${plural} ${listNames(missing)}.`, missing[0]!.name);
  }

  /** Exact names and aliases first, then unambiguous prefixes, as PowerShell does. */
  private resolve(name: string): ParameterSpec {
    const lower = name.toLowerCase();
    const exact = this.all.find((s) => spellings(s).includes(lower));
    if (exact) return exact;
    const matches = this.all.filter((s) => spellings(s).some((n) => n.startsWith(lower)));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw new CmdletSyntaxError(`Parameter -${name} is ambiguous: it could be ${listNames(matches)}.`, name);
    }
    throw new CmdletSyntaxError(`Unknown parameter -${shortened(name)}. ${this.suggest(lower)}`, shortened(name));
  }

  private suggest(lower: string): string {
    const limit = Math.max(2, Math.floor(lower.length / 3));
    // The edit distance is at least the difference in length: spellings that far apart are not
    // measured, so a pasted 30 KB "name" costs nothing (the distance table is length × length).
    const within = (n: string) => (Math.abs(n.length - lower.length) <= limit ? editDistance(lower, n) : Infinity);
    const scored = this.all
      .map((spec) => {
        const distance = Math.min(...spellings(spec).map(within));
        const contains = lower.length >= 3 && spellings(spec).some((n) => n.includes(lower));
        return { spec, score: contains ? 0 : distance };
      })
      .filter((s) => s.score <= limit)
      .sort((a, b) => a.score - b.score)
      .slice(0, 5);
    if (scored.length > 0) return `Did you mean ${listNames(scored.map((s) => s.spec))}?`;
    const own = this.params.length > 0 ? this.params : this.all;
    return `This command's parameters are ${listNames(own)}.`;
  }
}

/** `@{Add=a,b}` unquoted in bash is brace-expanded into `@Add=a` and `@b` before we see it. */
function rejectBraceExpansion(item: string): void {
  if (/^@(add|remove)=/i.test(item)) {
    throw new CmdletSyntaxError(
      `Bash expanded the braces of an @{…} value. Quote it in single quotes: '@{Add="a","b"; Remove="c"}'.`,
    );
  }
}
