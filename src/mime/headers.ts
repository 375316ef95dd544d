// Header parsing: fields, unfolding, MIME parameters (RFC 2045 §5.1, RFC 2231), encoded words
// (RFC 2047) and address lists (RFC 5322 §3.4, with the obsolete syntax of §4.4 tolerated).
//
// Header values are handled as "binary strings" (one char per byte, what latin1 decoding
// gives) until the moment they are shown or compared, so that 8-bit bytes and boundary
// parameters survive exactly; decodeHeaderBinary turns them into text.
import libmime from 'libmime';
import { decodeCharset, decodeHeaderBinary } from './charset.ts';

// ---------------------------------------------------------------------------------------
// Fields

/** One header field, located by byte offsets in the raw message. */
export interface HeaderField {
  /** Field name as written (trailing blanks removed); '' for a line that is not a field. */
  name: string;
  /** Offset of the field's first byte. */
  start: number;
  /** Offset just after the colon (equal to end for a line without one). */
  valueStart: number;
  /** Offset after the field's last line terminator (continuation lines included). */
  end: number;
}

const SP = 0x20;
const HT = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;

/**
 * Accumulates header fields line by line; the scanner feeds it so that header parsing and
 * boundary detection share one pass over the bytes.
 */
export class FieldCollector {
  readonly fields: HeaderField[] = [];

  /** lineStart..lineEnd spans one line including its terminator. */
  addLine(raw: Buffer, lineStart: number, lineEnd: number): void {
    const first = raw[lineStart];
    const last = this.fields[this.fields.length - 1];
    // RFC 5322 §2.2.3: a line starting with whitespace continues the previous field.
    if ((first === SP || first === HT) && last !== undefined) {
      last.end = lineEnd;
      return;
    }
    // Search this line only: a long run of colon-less lines must not rescan the message.
    const at = raw.subarray(lineStart, lineEnd).indexOf(COLON);
    const colon = at < 0 ? -1 : lineStart + at;
    if (colon < 0) {
      // Not a field (an mbox "From " line, junk): kept so that header slices stay whole.
      this.fields.push({ name: '', start: lineStart, valueStart: lineEnd, end: lineEnd });
      return;
    }
    let nameEnd = colon;
    // RFC 5322 §4.5 (obsolete syntax) allows blanks between the name and the colon.
    while (nameEnd > lineStart && (raw[nameEnd - 1] === SP || raw[nameEnd - 1] === HT)) nameEnd--;
    const name = raw.toString('latin1', lineStart, nameEnd);
    const valid = name.length > 0 && !/[\x00-\x20\x7f]/.test(name);
    this.fields.push({ name: valid ? name : '', start: lineStart, valueStart: colon + 1, end: lineEnd });
  }
}

/** True when raw[lineStart, lineEnd) is an empty line: CRLF or a bare LF. */
export function isBlankLine(raw: Buffer, lineStart: number, lineEnd: number): boolean {
  const n = lineEnd - lineStart;
  return (n === 1 && raw[lineStart] === LF) || (n === 2 && raw[lineStart] === CR && raw[lineStart + 1] === LF);
}

/** Splits a header block (no boundary handling) into fields; stops at the blank line. */
export function parseHeaderFields(raw: Buffer, start = 0, end = raw.length): HeaderField[] {
  const collector = new FieldCollector();
  let pos = start;
  while (pos < end) {
    const lf = raw.indexOf(LF, pos);
    const lineEnd = lf < 0 || lf >= end ? end : lf + 1;
    if (isBlankLine(raw, pos, lineEnd)) break;
    collector.addLine(raw, pos, lineEnd);
    pos = lineEnd;
  }
  return collector.fields;
}

/**
 * RFC 5322 §2.2.3 unfolding: line breaks followed by whitespace are removed (the whitespace
 * stays), the terminator of the last line goes, and the ends are trimmed.
 */
export function unfold(value: string): string {
  return trimBlanks(value.replace(/\r?\n(?=[ \t])/g, ''));
}

