// The IMAP tokenizer: one complete command (its literals already read) → a token tree.
//
// Token kinds follow RFC 3501 §4 and §9: atoms, numbers, NIL, quoted strings, literals
// ({n}, {n+} from RFC 7888, ~{n} literal8 from RFC 3516), parenthesized lists, sequence sets,
// and the one place where IMAP syntax is not a plain token list, FETCH's
// `BODY[<section>]<<partial>>` and `BINARY[...]` (RFC 3501 §6.4.5, RFC 3516 §4.2).
//
// Strict where ambiguity would follow (unbalanced brackets, missing spaces, bad escapes, control
// characters, NUL outside literal8), lenient where clients are merely sloppy: runs of spaces
// and trailing spaces are accepted, and atoms may hold "\" so that `LOGIN DOMAIN\user pw`
// (Python's imaplib, Exchange's shared-mailbox logins) reads as it was meant.

import { ParseError } from './errors.ts';
import { splitCommand, type Segment } from './framer.ts';
import { parseSequenceSet, MAX_NUMBER, type SavedSet, type SequenceSet } from './sequence-set.ts';

export type SectionName = 'BODY' | 'BODY.PEEK' | 'BINARY' | 'BINARY.PEEK' | 'BINARY.SIZE';

/** `<offset.length>` after a section (RFC 3501 §6.4.5 "partial"). */
export interface PartialRange {
  offset: number;
  length: number;
}

export type Token =
  /** Any other atom: command names, flags (`\Seen`), keywords, list patterns (`INBOX.%`). */
  | { kind: 'atom'; text: string }
  /** Digits only. `value` loses precision past 2^53; readers check `text` for range. */
  | { kind: 'number'; text: string; value: number }
  /** A sequence set that is not a plain number: `1:*`, `2,4:5`, `*`, `$`. */
  | { kind: 'sequence'; text: string; set: SequenceSet | SavedSet }
  | { kind: 'nil'; text: string }
  /** A quoted string or a literal, as raw bytes. */
  | { kind: 'string'; value: Buffer; form: 'quoted' | 'literal'; nonSync: boolean; binary: boolean }
  | { kind: 'list'; items: Token[] }
  /** `BODY[...]`, `BODY.PEEK[...]`, `BINARY[...]`, `BINARY.PEEK[...]`, `BINARY.SIZE[...]`. */
  | { kind: 'section'; name: SectionName; items: Token[]; partial: PartialRange | null };

export interface TokenizeOptions {
  /**
   * UTF8=ACCEPT is enabled or the session is IMAP4rev2: quoted strings may hold UTF-8, which
   * must then be well formed (RFC 6855 §3, RFC 9051 §4.3).
   */
  utf8?: boolean;
  /**
   * Accept 8-bit octets in quoted strings even without UTF-8 mode, as raw bytes (Dovecot does;
   * some clients quote SEARCH CHARSET text). Off by default, as RFC 3501's grammar has it.
   */
  allow8bitQuoted?: boolean;
  /** Deepest nesting of lists and sections accepted (default 32). */
  maxDepth?: number;
}

const SP = 0x20;
const DQUOTE = 0x22;
const LPAREN = 0x28;
const RPAREN = 0x29;
const LT = 0x3c;
const GT = 0x3e;
const DOT = 0x2e;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const TILDE = 0x7e;
const PLUS = 0x2b;

const SECTION_NAMES = new Set<string>(['BODY', 'BODY.PEEK', 'BINARY', 'BINARY.PEEK', 'BINARY.SIZE']);
const DEFAULT_MAX_DEPTH = 32;
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

type Frame =
  | { kind: 'root'; items: Token[] }
  | { kind: 'list'; items: Token[] }
  | { kind: 'section'; name: SectionName; items: Token[] };

