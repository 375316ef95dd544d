// Response building blocks (RFC 3501 §7, RFC 9051 §7): strings in the right form, lists,
// untagged and tagged lines, response codes, and the labels of FETCH items.
//
// Everything is text except message data: helpers return strings, and a Buffer only where
// bytes that are not text go out (literal()); list() and the line builders accept both and
// return a Buffer only when one was given. Callers write the result as it is.

import type { FetchItem } from './parser/fetch.ts';
import { compressNumbers } from './sequence-set.ts';
import { mailboxNameToWire } from './utf7.ts';
export { formatDateTime, parseDateTime, type ImapDateTime } from './date-time.ts';

export type Wire = string | Buffer;
export type Status = 'OK' | 'NO' | 'BAD';
export type UntaggedStatus = Status | 'BYE' | 'PREAUTH';

export const CRLF = '\r\n';

/** Quoted strings longer than this go out as literals: quoted strings are meant to be short. */
export const MAX_QUOTED_LENGTH = 1024;

export interface StringOptions {
  /** UTF8=ACCEPT is enabled (or IMAP4rev2): UTF-8 may go inside quoted strings (RFC 6855 §3). */
  utf8?: boolean;
  /** A bare atom may be used when the text is one (astring positions: names, not `string`s). */
  atom?: boolean;
}

// ATOM-CHAR (RFC 3501 §9): printable ASCII except atom-specials ( ) { SP % * " \ ].
const ATOM = /^[^\x00-\x20\x7f-\uffff(){%*"\\\]]+$/;

/** True when `s` can be sent as a bare atom (and would not read as NIL). */
export function isAtom(s: string): boolean {
  return ATOM.test(s) && s.toUpperCase() !== 'NIL';
}

/** A quoted string. Throws RangeError for CR, LF or NUL, which no quoted string can carry. */
export function quoted(s: string): string {
  if (/[\r\n\0]/.test(s)) throw new RangeError('CR, LF and NUL cannot be quoted');
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

/** A literal `{n}\r\n` + bytes, or a literal8 `~{n}\r\n` + bytes (RFC 3516 §4.3). */
export function literal(data: Buffer | string, options: { binary?: boolean } = {}): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([Buffer.from(`${options.binary ? '~' : ''}{${bytes.length}}\r\n`, 'latin1'), bytes]);
}

function needsLiteral(s: string, utf8: boolean): boolean {
  if (s.length > MAX_QUOTED_LENGTH) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0d || c === 0x0a) return true;
    if (c >= 0x80 && !utf8) return true;
  }
  return false;
}

/**
 * A string in the best form: an atom when allowed and possible, a quoted string when it fits
 * (7-bit, or UTF-8 in UTF-8 mode; no CR/LF; not too long), a literal otherwise. The literal
 * is returned as text (`{n}` counts UTF-8 bytes). NUL can go in no form and is dropped.
 */
export function imapString(s: string, options: StringOptions = {}): string {
  const text = s.includes('\0') ? s.replace(/\0/g, '') : s;
  if (options.atom && isAtom(text)) return text;
  if (needsLiteral(text, options.utf8 === true)) return `{${Buffer.byteLength(text, 'utf8')}}\r\n${text}`;
  return quoted(text);
}

/** astring: atom, quoted or literal. */
export function astring(s: string, options: { utf8?: boolean } = {}): string {
  return imapString(s, { ...options, atom: true });
}

/** nstring: NIL for null, otherwise quoted or literal. */
export function nstring(s: string | null, options: { utf8?: boolean } = {}): string {
  return s === null ? 'NIL' : imapString(s, { utf8: options.utf8 });
}

/** A Unicode mailbox name in the client's mode: mUTF-7 or UTF-8, atom when possible. */
export function mailboxName(name: string, options: { utf8?: boolean } = {}): string {
  return astring(mailboxNameToWire(name, options.utf8 === true), options);
}