function isBlank(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

/**
 * Trims SP, HT, CR and LF only (String.prototype.trim would also eat 0xA0, a valid byte of
 * GBK and Big5 text in a binary string). A loop, not /\s+$/: that regex is quadratic on long
 * runs of blanks, which a hostile header can supply.
 */
export function trimBlanks(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isBlank(s[start])) start++;
  while (end > start && isBlank(s[end - 1])) end--;
  return s.slice(start, end);
}

/**
 * Removes comments at the end of an unquoted value ("utf-8 (Unicode)"), but only after a
 * blank, so that "report(1).pdf" keeps its parentheses. Linear: each round shortens it.
 */
function stripTrailingComments(value: string): string {
  let v = trimBlanks(value);
  while (v.endsWith(')')) {
    const open = v.lastIndexOf('(');
    if (open <= 0 || v.indexOf(')', open) !== v.length - 1 || !isBlank(v[open - 1])) break;
    v = trimBlanks(v.slice(0, open));
  }
  return v;
}

/** The field's value as an unfolded binary string. */
export function fieldValue(raw: Buffer, field: HeaderField): string {
  return unfold(raw.toString('latin1', field.valueStart, field.end));
}

/** First field with the given name (case-insensitive), or undefined. */
export function findField(fields: readonly HeaderField[], name: string): HeaderField | undefined {
  const lower = name.toLowerCase();
  return fields.find((f) => f.name.length === lower.length && f.name.toLowerCase() === lower);
}

/** Unfolded binary value of the first field with that name, or null when absent. */
export function headerValue(raw: Buffer, fields: readonly HeaderField[], name: string): string | null {
  const field = findField(fields, name);
  return field === undefined ? null : fieldValue(raw, field);
}

// ---------------------------------------------------------------------------------------
// Encoded words

/**
 * RFC 2047 decoding. libmime joins adjacent encoded words before decoding, which repairs the
 * common split of a multi-byte character across two words. Never throws: a broken word is
 * left as it was.
 */
export function decodeEncodedWords(text: string): string {
  if (!text.includes('=?')) return text;
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

/** Binary header value to display text: 8-bit bytes first, then encoded words. */
export function decodeHeaderText(binary: string, hint?: string | null): string {
  return decodeEncodedWords(decodeHeaderBinary(binary, hint));
}

// ---------------------------------------------------------------------------------------
// Structured values with parameters (Content-Type, Content-Disposition)

/** One MIME parameter after RFC 2231 continuations were joined and decoded. */
export interface HeaderParam {
  /** Lower-cased name without the RFC 2231 "*" and section suffixes. */
  name: string;
  /** Decoded text (RFC 2047 encoded words, if a mailer used them here, are left in place). */
  value: string;
  /** RFC 2231 charset when the value was extended, else null. */
  charset: string | null;
  /** RFC 2231 language when given, else null. */
  language: string | null;
  /** Joined bytes before charset decoding, as a binary string (boundaries match on these). */
  raw: string;
}

export interface StructuredValue {
  /** The part before the first ";", comments removed and trimmed, e.g. "text/plain". */
  value: string;
  params: HeaderParam[];
}

/** Skips a comment starting at s[i] === '('; returns the index after it. Nested, escapable. */
function skipComment(s: string, i: number): number {
  let depth = 0;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  return s.length;
}

/** Reads a quoted string starting at s[i] === '"'; an unclosed one runs to the end. */
function readQuoted(s: string, i: number): { text: string; next: number } {
  let text = '';
  for (i++; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) text += s[++i];
    else if (c === '"') return { text, next: i + 1 };
    else if (c !== '\r' && c !== '\n') text += c;
  }
  return { text, next: s.length };
}

function skipBlanks(s: string, i: number): number {
  for (;;) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\r' || s[i] === '\n')) i++;
    if (s[i] === '(') i = skipComment(s, i);
    else return i;
  }
}

interface RawParam {
  base: string;
  section: number | null;
  extended: boolean;
  value: string;
}

