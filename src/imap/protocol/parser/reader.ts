// A cursor over a token list with readers for the argument types of RFC 3501 §9 (astring,
// nstring, number, flag, sequence-set …). Every reader throws ParseError with a message that
// names what was expected, so command parsers read like the grammar.

import { ParseError } from '../errors.ts';
import { MAX_NUMBER, type SavedSet, type SequenceSet } from '../sequence-set.ts';
import type { Token } from '../tokenizer.ts';

/** Mod-sequence values are 63-bit (RFC 7162 §7); JS numbers hold them exactly up to 2^53. */
const MAX_MODSEQ = 2n ** 63n - 1n;

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

// RFC 3501 §2.3.2 system flags, spelled as the RFC spells them.
const SYSTEM_FLAGS = new Map<string, string>(
  ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', '\\Recent'].map((f) => [f.toUpperCase(), f]),
);

// flag-keyword = atom and flag-extension = "\" atom (RFC 3501 §9); ATOM-CHAR excludes
// atom-specials, which include "\" and "]".
const FLAG = /^\\?[^\x00-\x20\x7f-\uffff(){%*"\\\]]+$/;

/** Decodes string bytes as UTF-8, strictly: names and passwords must not be guessed at. */
export function utf8Text(bytes: Buffer, what: string): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    throw new ParseError(`Invalid UTF-8 in ${what}`);
  }
}

/** The text of an atom-like token (atom, number, NIL, sequence set); null for others. */
export function atomText(token: Token | undefined): string | null {
  if (token === undefined) return null;
  switch (token.kind) {
    case 'atom':
    case 'number':
    case 'nil':
    case 'sequence':
      return token.text;
    default:
      return null;
  }
}

/** A flag with system flags in their canonical spelling; null when it is not a flag. */
export function normalizeFlag(text: string): string | null {
  if (!FLAG.test(text)) return null;
  return text.startsWith('\\') ? (SYSTEM_FLAGS.get(text.toUpperCase()) ?? text) : text;
}

export class ArgReader {
  private pos = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  get done(): boolean {
    return this.pos >= this.tokens.length;
  }

  get remaining(): number {
    return this.tokens.length - this.pos;
  }

  peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  /** The next token, whatever it is. */
  next(what: string): Token {
    const token = this.tokens[this.pos];
    if (token === undefined) throw new ParseError(`Missing ${what}`);
    this.pos++;
    return token;
  }

  /** No arguments may remain. */
  end(): void {
    if (!this.done) throw new ParseError('Unexpected extra arguments');
  }

  /** The upper-cased text of the next token when it is atom-like, without consuming it. */
  peekWord(): string | null {
    return atomText(this.peek())?.toUpperCase() ?? null;
  }

  /** Consumes the next token when it is the atom `word` (any case). */
  accept(word: string): boolean {
    if (this.peekWord() !== word) return false;
    this.pos++;
    return true;
  }

  /** An atom-like token's text (no strings, lists or sections). */
  atom(what: string): string {
    const text = atomText(this.next(what));
    if (text === null) throw new ParseError(`Invalid ${what}`);
    return text;
  }

  /** An atom, upper-cased: command options, keys and item names. */
  word(what: string): string {
    return this.atom(what).toUpperCase();
  }

  /** astring = 1*ASTRING-CHAR / string, as raw bytes. NIL is the atom "NIL" here. */
  astringBytes(what: string): Buffer {
    const token = this.next(what);
    if (token.kind === 'string') {
      if (token.binary) throw new ParseError(`Invalid ${what}: literal8 is only for message data`);
      return token.value;
    }
    const text = atomText(token);
    if (text === null) throw new ParseError(`Invalid ${what}`);
    return Buffer.from(text, 'latin1');
  }

