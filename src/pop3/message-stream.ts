// The bytes of a multi-line answer (RETR, TOP), made from stored message bytes that arrive in
// chunks. Pure: chunks in, chunks out.
//
// RFC 1939 §3: a line that begins with "." gets one more "." in front, and the answer ends with
// CRLF "." CRLF. A client that strips the extra dots and the terminator gets the stored bytes
// back exactly; a message that does not end in CRLF gets one added before the terminator,
// since the terminator must be CRLF "." CRLF.
//
// A line starts after every LF, bare or not. Delivery refuses bare LFs, but a message stored
// with one must still not let a lone "." after it end the answer early for clients that split
// lines on LF (Python's poplib does).

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const DOT_BUFFER = Buffer.from('.');
const TERMINATOR = Buffer.from('.\r\n');
const CRLF_TERMINATOR = Buffer.from('\r\n.\r\n');

export class DotStuffer {
  /** Whether the next byte starts a line; the message's first byte does. */
  private atLineStart = true;
  /** The last two bytes seen, to know whether the message ended with CRLF. */
  private last = -1;
  private beforeLast = -1;

  /** The chunk, dot-stuffed. Returns the input itself when no line in it starts with ".". */
  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    const parts: Buffer[] = [];
    let from = 0;
    if (this.atLineStart && chunk[0] === DOT) parts.push(DOT_BUFFER);
    for (let lf = chunk.indexOf(LF); lf >= 0; lf = chunk.indexOf(LF, lf + 1)) {
      if (lf + 1 < chunk.length && chunk[lf + 1] === DOT) {
        parts.push(chunk.subarray(from, lf + 1), DOT_BUFFER);
        from = lf + 1;
      }
    }
    this.beforeLast = chunk.length >= 2 ? chunk[chunk.length - 2]! : this.last;
    this.last = chunk[chunk.length - 1]!;
    this.atLineStart = this.last === LF;
    if (parts.length === 0) return chunk;
    parts.push(chunk.subarray(from));
    return Buffer.concat(parts);
  }

  /** The end of the answer: CRLF if the message did not end with one, then ".CRLF". */
  finish(): Buffer {
    return this.beforeLast === CR && this.last === LF ? TERMINATOR : CRLF_TERMINATOR;
  }
}

/**
 * TOP msg n (RFC 1939 §7): the header, the blank line that ends it, and the first n lines of
 * the body. Cuts a stream of message chunks at that point. A message without a blank line is
 * all header and is sent whole.
 */
export class TopCutter {
  private inHeader = true;
  /** Bytes of the current line so far, ignoring a CR (so "\r\n" alone counts as empty). */
  private lineLength = 0;
  private linesLeft: number;
  private finished = false;

  constructor(bodyLines: number) {
    this.linesLeft = bodyLines;
  }

  /** True once everything TOP sends has been taken: further chunks are not needed. */
  get done(): boolean {
    return this.finished;
  }

  /** The part of `chunk` that belongs to the answer. */
  take(chunk: Buffer): Buffer {
    if (this.finished) return chunk.subarray(0, 0);
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte !== LF) {
        if (byte !== CR) this.lineLength++;
        continue;
      }
      const emptyLine = this.lineLength === 0;
      this.lineLength = 0;
      if (this.inHeader) {
        if (!emptyLine) continue;
        this.inHeader = false;
      } else {
        this.linesLeft--;
      }
      if (this.linesLeft <= 0) {
        this.finished = true;
        return chunk.subarray(0, i + 1);
      }
    }
    return chunk;
  }
}