function isDigit(c: number | undefined): c is number {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isValidUtf8(bytes: Buffer): boolean {
  try {
    utf8Strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Classifies the text of an atom: NIL, a number, a sequence set, or a plain atom. */
function atomToken(text: string): Token {
  if (text.length === 3 && text.toUpperCase() === 'NIL') return { kind: 'nil', text };
  if (/^[0-9]+$/.test(text)) return { kind: 'number', text, value: Number(text) };
  if (/^[0-9*$:,]+$/.test(text)) {
    const set = parseSequenceSet(text);
    if (set !== null) return { kind: 'sequence', text, set };
  }
  return { kind: 'atom', text };
}

class Lexer {
  private readonly frames: Frame[] = [{ kind: 'root', items: [] }];
  private segment = 0;
  private text: Buffer;
  private pos = 0;
  private readonly maxDepth: number;

  constructor(
    private readonly segments: readonly Segment[],
    private readonly options: TokenizeOptions,
  ) {
    this.text = segments[0]?.text ?? Buffer.alloc(0);
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  run(): Token[] {
    // literal() moves on to the next segment's text, so this loop walks the whole command.
    while (this.pos < this.text.length) this.step(this.text[this.pos]!);
    this.checkEnd();
    const open = this.top();
    if (open.kind === 'list') throw new ParseError("Missing ')'");
    if (open.kind === 'section') throw new ParseError("Missing ']'");
    return open.items;
  }

  private top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  private inSection(): boolean {
    return this.frames.some((f) => f.kind === 'section');
  }

  /** The current line is used up: it must be the last, with no literal left unread. */
  private checkEnd(): void {
    if (this.segments[this.segment]?.literal !== undefined) throw new ParseError('Unexpected literal data');
    // Only a literal continues a command past the end of a line.
    if (this.segment + 1 < this.segments.length) throw new ParseError('Unexpected line break in command');
  }

  private step(c: number): void {
    if (c === SP) {
      this.pos++;
    } else if (c === LPAREN) {
      this.open({ kind: 'list', items: [] });
      this.pos++;
    } else if (c === RPAREN) {
      this.closeList();
    } else if (c === RBRACKET && this.top().kind === 'section') {
      this.closeSection();
    } else if (c === DQUOTE) {
      this.quoted();
    } else if (c === LBRACE || (c === TILDE && this.text[this.pos + 1] === LBRACE)) {
      this.literal();
    } else if (c === RBRACKET && this.inSection()) {
      throw new ParseError("Unexpected ']'");
    } else {
      this.atom();
    }
  }

  private open(frame: Frame): void {
    if (this.frames.length > this.maxDepth) throw new ParseError('Too deeply nested');
    this.frames.push(frame);
  }

  private push(token: Token): void {
    this.top().items.push(token);
  }

  /** After a token: a space, a closing bracket or the end of the line must follow. */
  private expectDelimiter(): void {
    const c = this.text[this.pos];
    if (c === undefined || c === SP || c === RPAREN) return;
    if (c === RBRACKET && this.inSection()) return;
    throw new ParseError('Missing space between arguments');
  }

  private closeList(): void {
    const frame = this.top();
    if (frame.kind !== 'list') throw new ParseError("Unexpected ')'");
    this.frames.pop();
    this.pos++;
    this.push({ kind: 'list', items: frame.items });
    this.expectDelimiter();
  }

  private closeSection(): void {
    const frame = this.top();
    if (frame.kind !== 'section') throw new ParseError("Unexpected ']'");
    this.frames.pop();
    this.pos++;
    const partial = this.text[this.pos] === LT ? this.partial() : null;
    this.push({ kind: 'section', name: frame.name, items: frame.items, partial });
    this.expectDelimiter();
  }

  /** `<offset.length>` right after `]` (RFC 3501 §9 "partial"). */
  private partial(): PartialRange {
    const offset = this.digits();
    if (this.text[this.pos] !== DOT) throw new ParseError('Invalid partial range');
    const length = this.digits();
    if (this.text[this.pos] !== GT) throw new ParseError('Invalid partial range');
    this.pos++;
    if (length === 0) throw new ParseError('Invalid partial range');
    return { offset, length };
  }

  /** Skips the character before a run of digits and reads them as a 32-bit number. */
  private digits(): number {
    this.pos++;
    const start = this.pos;
    while (isDigit(this.text[this.pos])) this.pos++;
    const text = this.text.toString('latin1', start, this.pos);
    const value = Number(text);
    if (text.length === 0 || value > MAX_NUMBER) throw new ParseError('Invalid partial range');
    return value;
  }

  private quoted(): void {
    const t = this.text;
    const start = this.pos + 1;
    let escapes = false;
    let eightBit = false;
    let i = start;
    for (; i < t.length; i++) {
      const c = t[i]!;
      if (c === DQUOTE) break;
      if (c === BACKSLASH) {
        const next = t[i + 1];
        if (next !== DQUOTE && next !== BACKSLASH) throw new ParseError('Invalid escape in quoted string');
        escapes = true;
        i++;
      } else if (c === 0 || c === 0x0d || c === 0x0a) {
        throw new ParseError('Invalid characters in quoted string');
      } else if (c >= 0x80) {
        eightBit = true;
      }
    }
    if (i >= t.length) throw new ParseError('Missing \'"\'');
    const raw = t.subarray(start, i);
    const value = escapes ? unescapeQuoted(raw) : Buffer.from(raw);
    if (eightBit) this.check8bitQuoted(value);
    this.pos = i + 1;
    this.push({ kind: 'string', value, form: 'quoted', nonSync: false, binary: false });
    this.expectDelimiter();
  }

  private check8bitQuoted(value: Buffer): void {
    if (this.options.utf8) {
      if (!isValidUtf8(value)) throw new ParseError('Invalid UTF-8 in quoted string');
    } else if (!this.options.allow8bitQuoted) {
      throw new ParseError('8-bit data in quoted string (send it as a literal)');
    }
  }

  /** `{n}`, `{n+}`, `~{n}` or `~{n+}`, which must end the line; its bytes are the segment's literal. */
  private literal(): void {
    const t = this.text;
    const binary = t[this.pos] === TILDE;
    let i = this.pos + (binary ? 2 : 1);
    const digitsStart = i;
    while (isDigit(t[i])) i++;
    const size = Number(t.toString('latin1', digitsStart, i));
    const nonSync = t[i] === PLUS;
    if (nonSync) i++;
    if (i === digitsStart || t[i] !== RBRACE) throw new ParseError('Invalid literal size');
    if (i + 1 !== t.length) throw new ParseError('Literal announcement must end the line');
    const data = this.segments[this.segment]?.literal;
    if (data === undefined) throw new ParseError('Missing literal data');
    if (data.length !== size) throw new ParseError('Literal size does not match its data');
    // RFC 3501 §4.3: a literal is CHAR8 (no NUL); only literal8 may carry NUL (RFC 3516 §4.1).
    if (!binary && data.includes(0)) throw new ParseError('NUL in literal (only literal8 may hold NUL)');
    this.push({ kind: 'string', value: data, form: 'literal', nonSync, binary });
    this.segment++;
    this.text = this.segments[this.segment]?.text ?? Buffer.alloc(0);
    this.pos = 0;
    this.expectDelimiter();
  }

  private atom(): void {
    const t = this.text;
    const start = this.pos;
    const inSection = this.inSection();
    let i = start;
    for (; i < t.length; i++) {
      const c = t[i]!;
      if (c === SP || c === RPAREN || (c === RBRACKET && inSection)) break;
      if (c === LBRACKET && !inSection) {
        const name = t.toString('latin1', start, i).toUpperCase();
        if (SECTION_NAMES.has(name)) {
          this.open({ kind: 'section', name: name as SectionName, items: [] });
          this.pos = i + 1;
          return;
        }
        continue;
      }
      if (c >= 0x80) throw new ParseError('8-bit data in atom');
      if (c < 0x20 || c === 0x7f || c === LPAREN || c === DQUOTE || c === LBRACE) {
        throw new ParseError('Invalid characters in atom');
      }
    }
    this.push(atomToken(t.toString('latin1', start, i)));
    this.pos = i;
  }
}

function unescapeQuoted(raw: Buffer): Buffer {
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === BACKSLASH) i++;
    out[n++] = raw[i]!;
  }
  return out.subarray(0, n);
}

/**
 * Tokenizes one command: either its segments (lines with the literal each announced, as the
 * session collected them) or the whole command in one buffer with `{n}\r\n` markers.
 * Throws ParseError, and nothing else, on any input.
 */
export function tokenize(input: Buffer | readonly Segment[], options: TokenizeOptions = {}): Token[] {
  const segments = Buffer.isBuffer(input) ? splitCommand(input) : input;
  return new Lexer(segments, options).run();
}