/** Joins pieces with a separator, as text unless a piece is a Buffer. */
export function join(parts: readonly string[], separator?: string): string;
export function join(parts: readonly Wire[], separator?: string): Wire;
export function join(parts: readonly Wire[], separator = ' '): Wire {
  if (parts.every((p): p is string => typeof p === 'string')) return parts.join(separator);
  const chunks: Buffer[] = [];
  parts.forEach((p, i) => {
    if (i > 0) chunks.push(Buffer.from(separator, 'latin1'));
    chunks.push(typeof p === 'string' ? Buffer.from(p, 'utf8') : p);
  });
  return Buffer.concat(chunks);
}

/** "(" items ")"; `()` when empty. */
export function list(items: readonly string[]): string;
export function list(items: readonly Wire[]): Wire;
export function list(items: readonly Wire[]): Wire {
  return join(['(', join(items), ')'], '');
}

/** A flag list: `(\Seen $Forwarded)`. */
export function flagList(flags: readonly string[]): string {
  return `(${flags.join(' ')})`;
}

/** An untagged line: `* ` + parts joined by spaces + CRLF. */
export function untagged(...parts: string[]): string;
export function untagged(...parts: Wire[]): Wire;
export function untagged(...parts: Wire[]): Wire {
  return join(['* ', join(parts), CRLF], '');
}

function statusText(status: string, code: string | null | undefined, text: string): string {
  return code ? `${status} [${code}] ${text}` : `${status} ${text}`;
}

/** An untagged status response: `* OK [UIDNEXT 5] Predicted next UID` (RFC 3501 §7.1). */
export function untaggedStatus(status: UntaggedStatus, code: string | null, text: string): string {
  return `* ${statusText(status, code, text)}${CRLF}`;
}

/** The tagged completion: `A1 OK [READ-WRITE] SELECT completed.` */
export function tagged(tag: string, status: Status, text: string): string;
export function tagged(tag: string, status: Status, code: string | null | undefined, text: string): string;
export function tagged(tag: string, status: Status, codeOrText: string | null | undefined, text?: string): string {
  const [code, message] = text === undefined ? [null, codeOrText ?? ''] : [codeOrText, text];
  return `${tag} ${statusText(status, code, message)}${CRLF}`;
}

/** A continuation request: `+ Ready for literal data` or a base64 SASL challenge. */
export function continuation(text = 'Ready'): string {
  return `+ ${text}${CRLF}`;
}

/** A section's label in a FETCH response: `BODY[HEADER.FIELDS (FROM TO)]<0>` (RFC 3501 §7.4.2). */
export function fetchItemLabel(item: FetchItem): string {
  switch (item.kind) {
    case 'attribute':
      return item.name;
    case 'body': {
      const { path, text, fields } = item.section;
      const names: Record<string, string> = { header: 'HEADER', fields: 'HEADER.FIELDS', 'fields-not': 'HEADER.FIELDS.NOT', text: 'TEXT', mime: 'MIME' };
      const spec = [path.join('.'), text === null ? '' : names[text]!].filter((s) => s !== '').join('.');
      const list = fields.length > 0 ? ` (${fields.map((f) => astring(f)).join(' ')})` : '';
      // RFC 3501 §7.4.2: the response gives only the origin octet of a partial fetch.
      return `BODY[${spec}${list}]${item.partial ? `<${item.partial.offset}>` : ''}`;
    }
    case 'binary':
      return `BINARY[${item.part.join('.')}]${item.partial ? `<${item.partial.offset}>` : ''}`;
    case 'binary-size':
      return `BINARY.SIZE[${item.part.join('.')}]`;
  }
}

/** What an ESEARCH response reports (RFC 4731 §3.1); absent items are left out. */
export interface EsearchResult {
  min?: number;
  max?: number;
  count?: number;
  /** The matching numbers, as a set string or a list to compress. */
  all?: string | readonly number[];
  /** The highest MODSEQ of the matches (RFC 7162 §3.1.5). */
  modseq?: number;
}

