// The Date header field (RFC 5322 §3.3, with the obsolete forms of §4.3 that mail still
// carries): `Sun, 25 Mar 2007 01:00:00 +0300`. SEARCH SENTBEFORE/SENTON/SENTSINCE compare the
// date as written there, "disregarding time and timezone" (RFC 3501 §6.4.4), so the parse
// keeps the written calendar day beside the instant.
//
// One linear pass over the value: comments are dropped, the rest is split into words at blanks
// and commas. Nothing here can backtrack, whatever the header holds.

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** RFC 5322 §4.3 obs-zone names; military letters and anything unknown count as -0000. */
const ZONE_NAMES: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0,
  edt: -4 * 60, est: -5 * 60, cdt: -5 * 60, cst: -6 * 60, mdt: -6 * 60, mst: -7 * 60, pdt: -7 * 60, pst: -8 * 60,
};

/** A value longer than this is no date; only its start is looked at. */
const MAX_LENGTH = 256;

export interface MessageDate {
  /** The instant, as epoch milliseconds. */
  time: number;
  /** The zone as written, minutes east of UTC (`-0500` is -300); 0 when absent or unknown. */
  offsetMinutes: number;
  /** The calendar day as written, days since 1970-01-01 (negative before it). */
  day: number;
}

/** The value with comments removed (nested ones too; an unclosed one runs to the end). */
function withoutComments(value: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && depth > 0) i++;
    else if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out;
}

function isDigits(word: string): boolean {
  if (word === '') return false;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function isLetters(word: string): boolean {
  if (word === '') return false;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i) | 0x20;
    if (c < 0x61 || c > 0x7a) return false;
  }
  return true;
}

/** `hh:mm` or `hh:mm:ss` → seconds into the day, or null. A leap second (60) is allowed. */
function timeOfDay(word: string): number | null {
  const parts = word.split(':');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => isDigits(p) && p.length <= 2)) return null;
  const [h, m, s = 0] = parts.map(Number) as [number, number, number?];
  if (h > 23 || m > 59 || s > 60) return null;
  return h * 3600 + m * 60 + s;
}

/** `+hhmm` / `-hhmm` or a zone name → minutes east of UTC, or null when the word is no zone. */
function zone(word: string): number | null {
  const sign = word[0];
  if ((sign === '+' || sign === '-') && word.length === 5 && isDigits(word.slice(1))) {
    const hours = Number(word.slice(1, 3));
    const minutes = Number(word.slice(3));
    if (minutes > 59) return null;
    return (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  if (!isLetters(word)) return null;
  // RFC 5322 §4.3: military zones were defined wrongly in RFC 822 and SHOULD be taken as -0000.
  return ZONE_NAMES[word.toLowerCase()] ?? 0;
}

/** RFC 5322 §4.3 obs-year: two digits are 1950-2049, three digits count from 1900. */
function fullYear(word: string): number | null {
  if (!isDigits(word) || word.length > 4) return null;
  const year = Number(word);
  if (word.length === 2) return year < 50 ? 2000 + year : 1900 + year;
  if (word.length === 3) return 1900 + year;
  return word.length === 4 ? year : null;
}

/**
 * A Date field's value → its instant, written zone and written day; null when it is no date.
 * Tolerated beyond RFC 5322: a day of week without its comma or spelt out, full month names,
 * two- and three-digit years, no seconds, no zone or a malformed one (taken as +0000).
 */
export function parseMessageDate(value: string): MessageDate | null {
  const words = withoutComments(value.slice(0, MAX_LENGTH)).split(/[\s,]+/).filter((w) => w !== '');
  let i = 0;
  if (words[i] !== undefined && isLetters(words[i]!) && DAY_NAMES.includes(words[i]!.slice(0, 3).toLowerCase())) i++;
  const [dayWord, monthWord, yearWord, timeWord, zoneWord] = words.slice(i, i + 5);
  if (dayWord === undefined || monthWord === undefined || yearWord === undefined) return null;
  if (!isDigits(dayWord) || dayWord.length > 2 || !isLetters(monthWord)) return null;
  const month = MONTHS.indexOf(monthWord.slice(0, 3).toLowerCase());
  const year = fullYear(yearWord);
  const dayOfMonth = Number(dayWord);
  if (month < 0 || year === null || dayOfMonth < 1) return null;
  // setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month, dayOfMonth);
  if (date.getUTCDate() !== dayOfMonth) return null; // 31 Feb and the like
  const day = Math.round(date.getTime() / 86_400_000);
  // The time is required, as Dovecot requires it: "25 Mar 2007" alone is no date-time.
  const seconds = timeWord === undefined ? null : timeOfDay(timeWord);
  if (seconds === null) return null;
  const offsetMinutes = zoneWord === undefined ? 0 : zone(zoneWord) ?? 0;
  return { time: date.getTime() + (seconds - offsetMinutes * 60) * 1000, offsetMinutes, day };
}

/** `YYYY-MM-DD` (a SEARCH date as the IMAP parser gives it) → days since 1970-01-01. */
export function dayNumber(isoDay: string): number {
  return Math.round(Date.parse(`${isoDay}T00:00:00Z`) / 86_400_000);
}
