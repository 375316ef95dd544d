// Command framing: where one command ends in a byte stream, given that a line ending with a
// literal announcement continues after the literal's bytes (RFC 3501 §4.3, §7.5).
//
// The session needs two answers while it reads: does this line announce a literal, and how
// large, and must the client wait for "+" (a synchronizing literal) or not (LITERAL+/LITERAL-,
// RFC 7888)? It bounds the size before it reads a byte of it (APPENDLIMIT, MaxCommandSize)
// and, for a synchronizing literal, answers "+ Ready" or a tagged NO [TOOBIG] / BAD.

import { ParseError } from './errors.ts';

/** One line of a command (without CRLF) and the literal it announced at its end, if any. */
export interface Segment {
  text: Buffer;
  literal?: Buffer;
}

export interface LiteralAnnouncement {
  /** Octets announced. Absurd sizes come through as large numbers (or Infinity) to be refused. */
  size: number;
  /** `{n+}`: the client does not wait for a continuation (RFC 7888 §3). */
  nonSync: boolean;
  /** `~{n}`: a literal8 that may hold NUL and any octet (RFC 3516 §4.1, APPEND only). */
  binary: boolean;
  /** Where the marker (its `~` or `{`) starts in the line. */
  offset: number;
}

/** RFC 7888 §4: with LITERAL- a non-synchronizing literal is at most 4096 octets. */
export const LITERAL_MINUS_MAX = 4096;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const TILDE = 0x7e;
const PLUS = 0x2b;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const CR = 0x0d;
const LF = 0x0a;

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** Whether position `at` of the line lies inside a quoted string (a quote cannot span lines). */
function insideQuotes(line: Buffer, at: number): boolean {
  let quoted = false;
  for (let i = 0; i < at; i++) {
    const c = line[i];
    if (quoted && c === BACKSLASH) i++;
    else if (c === DQUOTE) quoted = !quoted;
  }
  return quoted;
}

/**
 * The literal a line (without its CRLF) announces at its end: `{n}`, `{n+}`, `~{n}` or
 * `~{n+}`; null when it announces none. A marker outside quotes counts even where the syntax
 * around it is wrong: the client will send the bytes anyway, and the tokenizer reports the
 * error once they have been read, so the stream stays in step with the client.
 */
export function literalAnnouncement(line: Buffer): LiteralAnnouncement | null {
  let i = line.length - 1;
  if (line[i] !== CLOSE_BRACE) return null;
  i--;
  const nonSync = line[i] === PLUS;
  if (nonSync) i--;
  const digitsEnd = i + 1;
  while (isDigit(line[i])) i--;
  if (i + 1 === digitsEnd || line[i] !== OPEN_BRACE) return null;
  const digits = line.toString('latin1', i + 1, digitsEnd);
  const binary = line[i - 1] === TILDE;
  const offset = binary ? i - 1 : i;
  if (insideQuotes(line, offset)) return null;
  return { size: Number(digits), nonSync, binary, offset };
}

export type Frame =
  /** A whole command: its segments and how many bytes (through the final CRLF) it took. */
  | { status: 'complete'; segments: Segment[]; length: number }
  /** The current line has not ended yet; `pending` bytes of it have arrived. */
  | { status: 'line'; segments: Segment[]; pending: number }
  /** A literal is being read: `received` of `literal.size` octets have arrived. */
  | { status: 'literal'; segments: Segment[]; literal: LiteralAnnouncement; line: Buffer; received: number };

/**
 * Finds the first command in `bytes`. A bare LF ends a line as well as CRLF does (some clients
 * send it; the line reader accepts it too). Call again with more bytes until 'complete'.
 */
export function frameCommand(bytes: Buffer): Frame {
  const segments: Segment[] = [];
  let pos = 0;
  for (;;) {
    const lf = bytes.indexOf(LF, pos);
    if (lf < 0) return { status: 'line', segments, pending: bytes.length - pos };
    const end = lf > pos && bytes[lf - 1] === CR ? lf - 1 : lf;
    const text = bytes.subarray(pos, end);
    const literal = literalAnnouncement(text);
    if (literal === null) {
      segments.push({ text });
      return { status: 'complete', segments, length: lf + 1 };
    }
    const available = bytes.length - (lf + 1);
    if (available < literal.size) return { status: 'literal', segments, literal, line: text, received: available };
    segments.push({ text, literal: bytes.subarray(lf + 1, lf + 1 + literal.size) });
    pos = lf + 1 + literal.size;
  }
}

/**
 * One command given as a single buffer (`A1 LOGIN {4}\r\nuser pass\r\n`) → its segments.
 * The final CRLF may be left out. Throws ParseError when the bytes hold less or more than
 * one command.
 */
export function splitCommand(bytes: Buffer): Segment[] {
  const frame = frameCommand(bytes);
  if (frame.status === 'complete') {
    if (frame.length !== bytes.length) throw new ParseError('Unexpected data after the command');
    return frame.segments;
  }
  if (frame.status === 'literal') throw new ParseError('Literal data is incomplete');
  const rest = bytes.subarray(bytes.length - frame.pending);
  if (literalAnnouncement(rest) !== null) throw new ParseError('Literal data is incomplete');
  return [...frame.segments, { text: rest }];
}