/** Reads "name=value" pairs after the first ";"; tolerant of junk, missing quotes, blanks. */
function readRawParams(s: string, i: number): RawParam[] {
  const out: RawParam[] = [];
  while (i < s.length) {
    // Here s[i] is ';' or where the previous parameter stopped.
    if (s[i] === ';') i++;
    i = skipBlanks(s, i);
    let nameEnd = i;
    while (nameEnd < s.length && s[nameEnd] !== '=' && s[nameEnd] !== ';') nameEnd++;
    const name = trimBlanks(s.slice(i, nameEnd).replace(/\([^()]*\)/g, '')).toLowerCase();
    if (s[nameEnd] !== '=') {
      i = nameEnd; // a bare word: no value, skip it
      continue;
    }
    i = skipBlanks(s, nameEnd + 1);
    let value: string;
    if (s[i] === '"') {
      const q = readQuoted(s, i);
      value = q.text;
      i = q.next;
      while (i < s.length && s[i] !== ';') i++; // junk after the closing quote
    } else {
      let end = i;
      while (end < s.length && s[end] !== ';') end++;
      // Unquoted values with blanks are common (name=my file.pdf); only a trailing comment
      // after a blank is dropped.
      value = stripTrailingComments(s.slice(i, end));
      i = end;
    }
    // Real parameter names are short; a huge one is junk (and would cost the regex below).
    if (name.length > 200) continue;
    const m = /^(.*?)(?:\*(\d+))?(\*)?$/.exec(name);
    if (m === null || m[1] === undefined || m[1] === '') continue;
    out.push({
      base: m[1],
      section: m[2] === undefined ? null : Number.parseInt(m[2], 10),
      extended: m[3] !== undefined,
      value,
    });
  }
  return out;
}

