// How log lines look. pino writes one JSON object per line, which is what journald, log
// shippers and `jq` want; a person at a terminal gets one readable line per event instead:
//
//   14:03:07.215 INFO  [backend] Mailroom ready on MAIL01 (mail.contoso.com): imap4 ... server=MAIL01
//
// `pretty` is chosen when standard output is a terminal, `json` otherwise, and
// MAILROOM_LOG_FORMAT=pretty|json forces either (a service manager that gives the process a
// pseudo-terminal, a developer piping into less).
export type LogFormat = 'pretty' | 'json';

export function chooseLogFormat(setting: string | undefined, isTty: boolean): LogFormat {
  if (setting === undefined || setting === '') return isTty ? 'pretty' : 'json';
  if (setting === 'pretty' || setting === 'json') return setting;
  throw new Error(`MAILROOM_LOG_FORMAT must be pretty or json (got '${setting}')`);
}

const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '\x1b[90m' },
  20: { name: 'DEBUG', color: '\x1b[36m' },
  30: { name: 'INFO ', color: '\x1b[32m' },
  40: { name: 'WARN ', color: '\x1b[33m' },
  50: { name: 'ERROR', color: '\x1b[31m' },
  60: { name: 'FATAL', color: '\x1b[35m' },
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';

/** Fields every line has, shown in their own places (or not at all: pid and host are noise). */
const PLACED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'role', 'err']);

/** A value as `key=value`; text with spaces, quotes or = is quoted as JSON, so it reads back. */
function showValue(value: unknown): string {
  if (typeof value === 'string') return value !== '' && !/[\s"=\\\p{Cc}]/u.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** Control characters (a client's bytes can end up in a message) must not drive the terminal. */
function printable(text: string, keepNewlines = false): string {
  return text.replace(/\p{Cc}/gu, (c) => (keepNewlines && c === '\n' ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/**
 * One pino JSON line as a line for a person: time (UTC, as the JSON has it), level, the role of
 * the process, the message, the other fields as key=value, and an error's stack indented below.
 * A line that is not pino's JSON is passed through (its control characters escaped).
 */
export function prettyLogLine(json: string, color: boolean): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return `${printable(json)}\n`;
    entry = parsed as Record<string, unknown>;
  } catch {
    return `${printable(json)}\n`;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '--:--:--.---';
  const level = LEVELS[Number(entry.level)] ?? { name: printable(String(entry.level)).toUpperCase().padEnd(5).slice(0, 5), color: '' };
  const paint = (text: string, code: string) => (color && code ? `${code}${text}${RESET}` : text);
  const parts = [paint(time, DIM), paint(level.name, level.color)];
  if (typeof entry.role === 'string') parts.push(`[${printable(entry.role)}]`);
  if (entry.msg !== undefined) parts.push(printable(String(entry.msg)));
  const fields = Object.entries(entry).filter(([key]) => !PLACED.has(key)).map(([key, value]) => `${paint(printable(key), DIM)}=${printable(showValue(value))}`);
  let line = [...parts, ...fields].join(' ');
  const err = entry.err as { message?: unknown; stack?: unknown; type?: unknown } | undefined;
  if (err && typeof err === 'object') {
    const stack = typeof err.stack === 'string' ? err.stack : `${String(err.type ?? 'Error')}: ${String(err.message ?? '')}`;
    line += `\n    ${printable(stack, true).split('\n').join('\n    ')}`;
  }
  return `${line}\n`;
}