/** `* ESEARCH (TAG "A1") UID MIN 2 COUNT 3 ALL 2:4` (RFC 4731 §3.1). */
export function esearch(tag: string | null, uid: boolean, result: EsearchResult): string {
  const parts = ['ESEARCH'];
  if (tag !== null) parts.push(`(TAG ${quoted(tag)})`);
  if (uid) parts.push('UID');
  if (result.min !== undefined) parts.push(`MIN ${result.min}`);
  if (result.max !== undefined) parts.push(`MAX ${result.max}`);
  if (result.count !== undefined) parts.push(`COUNT ${result.count}`);
  const all = typeof result.all === 'string' ? result.all : result.all && compressNumbers(result.all);
  if (all) parts.push(`ALL ${all}`);
  if (result.modseq !== undefined) parts.push(`MODSEQ ${result.modseq}`);
  return untagged(parts.join(' '));
}

/** `* VANISHED (EARLIER) 41,43:116` (RFC 7162 §3.2.10). */
export function vanished(uids: string | readonly number[], earlier: boolean): string {
  const set = typeof uids === 'string' ? uids : compressNumbers(uids);
  return untagged(earlier ? `VANISHED (EARLIER) ${set}` : `VANISHED ${set}`);
}

function setText(set: string | readonly number[]): string {
  return typeof set === 'string' ? set : compressNumbers(set);
}

/**
 * A set whose order matters (COPYUID, RFC 4315 §3: the n-th source UID became the n-th
 * destination UID; ESORT's ALL, RFC 5267 §3.1: the sort order): runs are compressed, but the
 * numbers are never sorted.
 */
