// Parsers and formatters for the values of cmdlet parameters. They accept what an Exchange admin
// types and also what Exchange itself prints, so a value copied from Get-* output can be pasted
// back into Set-*. Pure functions: no I/O.
import { CmdletSyntaxError } from './types.ts';

export interface ParseOptions {
  /** Canonical parameter name; error messages then say `-Name must be …`. */
  parameter?: string;
}

export interface UnlimitedOptions extends ParseOptions {
  /** Accept `Unlimited` (any case) and return 'unlimited'. */
  allowUnlimited?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Error helpers

function subject(options?: ParseOptions): string {
  return options?.parameter ? `-${options.parameter}` : 'The value';
}

function fail(options: ParseOptions | undefined, message: string): never {
  throw new CmdletSyntaxError(message, options?.parameter);
}

const MAX_SHOWN = 60;

/**
 * A value quoted for an error message. Long values are cut and control characters escaped so
 * that a pasted blob cannot garble the admin's terminal.
 */
export function showValue(text: string): string {
  const cut = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
  const safe = cut.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `'${safe}'`;
}

// ---------------------------------------------------------------------------------------------
// Booleans

const TRUE_LITERALS = new Set(['$true', 'true', '1']);
const FALSE_LITERALS = new Set(['$false', 'false', '0']);

/** True for the texts parseBoolean accepts. */
export function isBooleanLiteral(text: string): boolean {
  const t = text.trim().toLowerCase();
  return TRUE_LITERALS.has(t) || FALSE_LITERALS.has(t);
}

export function parseBoolean(text: string, options?: ParseOptions): boolean {
  const t = text.trim().toLowerCase();
  if (TRUE_LITERALS.has(t)) return true;
  if (FALSE_LITERALS.has(t)) return false;
  fail(options, `${subject(options)} must be $true or $false (got ${showValue(text)}).`);
}

// ---------------------------------------------------------------------------------------------
// Integers

export function parseInteger(text: string, options: UnlimitedOptions = {}): number | 'unlimited' {
  const t = text.trim();
  if (/^unlimited$/i.test(t)) {
    if (options.allowUnlimited) return 'unlimited';
    fail(options, `${subject(options)} cannot be Unlimited; give a whole number.`);
  }
  if (!/^[+-]?\d+$/.test(t)) {
    const alternative = options.allowUnlimited ? ' or Unlimited' : '';
    fail(options, `${subject(options)} must be a whole number${alternative} (got ${showValue(text)}).`);
  }
  const n = Number(t);
  if (!Number.isSafeInteger(n)) fail(options, `${subject(options)} is too large (got ${showValue(text)}).`);
  // Number('-0') is -0, which would print as 0 but compare oddly.
  return n === 0 ? 0 : n;
}

// ---------------------------------------------------------------------------------------------
// Enumerations

/** Case-insensitive match against `allowed`; returns the canonical spelling. */
export function parseEnum(text: string, allowed: readonly string[], options?: ParseOptions): string {
  const t = text.trim().toLowerCase();
  const found = allowed.find((v) => v.toLowerCase() === t);
  if (found !== undefined) return found;
  fail(options, `${subject(options)} must be one of ${allowed.join(', ')} (got ${showValue(text)}).`);
}

// ---------------------------------------------------------------------------------------------
// Sizes (Exchange's ByteQuantifiedSize): binary multiples, 1 KB = 1024 bytes

const UNIT_BYTES = { b: 1n, kb: 1024n, mb: 1024n ** 2n, gb: 1024n ** 3n, tb: 1024n ** 4n } as const;
type UnitKey = keyof typeof UNIT_BYTES;

const SIZE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)\s*(b|kb|mb|gb|tb)?$/i;
// Exchange prints `36 MB (37,748,736 bytes)`: a rounded figure, then the exact count.
const EXCHANGE_COUNT = /^\s*(\d{1,3}(?:,\d{3})+|\d+)\s*bytes\s*$/i;

/**
 * `36 MB (37,748,736 bytes)` as the figure shown and the exact count, or null. The count is the
 * last parenthesis, found without a pattern over the figure (`(.*?)\s*\(` was quadratic on
 * a run of spaces).
 */
function exchangeSize(text: string): { shown: string; count: string } | null {
  if (!text.endsWith(')')) return null;
  const open = text.lastIndexOf('(');
  const count = open < 0 ? null : EXCHANGE_COUNT.exec(text.slice(open + 1, -1));
  return count ? { shown: text.slice(0, open).trimEnd(), count: count[1]! } : null;
}

function describeSize(options: UnlimitedOptions, text: string): string {
  const alternative = options.allowUnlimited ? ', or Unlimited' : '';
  return (
    `${subject(options)} must be a size such as 10MB, 1.5GB or 512 (bytes), ` +
    `with unit B, KB, MB, GB or TB${alternative} (got ${showValue(text)}).`
  );
}

function toSafeBytes(bytes: bigint, options: UnlimitedOptions, text: string): number {
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) fail(options, `${subject(options)} is too large (got ${showValue(text)}).`);
  return Number(bytes);
}

