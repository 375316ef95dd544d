// mbox (RFC 4155; Dovecot's, mutt's and Thunderbird's files): messages separated by `From `
// lines, with the flags Dovecot and other readers keep in Status, X-Status, X-Keywords, X-UID
// and X-IMAPbase. Pure: the scanner is fed the file's bytes in chunks (files can be gigabytes;
// it keeps one separator line and one header block at most) and gives each message's span;
// mboxMessage turns one span's bytes into the message as an IMAP server would serve it.
import { toCrlf } from './line-endings.ts';

/** Longest `From ` line and header block kept while scanning; longer ones are cut there. */
const MAX_SEPARATOR = 1024;
const MAX_HEAD = 64 * 1024;

export interface MboxSpan {
  /** 1-based line number of the separator (0 for text before the first separator). */
  line: number;
  /** The separator line without its line end ('' for text before the first one). */
  separator: string;
  /** Byte offsets in the file of the message (after the separator line; the blank line before the next separator excluded). */
  start: number;
  end: number;
  /** The message's header block (up to MAX_HEAD bytes), for flags and UIDs without reading the rest. */
  head: Buffer;
}

const FROM = Buffer.from('From ');

/**
 * Finds messages: a line starting `From ` at the start of the file or after an empty line begins
 * one (RFC 4155 §2; writers put an empty line between messages). A `From ` line elsewhere is
 * body text, as escaping was supposed to make it (">From ").
 */
export class MboxScanner {
  private offset = 0;
  private lineNo = 0;
  private lineStart = 0;
  /** The current line's first bytes (enough to tell a separator and keep it). */
  private lineHead: number[] = [];
  private previousBlank = true;
  private current: { line: number; separator: string; start: number; headParts: Buffer[]; headBytes: number; inHead: boolean } | null = null;
  /** Where the current message's content ends if the next line is a separator: before its blank line. */
  private lastContentEnd = 0;
  private blankStart = -1;
  private readonly done: MboxSpan[] = [];
  private leading: { end: number; nonBlank: boolean } = { end: 0, nonBlank: false };

  /** Feeds the next bytes; returns the messages that ended in them. */
  push(chunk: Buffer): MboxSpan[] {
    let i = 0;
    while (i < chunk.length) {
      const lf = chunk.indexOf(0x0a, i);
      const stop = lf < 0 ? chunk.length : lf + 1;
      const piece = chunk.subarray(i, stop);
      if (this.lineHead.length < MAX_SEPARATOR) for (const b of piece.subarray(0, MAX_SEPARATOR - this.lineHead.length)) this.lineHead.push(b);
      if (this.current?.inHead && this.current.headBytes < MAX_HEAD) {
        const part = piece.subarray(0, MAX_HEAD - this.current.headBytes);
        this.current.headParts.push(Buffer.from(part));
        this.current.headBytes += part.length;
      }
      this.offset += piece.length;
      i = stop;
      if (lf >= 0) this.endLine();
    }
    return this.done.splice(0);
  }

  /** The end of the file: the last message, if any. */
  finish(): MboxSpan[] {
    if (this.offset > this.lineStart) this.endLine();
    this.close(this.previousBlank && this.blankStart >= 0 ? this.blankStart : this.offset);
    return this.done.splice(0);
  }

  /** Bytes before the first separator, if any were not blank: a damaged or non-mbox file. */
  leadingGarbage(): { end: number } | null {
    return this.leading.nonBlank ? { end: this.leading.end } : null;
  }

  private endLine(): void {
    this.lineNo++;
    const head = Buffer.from(this.lineHead);
    let content = head;
    if (content.at(-1) === 0x0a) content = content.subarray(0, -1);
    if (content.at(-1) === 0x0d) content = content.subarray(0, -1);
    const isSeparator = this.previousBlank && head.length >= 5 && head.subarray(0, 5).equals(FROM);
    if (isSeparator) {
      this.close(this.blankStart >= 0 ? this.blankStart : this.lineStart);
      this.current = { line: this.lineNo, separator: content.toString('latin1'), start: this.offset, headParts: [], headBytes: 0, inHead: true };
      this.previousBlank = false;
      this.blankStart = -1;
    } else {
      const blank = content.length === 0 && this.offset - this.lineStart <= 2;
      if (!this.current && !blank) this.leading.nonBlank = true;
      if (!this.current) this.leading.end = this.offset;
      if (blank) {
        if (this.current?.inHead) this.current.inHead = false;
        if (!this.previousBlank) this.blankStart = this.lineStart;
        else if (this.blankStart < 0) this.blankStart = this.lineStart;
        // Only the one empty line just before a separator belongs to the mbox, not the message.
        this.blankStart = this.lineStart;
      } else this.blankStart = -1;
      this.previousBlank = blank;
    }
    this.lineStart = this.offset;
    this.lineHead = [];
  }