  /** astring as UTF-8 text. */
  astring(what: string): string {
    const token = this.peek();
    if (token !== undefined && token.kind !== 'string') {
      const text = atomText(token);
      if (text === null) throw new ParseError(`Invalid ${what}`);
      this.pos++;
      return text;
    }
    return utf8Text(this.astringBytes(what), what);
  }

  /** string = quoted / literal (no atoms), as UTF-8 text. */
  string(what: string): string {
    const token = this.next(what);
    if (token.kind !== 'string' || token.binary) throw new ParseError(`Invalid ${what}: expected a string`);
    return utf8Text(token.value, what);
  }

  /** nstring = string / NIL. */
  nstring(what: string): string | null {
    if (this.peek()?.kind === 'nil') {
      this.pos++;
      return null;
    }
    return this.string(what);
  }

  /** number: 32-bit unsigned (RFC 3501 §9). */
  number(what: string): number {
    const token = this.next(what);
    if (token.kind !== 'number' || token.value > MAX_NUMBER) throw new ParseError(`Invalid ${what}: expected a number`);
    return token.value;
  }

  /** nz-number: 1 to 2^32 - 1. */
  nzNumber(what: string): number {
    const n = this.number(what);
    if (n === 0) throw new ParseError(`Invalid ${what}: must not be zero`);
    return n;
  }

  /**
   * A 63-bit number (mod-sequence-value, RFC 7162 §7; number64, RFC 9051 §9). Values above
   * 2^53 are read as Number.MAX_SAFE_INTEGER: no mailbox gets that far, so a comparison with
   * them comes out the same.
   */
  number64(what: string, allowZero = true): number {
    const token = this.next(what);
    if (token.kind !== 'number') throw new ParseError(`Invalid ${what}: expected a number`);
    const digits = token.text.replace(/^0+(?=\d)/, '');
    if (digits.length > 19 || BigInt(digits) > MAX_MODSEQ) throw new ParseError(`Invalid ${what}: number too large`);
    if (!allowZero && token.value === 0) throw new ParseError(`Invalid ${what}: must not be zero`);
    return Math.min(token.value, Number.MAX_SAFE_INTEGER);
  }

  /** A parenthesized list, as a reader over its items. */
  list(what: string): ArgReader {
    const token = this.next(what);
    if (token.kind !== 'list') throw new ParseError(`Invalid ${what}: expected a parenthesized list`);
    return new ArgReader(token.items);
  }

  /** A list when the next token is one; otherwise the single next item as a one-item reader. */
  listOrOne(what: string): ArgReader {
    const token = this.next(what);
    return new ArgReader(token.kind === 'list' ? token.items : [token]);
  }

  /** sequence-set, or `$` (RFC 5182) when allowed. */
  sequenceSet(what: string, allowSaved = true): SequenceSet | SavedSet {
    const token = this.next(what);
    if (token.kind === 'number') {
      if (token.value === 0 || token.value > MAX_NUMBER || token.text.startsWith('0')) throw new ParseError(`Invalid ${what}`);
      return { ranges: [[token.value, token.value]] };
    }
    if (token.kind !== 'sequence' || (token.set === '$' && !allowSaved)) throw new ParseError(`Invalid ${what}`);
    return token.set;
  }

  /** A sequence set without `$` (QRESYNC's known UIDs and the like). */
  plainSequenceSet(what: string): SequenceSet {
    const set = this.sequenceSet(what, false);
    if (set === '$') throw new ParseError(`Invalid ${what}`);
    return set;
  }

  /** flag (RFC 3501 §9): a system flag, `\Extension` or a keyword. */
  flag(what = 'flag'): string {
    const text = atomText(this.next(what));
    const flag = text === null ? null : normalizeFlag(text);
    if (flag === null) throw new ParseError(`Invalid ${what}`);
    return flag;
  }

  /** flag-list = "(" [flag *(SP flag)] ")". */
  flagList(what = 'flag list'): string[] {
    const list = this.list(what);
    const flags: string[] = [];
    while (!list.done) flags.push(list.flag());
    return flags;
  }
}