export function parseSize(text: string, options: UnlimitedOptions = {}): number | 'unlimited' {
  const t = text.trim();
  if (/^unlimited$/i.test(t)) {
    if (options.allowUnlimited) return 'unlimited';
    fail(options, `${subject(options)} cannot be Unlimited; give a size such as 10MB.`);
  }

  const exchange = exchangeSize(t);
  if (exchange) {
    const shown = SIZE.exec(exchange.shown);
    if (!shown || shown[1] === '-') fail(options, describeSize(options, text));
    return toSafeBytes(BigInt(exchange.count.replaceAll(',', '')), options, text);
  }

  const m = SIZE.exec(t);
  if (!m) fail(options, describeSize(options, text));
  if (m[1] === '-') fail(options, `${subject(options)} cannot be negative (got ${showValue(text)}).`);
  // Exact decimal arithmetic: 1.1KB must be rejected, not rounded to 1126 by a float.
  const [whole = '', fraction = ''] = m[2]!.split('.');
  const unit = UNIT_BYTES[(m[3] ?? 'b').toLowerCase() as UnitKey];
  const scale = 10n ** BigInt(fraction.length);
  const scaled = BigInt(`${whole}${fraction}` || '0') * unit;
  if (scaled % scale !== 0n) {
    fail(options, `${subject(options)} must come to a whole number of bytes (got ${showValue(text)}).`);
  }
  return toSafeBytes(scaled / scale, options, text);
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const DISPLAY_UNITS: readonly [string, bigint][] = [
  ['TB', UNIT_BYTES.tb],
  ['GB', UNIT_BYTES.gb],
  ['MB', UNIT_BYTES.mb],
  ['KB', UNIT_BYTES.kb],
];

/**
 * Exchange's form: `10 MB (10,485,760 bytes)`, `1.899 GB (2,039,480,320 bytes)`, `Unlimited`.
 * The figure is truncated to three decimals, never rounded up, so it never overstates a quota.
 */
export function formatSize(bytes: number | 'unlimited'): string {
  if (bytes === 'unlimited') return 'Unlimited';
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`not a byte count: ${bytes}`);
  const exact = BigInt(bytes);
  const [label, unit] = DISPLAY_UNITS.find(([, size]) => exact >= size) ?? ['B', 1n];
  const thousandths = (exact * 1000n) / unit;
  const whole = thousandths / 1000n;
  const fraction = (thousandths % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  const figure = fraction ? `${whole}.${fraction}` : `${whole}`;
  return `${figure} ${label} (${groupThousands(exact.toString())} bytes)`;
}

// ---------------------------------------------------------------------------------------------
// Time spans (Exchange's EnhancedTimeSpan), held as whole seconds

const HOURS_MINUTES_SECONDS = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/;
const DAYS_HOURS_MINUTES_SECONDS = /^(\d+)\.(\d{1,2}):(\d{1,2}):(\d{1,2})$/;

function timeSpanParts(text: string): [number, number, number, number] | undefined {
  const long = DAYS_HOURS_MINUTES_SECONDS.exec(text);
  if (long) return [Number(long[1]), Number(long[2]), Number(long[3]), Number(long[4])];
  const short = HOURS_MINUTES_SECONDS.exec(text);
  if (short) return [0, Number(short[1]), Number(short[2]), Number(short[3] ?? 0)];
  return undefined;
}

/** `hh:mm:ss`, `hh:mm` or `d.hh:mm:ss`; returns seconds. */
export function parseTimeSpan(text: string, options?: ParseOptions): number {
  const parts = timeSpanParts(text.trim());
  if (!parts) {
    fail(
      options,
      `${subject(options)} must be a time span such as 00:30:00 (hh:mm:ss) or 1.00:00:00 ` +
        `(d.hh:mm:ss) (got ${showValue(text)}).`,
    );
  }
  const [days, h, m, s] = parts;
  // .NET's TimeSpan rejects 24:00:00 too: a day is written 1.00:00:00.
  if (h > 23 || m > 59 || s > 59) {
    fail(
      options,
      `${subject(options)} is out of range (got ${showValue(text)}): hours must be 0-23 ` +
        `(write a day as 1.00:00:00), minutes and seconds 0-59.`,
    );
  }
  const total = days * 86400 + h * 3600 + m * 60 + s;
  if (!Number.isSafeInteger(total)) fail(options, `${subject(options)} is too large (got ${showValue(text)}).`);
  return total;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `00:30:00`, or `1.00:00:00` from one day on, as Exchange prints time spans. */
export function formatTimeSpan(seconds: number): string {
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new RangeError(`not a number of seconds: ${seconds}`);
  const days = Math.floor(seconds / 86400);
  const rest = seconds % 86400;
  const clock = `${pad2(Math.floor(rest / 3600))}:${pad2(Math.floor((rest % 3600) / 60))}:${pad2(rest % 60)}`;
  return days > 0 ? `${days}.${clock}` : clock;
}

// ---------------------------------------------------------------------------------------------
// Format-List display

/**
 * One value as Format-List shows it: `True`/`False`, nothing for null, lists as `{a, b}`.
 * 'unlimited' is how this project stores Exchange's Unlimited, so it is shown the Exchange way.
 */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === 'unlimited') return 'Unlimited';
  if (Array.isArray(value)) return `{${value.map(formatValue).join(', ')}}`;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