  private close(end: number): void {
    const c = this.current;
    if (!c) return;
    this.done.push({ line: c.line, separator: c.separator, start: c.start, end: Math.max(c.start, end), head: Buffer.concat(c.headParts) });
    this.current = null;
  }
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function digitsOnly(s: string): boolean {
  if (s.length === 0) return false;
  for (const c of s) if (c < '0' || c > '9') return false;
  return true;
}

/**
 * `From sender Wed Dec  2 10:00:00 2020` (asctime, optionally with a numeric zone before or
 * after the year). Returns the sender and the date (UTC when no zone is given: the writer's
 * local time is unknown), or null when the line is not a valid separator.
 */
export function parseSeparator(line: string): { sender: string; date: Date } | null {
  if (!line.startsWith('From ')) return null;
  const words = line.slice(5).split(' ').filter((w) => w.length > 0);
  if (words.length < 5) return null;
  const sender = words[0]!;
  let rest = words.slice(1);
  // Find "Mmm dd hh:mm:ss" after an optional weekday.
  if (rest.length > 0 && !MONTHS.includes(rest[0]!.slice(0, 3).toLowerCase())) rest = rest.slice(1);
  const [mon, day, time, ...tail] = rest;
  if (!mon || !day || !time) return null;
  const month = MONTHS.indexOf(mon.slice(0, 3).toLowerCase());
  if (month < 0 || mon.length !== 3 || !digitsOnly(day)) return null;
  const hms = time.split(':');
  if (hms.length < 2 || hms.length > 3 || !hms.every(digitsOnly)) return null;
  let year: number | undefined;
  let zoneMinutes = 0;
  for (const t of tail) {
    if (digitsOnly(t) && t.length === 4) year = Number(t);
    else if ((t[0] === '+' || t[0] === '-') && t.length === 5 && digitsOnly(t.slice(1))) {
      zoneMinutes = (t[0] === '-' ? -1 : 1) * (Number(t.slice(1, 3)) * 60 + Number(t.slice(3)));
    }
  }
  if (year === undefined) return null;
  const [h, m, s] = hms.map(Number) as [number, number, number | undefined];
  if (Number(day) < 1 || Number(day) > 31 || h > 23 || m > 59 || (s ?? 0) > 60) return null;
  const date = new Date(Date.UTC(year, month, Number(day), h, m, s ?? 0) - zoneMinutes * 60_000);
  return Number.isNaN(date.getTime()) ? null : { sender, date };
}

/** The `From ` line for a message (for writing mbox files). */
export function formatSeparator(sender: string, date: Date): string {
  const d = date.toUTCString().split(' '); // "Wed, 02 Dec 2020 10:00:00 GMT"
  const weekday = d[0]!.slice(0, 3);
  const day = String(date.getUTCDate()).padStart(2, ' ');
  return `From ${sender || 'MAILER-DAEMON'} ${weekday} ${d[2]} ${day} ${d[4]} ${date.getUTCFullYear()}`;
}

export type MboxVariant = 'mboxrd' | 'mboxo';

/** Whether a line (without its line end) is `>*From ` with at least `minQuotes` '>'. */
function quotedFromDepth(line: Buffer, start: number, end: number): number {
  let i = start;
  while (i < end && line[i] === 0x3e) i++;
  if (end - i >= 5 && line.subarray(i, i + 5).equals(FROM)) return i - start;
  return -1;
}

/**
 * Undoes From-escaping line by line. mboxrd: every `>+From ` line loses one '>' (so the round
 * trip is exact). mboxo: only `>From ` does (mboxo cannot tell an escaped line from a quoted one).
 */
export function unescapeFrom(body: Buffer, variant: MboxVariant): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  let copyFrom = 0;
  while (start < body.length) {
    const lf = body.indexOf(0x0a, start);
    const end = lf < 0 ? body.length : lf;
    const depth = quotedFromDepth(body, start, end);
    if (depth >= 1 && (variant === 'mboxrd' || depth === 1)) {
      parts.push(body.subarray(copyFrom, start));
      copyFrom = start + 1;
    }
    start = end + 1;
  }
  if (parts.length === 0) return body;
  parts.push(body.subarray(copyFrom));
  return Buffer.concat(parts);
}