export function orderedSet(set: string | readonly number[]): string {
  if (typeof set === 'string') return set;
  const parts: string[] = [];
  let i = 0;
  while (i < set.length) {
    let j = i;
    while (j + 1 < set.length && set[j + 1] === set[j]! + 1) j++;
    parts.push(i === j ? String(set[i]) : `${set[i]}:${set[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Response codes (RFC 3501 §7.1, RFC 5530 and the extensions), without the brackets. */
export const codes = {
  alert: () => 'ALERT',
  alreadyExists: () => 'ALREADYEXISTS',
  appendUid: (uidValidity: number, uids: string | readonly number[]) => `APPENDUID ${uidValidity} ${setText(uids)}`,
  authenticationFailed: () => 'AUTHENTICATIONFAILED',
  authorizationFailed: () => 'AUTHORIZATIONFAILED',
  badCharset: (charsets: readonly string[]) => (charsets.length > 0 ? `BADCHARSET (${charsets.map((c) => astring(c)).join(' ')})` : 'BADCHARSET'),
  cannot: () => 'CANNOT',
  capability: (capabilities: readonly string[]) => `CAPABILITY ${capabilities.join(' ')}`,
  clientBug: () => 'CLIENTBUG',
  closed: () => 'CLOSED',
  compressionActive: () => 'COMPRESSIONACTIVE',
  contactAdmin: () => 'CONTACTADMIN',
  /** Source and destination UIDs pair up in order, so lists are written in the order given. */
  copyUid: (uidValidity: number, source: string | readonly number[], destination: string | readonly number[]) =>
    `COPYUID ${uidValidity} ${orderedSet(source)} ${orderedSet(destination)}`,
  corruption: () => 'CORRUPTION',
  expired: () => 'EXPIRED',
  expungeIssued: () => 'EXPUNGEISSUED',
  hasChildren: () => 'HASCHILDREN',
  highestModSeq: (modseq: number) => `HIGHESTMODSEQ ${modseq}`,
  inUse: () => 'INUSE',
  limit: () => 'LIMIT',
  mailboxId: (id: string) => `MAILBOXID (${id})`,
  modified: (set: string | readonly number[]) => `MODIFIED ${setText(set)}`,
  noModSeq: () => 'NOMODSEQ',
  nonExistent: () => 'NONEXISTENT',
  noPerm: () => 'NOPERM',
  notSaved: () => 'NOTSAVED',
  overQuota: () => 'OVERQUOTA',
  parse: () => 'PARSE',
  permanentFlags: (flags: readonly string[]) => `PERMANENTFLAGS ${flagList(flags)}`,
  privacyRequired: () => 'PRIVACYREQUIRED',
  readOnly: () => 'READ-ONLY',
  readWrite: () => 'READ-WRITE',
  serverBug: () => 'SERVERBUG',
  tooBig: () => 'TOOBIG',
  tryCreate: () => 'TRYCREATE',
  uidNext: (uid: number) => `UIDNEXT ${uid}`,
  uidNotSticky: () => 'UIDNOTSTICKY',
  uidValidity: (uidValidity: number) => `UIDVALIDITY ${uidValidity}`,
  unavailable: () => 'UNAVAILABLE',
  unknownCte: () => 'UNKNOWN-CTE',
  unseen: (seq: number) => `UNSEEN ${seq}`,
} as const;

/**
 * `<head> n n …<tail>` and CRLF as bytes (`* SEARCH 1 2 3`, `* SORT …`), the digits written
 * straight from the numbers: 100,000 numbers as strings and their join would be about 6 MB of
 * garbage for one response. `head` and `tail` are ASCII.
 */
export function numberListLine(head: string, numbers: ArrayLike<number>, tail = ''): Buffer {
  // Sized exactly (a space and the digits of each number): SORT of 100,000 UIDs is 0.6 MB, not
  // the 1.1 MB of room for ten digits each.
  let length = head.length + tail.length + 2;
  for (let k = 0; k < numbers.length; k++) length += 1 + digitCount(numbers[k]!);
  const out = Buffer.allocUnsafe(length);
  let at = out.write(head, 0, 'latin1');
  for (let k = 0; k < numbers.length; k++) {
    const n = numbers[k]!;
    out[at++] = 0x20;
    const digits = digitCount(n);
    writeDigits(out, at, n, digits);
    at += digits;
  }
  at += out.write(tail, at, 'latin1');
  out[at++] = 0x0d;
  out[at++] = 0x0a;
  return out.subarray(0, at);
}

/**
 * Response lines built as bytes in one buffer, for answers of a line per message (FETCH 1:*
 * (UID FLAGS) of 100,000 messages): numbers written as digits and fixed pieces copied, where
 * strings would make each line from several intermediate strings for the collector.
 */
/** 10^0 … 10^15, for the digit count of a number. */
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, i) => 10 ** i);

/** Writes the `digits` decimal digits of non-negative integer `n` at `at`. */
function writeDigits(out: Uint8Array, at: number, n: number, digits: number): void {
  if (n < 0x80000000) {
    // Sequence numbers and UIDs below 2^31: 32-bit integer arithmetic.
    for (let i = at + digits - 1, rest = n | 0; i >= at; i--) {
      const next = (rest / 10) | 0;
      out[i] = 0x30 + rest - next * 10;
      rest = next;
    }
    return;
  }
  for (let i = at + digits - 1; i >= at; i--) {
    out[i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
}

/** Decimal digits of a non-negative integer. */
function digitCount(n: number): number {
  let digits = 1;
  while (digits < POWERS_OF_TEN.length && n >= POWERS_OF_TEN[digits]!) digits++;
  if (digits === POWERS_OF_TEN.length) for (let rest = n / 1e15; rest >= 10; rest /= 10) digits++;
  return digits;
}

const NO_BYTES = Buffer.alloc(0);

export class ByteLines {
  private buf: Buffer;
  private at = 0;

  /** Nothing is allocated until the first line: most FETCHes never write one this way. */
  constructor(private readonly capacity = 64 * 1024) {
    this.buf = NO_BYTES;
  }

  get length(): number {
    return this.at;
  }

  /** Copies `bytes` (a fixed piece made once with Buffer.from, or a cached flag list). */
  bytes(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    if (bytes.length <= 32) for (let i = 0; i < bytes.length; i++) this.buf[this.at++] = bytes[i]!;
    else {
      this.buf.set(bytes, this.at);
      this.at += bytes.length;
    }
    return this;
  }

  /** A non-negative integer in decimal. */
  number(n: number): this {
    const digits = digitCount(n);
    this.ensure(digits);
    writeDigits(this.buf, this.at, n, digits);
    this.at += digits;
    return this;
  }

  /** The bytes so far; the next lines go to a new buffer (the socket may still hold this one), made when they come. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.at);
    this.buf = NO_BYTES;
    this.at = 0;
    return out;
  }

  private ensure(more: number): void {
    if (this.at + more <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.capacity, this.buf.length * 2, this.at + more));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
}