/** RFC 2231 %XX decoding into a binary string; a stray "%" stays literal. */
function percentDecode(s: string): string {
  return s.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** Joins the RFC 2231 pieces of one parameter and decodes its charset. */
function joinParam(base: string, pieces: RawParam[]): HeaderParam {
  // RFC 2231 §4: a "name*" or "name*0*" form wins over a plain duplicate; senders such as
  // Outlook put both, the plain one as an ASCII fallback.
  const extendedSingle = pieces.find((p) => p.section === null && p.extended);
  const sections = pieces.filter((p) => p.section !== null);
  let chosen: RawParam[];
  if (extendedSingle !== undefined) chosen = [extendedSingle];
  else if (sections.length > 0) {
    const bySection = new Map<number, RawParam>();
    for (const p of sections) if (!bySection.has(p.section!)) bySection.set(p.section!, p);
    chosen = [...bySection.values()].sort((a, b) => a.section! - b.section!);
  } else chosen = [pieces[0]!];

  let charset: string | null = null;
  let language: string | null = null;
  let bytes = '';
  chosen.forEach((p, index) => {
    if (!p.extended) {
      bytes += p.value;
      return;
    }
    let text = p.value;
    if (index === 0) {
      // RFC 2231 §4: charset'language'encoded-text in the first (or only) piece.
      const m = /^([^']*)'([^']*)'(.*)$/s.exec(text);
      if (m !== null) {
        charset = m[1] === '' ? null : m[1]!;
        language = m[2] === '' ? null : m[2]!;
        text = m[3]!;
      }
    }
    bytes += percentDecode(text);
  });
  const value = charset !== null ? decodeCharset(Buffer.from(bytes, 'latin1'), charset) : decodeHeaderBinary(bytes);
  return { name: base, value, charset, language, raw: bytes };
}

/**
 * Parses "value; name=value; name*0*=..." (Content-Type, Content-Disposition). Input is a
 * binary string; parameters come back in order of first appearance, names lower-cased.
 */
export function parseStructured(s: string): StructuredValue {
  let i = 0;
  let value = '';
  while (i < s.length && s[i] !== ';') {
    const c = s[i]!;
    if (c === '(') i = skipComment(s, i);
    else if (c === '"') {
      const q = readQuoted(s, i);
      value += q.text;
      i = q.next;
    } else {
      value += c === '\t' || c === '\r' || c === '\n' ? ' ' : c;
      i++;
    }
  }
  // Blanks inside stay (so "te xt/plain" is not taken for a token); around it they go.
  value = trimBlanks(value);
  const raws = readRawParams(s, i);
  const groups = new Map<string, RawParam[]>();
  for (const p of raws) {
    const list = groups.get(p.base);
    if (list === undefined) groups.set(p.base, [p]);
    else list.push(p);
  }
  const params = [...groups].map(([base, pieces]) => joinParam(base, pieces));
  return { value, params };
}

/** Value of a parameter by (lower-case) name, or null. */
export function paramValue(params: readonly HeaderParam[], name: string): string | null {
  return params.find((p) => p.name === name)?.value ?? null;
}

/** A filename or name parameter for display: encoded words (Outlook, Gmail) decoded too. */
export function decodeParamText(value: string): string {
  return decodeEncodedWords(value);
}

/** Content-Language (RFC 3282): comma-separated tags, comments removed. */
export function parseLanguageList(s: string): string[] {
  let text = '';
  for (let i = 0; i < s.length; ) {
    if (s[i] === '(') i = skipComment(s, i);
    else text += s[i++];
  }
  return text
    .split(',')
    .map((t) => t.replace(/[ \t\r\n"]/g, ''))
    .filter((t) => t.length > 0);
}

/** A single token value (Content-Transfer-Encoding): comments and blanks removed, lower-cased. */
export function parseToken(s: string): string {
  let text = '';
  for (let i = 0; i < s.length; ) {
    if (s[i] === '(') i = skipComment(s, i);
    else text += s[i++];
  }
  return text.replace(/[ \t\r\n"]/g, '').toLowerCase();
}

// ---------------------------------------------------------------------------------------
// Addresses

/** One mailbox as IMAP's ENVELOPE needs it: pieces as written, encoded words left alone. */
export interface MailAddress {
  /** Display name (quotes removed, encoded words left as sent), or null. */
  name: string | null;
  /** Obsolete source route ("@a,@b"), or null. */
  route: string | null;
  /** Local part, unquoted; null when missing. */
  mailbox: string | null;
  /** Domain; null when missing. */
  host: string | null;
}

/** RFC 5322 group: "name: member, member;" */
export interface AddressGroup {
  group: string;
  members: MailAddress[];
}

export type AddressItem = MailAddress | AddressGroup;

export function isGroup(item: AddressItem): item is AddressGroup {
  return 'group' in item;
}

type TokenType = 'word' | 'quoted' | 'comment' | 'literal' | 'special';
interface Token {
  type: TokenType;
  text: string;
  /** Whitespace (or a comment) came before this token. */
  space: boolean;
}

const ADDRESS_SPECIALS = '<>:;@,.';

function tokenizeAddresses(s: string): Token[] {
  const tokens: Token[] = [];
  let space = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      space = true;
      i++;
    } else if (c === '(') {
      const end = skipComment(s, i);
      const inner = s.slice(i + 1, s[end - 1] === ')' ? end - 1 : end);
      tokens.push({ type: 'comment', text: inner.replace(/\\(.)/g, '$1').trim(), space });
      space = true;
      i = end;
    } else if (c === '"') {
      const q = readQuoted(s, i);
      tokens.push({ type: 'quoted', text: q.text, space });
      space = false;
      i = q.next;
    } else if (c === '[') {
      let end = s.indexOf(']', i);
      end = end < 0 ? s.length : end + 1;
      tokens.push({ type: 'literal', text: s.slice(i, end), space });
      space = false;
      i = end;
    } else if (ADDRESS_SPECIALS.includes(c) || c === ')' || c === ']' || c === '\\') {
      tokens.push({ type: 'special', text: c, space });
      space = false;
      i++;
    } else {
      let end = i + 1;
      while (end < s.length && !' \t\r\n()"[]\\'.includes(s[end]!) && !ADDRESS_SPECIALS.includes(s[end]!)) end++;
      tokens.push({ type: 'word', text: s.slice(i, end), space });
      space = false;
      i = end;
    }
  }
  return tokens;
}

function isSpecial(t: Token | undefined, chars: string): boolean {
  return t !== undefined && t.type === 'special' && chars.includes(t.text);
}

/** Joins phrase tokens the way they read: one blank where the source had whitespace. */
function joinPhrase(tokens: Token[]): string {
  let out = '';
  for (const t of tokens) {
    if (t.type === 'comment') continue;
    if (out !== '' && t.space) out += ' ';
    out += t.text;
  }
  return out;
}

/** Joins addr-spec tokens (local part or domain): no blanks, comments dropped. */
function joinTight(tokens: Token[]): string {
  return tokens
    .filter((t) => t.type !== 'comment')
    .map((t) => t.text)
    .join('');
}

class AddressParser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  parseList(): AddressItem[] {
    const items: AddressItem[] = [];
    while (this.pos < this.tokens.length) {
      const before = this.pos;
      if (isSpecial(this.peek(), ',;>')) {
        this.pos++;
        continue;
      }
      const item = this.parseItem(true);
      if (item !== null) items.push(item);
      if (this.pos === before) this.pos++; // always advance, whatever the junk
    }
    return items;
  }

  /** Reads one mailbox, or a group when allowed; stops before "," / ";" / end. */
  private parseItem(allowGroup: boolean): AddressItem | null {
    const phrase: Token[] = [];
    const comments: string[] = [];
    while (this.pos < this.tokens.length) {
      const t = this.peek()!;
      if (isSpecial(t, '<:@,;>')) break;
      if (t.type === 'comment') comments.push(t.text);
      phrase.push(t);
      this.pos++;
    }
    const next = this.peek();
    if (isSpecial(next, ':') && allowGroup) {
      this.pos++;
      return this.parseGroup(joinPhrase(phrase));
    }
    if (isSpecial(next, ':')) {
      this.pos++; // a nested group is not allowed: drop its name
      return null;
    }
    if (isSpecial(next, '<')) {
      this.pos++;
      const addr = this.parseAngle();
      const after = this.trailingComment();
      // RFC 5322 §3.4 display name; a comment stands in when there is none (old
      // "Full Name <user@host>"-less senders write "<user@host> (Full Name)").
      const name = joinPhrase(phrase) || comments.join(' ') || after || null;
      return { ...addr, name };
    }
    if (isSpecial(next, '@')) {
      this.pos++;
      const local = joinTight(phrase);
      const host = this.parseDomain();
      const after = this.trailingComment();
      // "user@host (Full Name)": the comments are the only name there is.
      const name = [...comments, after].filter((c) => c !== '').join(' ') || null;
      return { name, route: null, mailbox: local || null, host: host || null };
    }
    // A lone word ("undisclosed-recipients", "John") is a local part without a domain; a
    // stray comment alone is nothing.
    const local = joinTight(phrase);
    if (local === '') return null;
    return { name: comments.join(' ') || null, route: null, mailbox: local, host: null };
  }

  private trailingComment(): string {
    const parts: string[] = [];
    while (this.peek()?.type === 'comment') parts.push(this.tokens[this.pos++]!.text);
    return parts.join(' ');
  }

  private parseGroup(name: string): AddressGroup {
    const members: MailAddress[] = [];
    while (this.pos < this.tokens.length) {
      const t = this.peek()!;
      if (isSpecial(t, ';')) {
        this.pos++;
        break;
      }
      if (isSpecial(t, ',>:')) {
        this.pos++;
        continue;
      }
      const before = this.pos;
      const item = this.parseItem(false);
      if (item !== null && !isGroup(item)) members.push(item);
      if (this.pos === before) this.pos++;
    }
    return { group: name, members };
  }

  /** Inside "<...>": optional obsolete route "@a,@b:" then addr-spec, up to ">". */
  private parseAngle(): Omit<MailAddress, 'name'> {
    let route: string | null = null;
    if (isSpecial(this.peek(), '@')) {
      const routeTokens: Token[] = [];
      while (this.pos < this.tokens.length && !isSpecial(this.peek(), ':>')) routeTokens.push(this.tokens[this.pos++]!);
      if (isSpecial(this.peek(), ':')) {
        this.pos++;
        route = joinTight(routeTokens);
      } else {
        // "<@host>": no route after all; treat what we read as an empty local part + domain.
        const host = joinTight(routeTokens.slice(1));
        if (isSpecial(this.peek(), '>')) this.pos++;
        return { route: null, mailbox: null, host: host || null };
      }
    }
    const local: Token[] = [];
    while (this.pos < this.tokens.length && !isSpecial(this.peek(), '@>,;<')) local.push(this.tokens[this.pos++]!);
    let host = '';
    if (isSpecial(this.peek(), '@')) {
      this.pos++;
      host = this.parseDomain();
    }
    // Inside the brackets a comment is only folding white space (RFC 5322 §3.4.1 CFWS), never
    // a display name: "<user (x)@ (y) host>" is user@host.
    while (this.peek()?.type === 'comment') this.pos++;
    if (isSpecial(this.peek(), '>')) this.pos++;
    const mailbox = joinTight(local);
    return { route, mailbox: mailbox || null, host: host || null };
  }

  private parseDomain(): string {
    const parts: Token[] = [];
    while (this.pos < this.tokens.length && !isSpecial(this.peek(), ',;>< :')) {
      const t = this.peek()!;
      if (t.type === 'comment') {
        // A comment before the domain ("user@ (x) host") is CFWS; one after it ends the domain
        // and is picked up as a display name ("user@host (Full Name)").
        const next = this.tokens[this.pos + 1];
        if (parts.length === 0 && (next?.type === 'word' || next?.type === 'literal')) {
          this.pos++;
          continue;
        }
        break;
      }
      // A word after whitespace starts something else (junk after the address).
      if (parts.length > 0 && t.space && t.type === 'word' && !isSpecial(parts[parts.length - 1], '.')) break;
      parts.push(t);
      this.pos++;
    }
    return joinTight(parts);
  }
}

/**
 * RFC 5322 address-list parsing, forgiving: whatever the input, it returns what it could read
 * and never throws. Input is text (run decodeHeaderBinary on raw bytes first).
 */
export function parseAddressList(text: string): AddressItem[] {
  return new AddressParser(tokenizeAddresses(text)).parseList();
}

/** "local@host", whatever is present. */
export function addressSpec(a: MailAddress): string {
  if (a.mailbox === null) return a.host ?? '';
  return a.host === null ? a.mailbox : `${a.mailbox}@${a.host}`;
}

/** Display form with encoded words decoded, for SEARCH FROM/TO/CC and for sorting. */
export function formatAddressesDecoded(items: readonly AddressItem[]): string {
  const one = (a: MailAddress): string => {
    const spec = addressSpec(a);
    const name = a.name === null ? '' : decodeEncodedWords(a.name);
    if (name === '') return spec;
    return spec === '' ? name : `${name} <${spec}>`;
  };
  return items
    .map((item) => (isGroup(item) ? `${decodeEncodedWords(item.group)}: ${item.members.map(one).join(', ')};` : one(item)))
    .join(', ');
}

/** Flattened mailboxes (group members included) with decoded names, e.g. for SORT (RFC 5256). */
export function decodedMailboxes(items: readonly AddressItem[]): { name: string; address: string }[] {
  const out: { name: string; address: string }[] = [];
  const add = (a: MailAddress) => out.push({ name: a.name === null ? '' : decodeEncodedWords(a.name), address: addressSpec(a) });
  for (const item of items) {
    if (isGroup(item)) item.members.forEach(add);
    else add(item);
  }
  return out;
}