/** mboxrd escaping: every `>*From ` line gains one '>'. */
export function escapeFrom(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  let copyFrom = 0;
  while (start < body.length) {
    const lf = body.indexOf(0x0a, start);
    const end = lf < 0 ? body.length : lf;
    if (quotedFromDepth(body, start, end) >= 0) {
      parts.push(body.subarray(copyFrom, start), Buffer.from('>'));
      copyFrom = start;
    }
    start = end + 1;
  }
  if (parts.length === 0) return body;
  parts.push(body.subarray(copyFrom));
  return Buffer.concat(parts);
}

/** Fields mbox readers keep their state in; Dovecot does not serve them as part of the message. */
const STATE_FIELDS = new Set(['status', 'x-status', 'x-keywords', 'x-uid', 'x-imapbase', 'x-imap']);

export interface MboxState {
  flags: string[];
  uid?: number;
  /** X-IMAPbase (first message of a folder): UIDVALIDITY, UIDNEXT and the folder's keywords. */
  imapBase?: { uidValidity: number; uidNext: number };
  /** The folder's internal-data message (X-IMAP), which is not mail. */
  pseudo: boolean;
}

interface HeaderLine {
  name: string;
  value: string;
  start: number;
  end: number;
}

/** The header block's fields with their byte spans (continuation lines included). */
function headerLines(head: Buffer): HeaderLine[] {
  const out: HeaderLine[] = [];
  let start = 0;
  while (start < head.length) {
    const lf = head.indexOf(0x0a, start);
    const end = lf < 0 ? head.length : lf + 1;
    const line = head.subarray(start, end);
    const text = line.toString('utf8').replace('\r', '').replace('\n', '');
    if (text.length === 0) break;
    const last = out.at(-1);
    if ((text[0] === ' ' || text[0] === '\t') && last) {
      last.value += text;
      last.end = end;
    } else {
      const colon = text.indexOf(':');
      out.push({ name: colon > 0 ? text.slice(0, colon).trim().toLowerCase() : '', value: colon > 0 ? text.slice(colon + 1).trim() : '', start, end });
    }
    start = end;
  }
  return out;
}

function uid32(text: string): number | undefined {
  return digitsOnly(text) && text.length <= 10 && Number(text) >= 1 && Number(text) <= 0xffffffff ? Number(text) : undefined;
}

/** Flags, UID and folder UIDs from a message's header block (Status: RO, X-Status: AFT, X-Keywords, X-UID, X-IMAPbase). */
export function mboxState(head: Buffer): MboxState {
  const state: MboxState = { flags: [], pseudo: false };
  for (const h of headerLines(head)) {
    if (h.name === 'status') {
      if (h.value.includes('R')) state.flags.push('\\Seen');
    } else if (h.name === 'x-status') {
      for (const [letter, flag] of [['A', '\\Answered'], ['F', '\\Flagged'], ['T', '\\Draft'], ['D', '\\Deleted']] as const) {
        if (h.value.includes(letter)) state.flags.push(flag);
      }
    } else if (h.name === 'x-keywords') {
      for (const k of h.value.split(/[\s,]+/)) if (k.length > 0 && !state.flags.includes(k)) state.flags.push(k);
    } else if (h.name === 'x-uid') {
      const uid = uid32(h.value);
      if (uid !== undefined) state.uid = uid;
    } else if (h.name === 'x-imapbase' || h.name === 'x-imap') {
      const [v, n] = h.value.split(/\s+/);
      const uidValidity = uid32(v ?? '');
      const uidNext = uid32(n ?? '');
      if (uidValidity !== undefined && uidNext !== undefined) state.imapBase = { uidValidity, uidNext };
      if (h.name === 'x-imap') state.pseudo = true;
    }
  }
  return state;
}

/**
 * One message's bytes as stored: From-unescaped, without the mbox state fields (Dovecot hides
 * them too) and with CRLF line ends, as an IMAP server serves the message.
 */
export function mboxMessage(span: Buffer, variant: MboxVariant): Buffer {
  const unescaped = unescapeFrom(span, variant);
  const lines = headerLines(unescaped);
  const parts: Buffer[] = [];
  let copyFrom = 0;
  for (const h of lines) {
    if (!STATE_FIELDS.has(h.name)) continue;
    parts.push(unescaped.subarray(copyFrom, h.start));
    copyFrom = h.end;
  }
  parts.push(unescaped.subarray(copyFrom));
  return toCrlf(parts.length === 1 ? unescaped : Buffer.concat(parts));
}
