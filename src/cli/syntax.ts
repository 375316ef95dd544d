// A PowerShell-like tokenizer for whole command lines (read from stdin or a web form), and the
// quote- and bracket-aware scanning that the binder reuses on list values. Its output is meant to
// look like the argv bash would pass for the same text wherever the two shells agree, so one
// binder serves both routes. Pure functions: no I/O.
//
// Error messages here never quote the line: it may hold a password.
import { CmdletSyntaxError } from './types.ts';

// PowerShell treats the typographic quotes as quotes too, which matters because commands are
// often pasted from documents and mail that have "smartened" them.
const SINGLE_QUOTES = new Set(["'", '\u2018', '\u2019', '\u201A', '\u201B']);
const DOUBLE_QUOTES = new Set(['"', '\u201C', '\u201D', '\u201E']);

const BACKTICK_ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

const CLOSER: Readonly<Record<string, string>> = { '{': '}', '(': ')' };

const isQuote = (c: string | undefined): boolean =>
  c !== undefined && (SINGLE_QUOTES.has(c) || DOUBLE_QUOTES.has(c));

interface Quoted {
  value: string;
  /** Index just past the closing quote. */
  end: number;
}

function readSingleQuoted(text: string, start: number): Quoted | undefined {
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!;
    if (SINGLE_QUOTES.has(c)) {
      const next = text[i + 1];
      // Doubling is the only escape inside single quotes: 'It''s'.
      if (next !== undefined && SINGLE_QUOTES.has(next)) {
        value += next;
        i++;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += c;
  }
  return undefined;
}

/** A backtick escape starting at `at` (the backtick); undefined if the text ends there. */
function readEscape(text: string, at: number): Quoted | undefined {
  const c = text[at + 1];
  if (c === undefined) return undefined;
  if (c === 'u' && text[at + 2] === '{') {
    const m = /^\{([0-9a-fA-F]{1,6})\}/.exec(text.slice(at + 2));
    const code = m ? parseInt(m[1]!, 16) : NaN;
    if (!m || code > 0x10ffff) throw new CmdletSyntaxError('A `u{…} escape must hold 1 to 6 hex digits, at most 10FFFF.');
    return { value: String.fromCodePoint(code), end: at + 2 + m[0].length };
  }
  return { value: BACKTICK_ESCAPES[c] ?? c, end: at + 2 };
}

function readDoubleQuoted(text: string, start: number): Quoted | undefined {
  let value = '';
  for (let i = start + 1; i < text.length; ) {
    const c = text[i]!;
    if (c === '`') {
      const escape = readEscape(text, i);
      if (!escape) return undefined;
      value += escape.value;
      i = escape.end;
      continue;
    }
    if (DOUBLE_QUOTES.has(c)) {
      const next = text[i + 1];
      if (next !== undefined && DOUBLE_QUOTES.has(next)) {
        value += next;
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    // `$true` and `$(…)` stay literal: there are no variables to expand here.
    value += c;
    i++;
  }
  return undefined;
}

/** Reads the quoted string opening at `start`; undefined when it is never closed. */
function readQuoted(text: string, start: number): Quoted | undefined {
  return SINGLE_QUOTES.has(text[start]!) ? readSingleQuoted(text, start) : readDoubleQuoted(text, start);
}

function unterminatedQuote(text: string, start: number): CmdletSyntaxError {
  return new CmdletSyntaxError(
    `The string that starts with ${text[start]} at position ${start + 1} has no closing quote.`,
  );
}

/**
 * Inside lists and groups a quote opens a string only at the start of a word, so that an
 * apostrophe that bash passed through literally (O'Brien@contoso.com) stays a letter.
 */
function opensQuoteInWord(text: string, i: number): boolean {
  return isQuote(text[i]) && (i === 0 || !/[\p{L}\p{N}]/u.test(text[i - 1]!));
}

/**
 * Index just past the bracket that closes the group opening at `start` (`{`, `(`, `@{` or `@(`),
 * skipping brackets inside quoted strings; -1 if the text ends first. Throws when brackets are
 * crossed, as in `{a)`.
 */
export function findGroupEnd(text: string, start: number): number {
  const expected: string[] = [];
  let i = text[start] === '@' ? start + 1 : start;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '`') {
      i += 2;
      continue;
    }
    if (opensQuoteInWord(text, i)) {
      const quoted = readQuoted(text, i);
      if (!quoted) return -1;
      i = quoted.end;
      continue;
    }
    if (c === '{' || c === '(') expected.push(CLOSER[c]!);
    else if (c === '}' || c === ')') {
      if (expected.pop() !== c) {
        throw new CmdletSyntaxError(`The ${c} at position ${i + 1} does not match the bracket before it.`);
      }
      if (expected.length === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

/**
 * Splits `text` at any of the `separators` characters that stand outside quoted strings and
 * brackets. The pieces are raw: quotes are kept, for decodeWord.
 */
export function splitTopLevel(text: string, separators: string): string[] {
  const pieces: string[] = [];
  let from = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '`') {
      i += 2;
      continue;
    }
    if (opensQuoteInWord(text, i)) {
      const quoted = readQuoted(text, i);
      if (!quoted) throw unterminatedQuote(text, i);
      i = quoted.end;
      continue;
    }
    if (c === '{' || c === '(') {
      const end = findGroupEnd(text, i);
      if (end < 0) throw new CmdletSyntaxError(`The ${c} at position ${i + 1} is never closed.`);
      i = end;
      continue;
    }
    if (separators.includes(c)) {
      pieces.push(text.slice(from, i));
      from = i + 1;
    }
    i++;
  }
  pieces.push(text.slice(from));
  return pieces;
}

/**
 * One list item as a value: quoted parts lose their quotes (with escapes applied), backticks
 * escape the next character, and everything else, inner spaces included, is kept.
 */
export function decodeWord(raw: string): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === '`' && i + 1 < raw.length) {
      out += raw[i + 1];
      i += 2;
      continue;
    }
    if (opensQuoteInWord(raw, i)) {
      const quoted = readQuoted(raw, i);
      if (!quoted) throw unterminatedQuote(raw, i);
      out += quoted.value;
      i = quoted.end;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/**
 * Splits one command line into arguments the way PowerShell would, except that a `{…}`, `@{…}`
 * or `@(…)` group stays one argument, raw, for the binder to read as a list.
 */
export function splitCommandLine(line: string): string[] {
  const tokens: string[] = [];
  let current = '';
  // Tracked apart from `current` because '' (an empty quoted string) is still an argument.
  let inToken = false;
  const endToken = (): void => {
    if (inToken) tokens.push(current);
    current = '';
    inToken = false;
  };

  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      endToken();
      i++;
    } else if (c === '#' && !inToken) {
      break; // a comment, in both shells
    } else if (c === '`' && (line[i + 1] === '\n' || line[i + 1] === '\r')) {
      // Line continuation, as in a pasted multi-line PowerShell command.
      endToken();
      i += line.startsWith('\r\n', i + 1) ? 3 : 2;
    } else if (c === '`') {
      // Outside quotes a backtick only makes the next character literal.
      if (i + 1 >= line.length) throw new CmdletSyntaxError('The line ends with a backtick (`), which escapes nothing.');
      current += line[i + 1];
      inToken = true;
      i += 2;
    } else if (isQuote(c)) {
      const quoted = readQuoted(line, i);
      if (!quoted) throw unterminatedQuote(line, i);
      current += quoted.value;
      inToken = true;
      i = quoted.end;
    } else if (c === '{' || (c === '@' && (line[i + 1] === '{' || line[i + 1] === '('))) {
      const end = findGroupEnd(line, i);
      if (end < 0) {
        const opener = c === '@' ? line.slice(i, i + 2) : c;
        throw new CmdletSyntaxError(`The ${opener} at position ${i + 1} is never closed.`);
      }
      current += line.slice(i, end);
      inToken = true;
      i = end;
    } else if (c === ';' || c === '|') {
      throw new CmdletSyntaxError(
        `The ${c} at position ${i + 1} would start another command or a pipeline; give one command ` +
          `per line, and quote a value that contains ${c}.`,
      );
    } else {
      current += c;
      inToken = true;
      i++;
    }
  }
  endToken();
  return tokens;
}

const BARE_SAFE = /^[A-Za-z0-9_.:@/\\+=-]+$/;

/**
 * Quotes one argument for a PowerShell command line, so that splitCommandLine gives it back
 * unchanged. Values that need no quotes are left bare, for readable printed commands.
 */
export function quoteArgument(text: string): string {
  if (BARE_SAFE.test(text)) return text;
  return `'${text.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
}
