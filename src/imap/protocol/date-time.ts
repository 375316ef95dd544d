// IMAP dates: `date` in SEARCH (RFC 3501 §9: "1-Feb-1994") and `date-time` in APPEND and
// INTERNALDATE (RFC 3501 §9: "17-Jul-1996 02:44:25 -0700").

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const MONTH_INDEX = new Map<string, number>(MONTHS.map((m, i) => [m.toUpperCase(), i]));

/** An instant with the zone the client wrote it in (kept so INTERNALDATE can echo it). */
export interface ImapDateTime {
  date: Date;
  /** Offset east of UTC in minutes: `-0700` is -420. */
  offsetMinutes: number;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Day, month (0-11) and year of "d-Mon-yyyy", or null when it is no calendar date. */
function readDate(day: string, month: string, year: string): [number, number, number] | null {
  const m = MONTH_INDEX.get(month.toUpperCase());
  const d = Number(day);
  const y = Number(year);
  if (m === undefined || d < 1 || d > daysInMonth(y, m)) return null;
  return [d, m, y];
}

/**
 * A SEARCH date (`1-Feb-1994`, day of one or two digits, month in any case) → `1994-02-01`,
 * or null. The surrounding quotes of the quoted form are the tokenizer's business.
 */
export function parseSearchDate(text: string): string | null {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  if (m === null) return null;
  const parts = readDate(m[1]!, m[2]!, m[3]!);
  if (parts === null) return null;
  const [d, month, y] = parts;
  return `${pad(y, 4)}-${pad(month + 1)}-${pad(d)}`;
}

/**
 * An APPEND date-time (`17-Jul-1996 02:44:25 -0700`; the day may be " 7", "07" or "7") → the
 * instant and its zone, or null. Surrounding double quotes are accepted too.
 */
export function parseDateTime(text: string): ImapDateTime | null {
  const m = /^"?( ?\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})"?$/.exec(text);
  if (m === null || text.startsWith('"') !== text.endsWith('"') || text === '"') return null;
  const parts = readDate(m[1]!.trim(), m[2]!, m[3]!);
  const [hh, mm, ss, zh, zm] = [m[4], m[5], m[6], m[8], m[9]].map(Number) as [number, number, number, number, number];
  // A leap second (60) is accepted and counted as the next second, as Date.UTC does.
  if (parts === null || hh > 23 || mm > 59 || ss > 60 || zh > 23 || zm > 59) return null;
  const [d, month, y] = parts;
  const offsetMinutes = (m[7] === '-' ? -1 : 1) * (zh * 60 + zm);
  // setUTCFullYear rather than Date.UTC, which would read years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(y, month, d);
  date.setUTCHours(hh, mm - offsetMinutes, ss);
  return { date, offsetMinutes };
}

/**
 * INTERNALDATE's date-time, quotes included: `"02-Nov-2026 10:00:00 +0000"`. The zone is the
 * one given (default UTC), e.g. the offset the message was appended with.
 */
export function formatDateTime(date: Date, offsetMinutes = 0): string {
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const zone = `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
  const day = `${pad(local.getUTCDate())}-${MONTHS[local.getUTCMonth()]}-${pad(local.getUTCFullYear(), 4)}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  return `"${day} ${time} ${zone}"`;
}
