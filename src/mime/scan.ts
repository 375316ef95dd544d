// One pass over a raw message that finds every MIME part (RFC 2045, RFC 2046) and records where
// its header and body lie, plus the Content-* fields IMAP's BODYSTRUCTURE reports.
//
// The scan walks the bytes line by line, with an explicit stack of the parts still open, so
// nesting costs no recursion. Only LF ends a line (a CR before it belongs to the terminator);
// a bare CR is an ordinary byte, as in the IMAP servers clients are used to. Any input gives
// a tree: a boundary never found leaves its part running to the end of the data, a header
// without a blank line owns everything up to the end, and nesting or part counts past the
// limits leave the rest as the body of the last part that could be opened.
import { FieldCollector, headerValue, isBlankLine, parseLanguageList, parseStructured, parseToken } from './headers.ts';
import type { HeaderField, HeaderParam } from './headers.ts';
import { decodeHeaderBinary } from './charset.ts';

/** Containers nested deeper than this are not opened (their content is one opaque body). */
export const MAX_DEPTH = 64;
/** At most this many parts per message; what follows belongs to the enclosing body. */
export const MAX_PARTS = 10_000;

export interface ContentType {
  /** Lower-cased, e.g. "text". */
  type: string;
  /** Lower-cased, e.g. "plain". */
  subtype: string;
  params: HeaderParam[];
  /**
   * "header": as the Content-Type field says; "default": there was no field (RFC 2045 §5.2:
   * text/plain; charset=us-ascii, or message/rfc822 inside multipart/digest per RFC 2046
   * §5.1.5); "invalid": a field that did not parse, which RFC 2045 §5.2 also reads as
   * text/plain; charset=us-ascii.
   */
  source: 'header' | 'default' | 'invalid';
}

export interface ContentDisposition {
  /** Lower-cased, e.g. "attachment". */
  type: string;
  params: HeaderParam[];
}

/**
 * leaf: a body without parts. multipart: children split at boundaries. message: a
 * message/rfc822 (or message/global) whose body was parsed as one child message. opaque: a
 * container type whose content was not opened (no boundary, a transfer encoding other than
 * 7bit/8bit/binary on message/*, or past MAX_DEPTH / MAX_PARTS).
 */
export type PartKind = 'leaf' | 'multipart' | 'message' | 'opaque';

export interface MessagePart {
  kind: PartKind;
  /** 0 for the message itself. */
  depth: number;
  /** Offset of the first header byte. */
  headerStart: number;
  /** Offset after the blank line that ends the header (or where the header was cut off). */
  headerEnd: number;
  /** Same as headerEnd. */
  bodyStart: number;
  /** Offset after the last body byte; the line break before a boundary is not the body's. */
  bodyEnd: number;
  /** bodyEnd - bodyStart: the size in its transfer encoding, as IMAP reports it. */
  bodySize: number;
  /**
   * Lines of the body (RFC 3501 body-fld-lines): its line ends. A line is text ended by a line
   * break (RFC 5322 §2.1), and a part's last bytes before a boundary have none (RFC 2046
   * §5.1.1 gives that break to the boundary), so they are not counted.
   */
  bodyLines: number;
  /** Header fields by byte offset, in order. */
  fields: HeaderField[];
  contentType: ContentType;
  disposition: ContentDisposition | null;
  /** Content-Transfer-Encoding, lower-cased; null when absent (meaning 7bit). */
  encoding: string | null;
  /** Content-ID as written. */
  id: string | null;
  /** Content-Description as written (8-bit bytes decoded, encoded words kept). */
  description: string | null;
  /** Content-MD5 as written. */
  md5: string | null;
  /** Content-Language tags (RFC 3282). */
  language: string[] | null;
  /** Content-Location as written (RFC 2557). */
  location: string | null;
  /** Parts of a multipart, or the single encapsulated message of a message part. */
  children: MessagePart[];
}

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
const SP = 0x20;
const HT = 0x09;

const DEFAULT_TEXT: ContentType = {
  type: 'text',
  subtype: 'plain',
  params: [{ name: 'charset', value: 'us-ascii', charset: null, language: null, raw: 'us-ascii' }],
  source: 'default',
};

/** RFC 2045 §5.1 token characters (no specials, no controls, no space). */
const TOKEN = /^[!#$%&'*+\-.^_`{|}~0-9A-Za-z\x80-\xff]+$/;

function parseContentType(value: string | null, inDigest: boolean): ContentType {
  if (value === null) {
    return inDigest ? { type: 'message', subtype: 'rfc822', params: [], source: 'default' } : cloneType(DEFAULT_TEXT);
  }
  const parsed = parseStructured(value);
  const slash = parsed.value.indexOf('/');
  // RFC 822 lexical rules allow blanks around the "/".
  const type = parsed.value.slice(0, slash).trim().toLowerCase();
  const subtype = parsed.value.slice(slash + 1).trim().toLowerCase();
  if (slash < 0 || !TOKEN.test(type) || !TOKEN.test(subtype)) return { ...cloneType(DEFAULT_TEXT), source: 'invalid' };
  return { type, subtype, params: parsed.params, source: 'header' };
}

function cloneType(t: ContentType): ContentType {
  return { ...t, params: t.params.map((p) => ({ ...p })) };
}

function parseDisposition(value: string | null): ContentDisposition | null {
  if (value === null) return null;
  const parsed = parseStructured(value);
  if (parsed.value === '') return null;
  return { type: parsed.value.toLowerCase(), params: parsed.params };
}

function textField(raw: Buffer, fields: HeaderField[], name: string): string | null {
  const v = headerValue(raw, fields, name);
  return v === null ? null : decodeHeaderBinary(v);
}

/** Encodings under which a message/* body is still readable as a message (RFC 2046 §5.2.1). */
function isIdentityEncoding(encoding: string | null): boolean {
  return encoding === null || encoding === '' || encoding === '7bit' || encoding === '8bit' || encoding === 'binary';
}

function describePart(raw: Buffer, fields: HeaderField[], depth: number, headerStart: number, bodyStart: number, inDigest: boolean): MessagePart {
  const language = textField(raw, fields, 'content-language');
  const langs = language === null ? null : parseLanguageList(language);
  const encodingValue = headerValue(raw, fields, 'content-transfer-encoding');
  const encoding = encodingValue === null ? null : parseToken(encodingValue) || null;
  return {
    kind: 'leaf',
    depth,
    headerStart,
    headerEnd: bodyStart,
    bodyStart,
    bodyEnd: bodyStart,
    bodySize: 0,
    bodyLines: 0,
    fields,
    contentType: parseContentType(headerValue(raw, fields, 'content-type'), inDigest),
    disposition: parseDisposition(headerValue(raw, fields, 'content-disposition')),
    encoding,
    id: textField(raw, fields, 'content-id'),
    description: textField(raw, fields, 'content-description'),
    md5: textField(raw, fields, 'content-md5'),
    language: langs === null || langs.length === 0 ? null : langs,
    location: textField(raw, fields, 'content-location'),
    children: [],
  };
}

interface Frame {
  part: MessagePart;
  /** Boundary bytes (without the leading "--") of an open multipart, else null. */
  boundary: Buffer | null;
  /** A multipart past its close delimiter (or out of part budget) takes no more parts. */
  closed: boolean;
  /** LFs before bodyStart, for line counts. */
  lfAtBody: number;
}

interface BoundaryMatch {
  frameIndex: number;
  close: boolean;
}

class Scanner {
  private pos = 0;
  /** LF bytes before pos. */
  private lfCount = 0;
  private partCount = 0;
  private readonly stack: Frame[] = [];

  constructor(private readonly raw: Buffer) {}

  run(): MessagePart {
    const raw = this.raw;
    const root = this.openChain(0, false);
    while (this.pos < raw.length) {
      const lineStart = this.pos;
      const lineEnd = this.lineEnd(lineStart);
      if (raw[lineStart] === DASH && raw[lineStart + 1] === DASH) {
        const match = this.matchBoundary(lineStart, lineEnd);
        if (match !== null) {
          this.onBoundary(match, lineStart, lineEnd);
          continue;
        }
      }
      this.advance(lineEnd);
    }
    while (this.stack.length > 0) this.close(this.stack.pop()!, raw.length, this.lfCount);
    return root;
  }

  private lineEnd(from: number): number {
    const lf = this.raw.indexOf(LF, from);
    return lf < 0 ? this.raw.length : lf + 1;
  }

  private advance(lineEnd: number): void {
    if (lineEnd > this.pos && this.raw[lineEnd - 1] === LF) this.lfCount++;
    this.pos = lineEnd;
  }

  /**
   * RFC 2046 §5.1.1: "--" boundary, "--" again for the close delimiter, then optional linear
   * whitespace (transport padding). Innermost open multipart first; a boundary of an outer
   * one also ends everything inside it (an inner multipart left unclosed).
   */
  private matchBoundary(lineStart: number, lineEnd: number): BoundaryMatch | null {
    const raw = this.raw;
    let contentEnd = lineEnd;
    if (contentEnd > lineStart && raw[contentEnd - 1] === LF) contentEnd--;
    if (contentEnd > lineStart && raw[contentEnd - 1] === CR) contentEnd--;
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const frame = this.stack[i]!;
      const b = frame.boundary;
      if (b === null || frame.closed) continue;
      let at = lineStart + 2;
      if (contentEnd - at < b.length || b.compare(raw, at, at + b.length) !== 0) continue;
      at += b.length;
      let close = false;
      if (contentEnd - at >= 2 && raw[at] === DASH && raw[at + 1] === DASH) {
        close = true;
        at += 2;
      }
      while (at < contentEnd && (raw[at] === SP || raw[at] === HT)) at++;
      if (at === contentEnd) return { frameIndex: i, close };
    }
    return null;
  }

  private onBoundary(match: BoundaryMatch, lineStart: number, lineEnd: number): void {
    const raw = this.raw;
    // RFC 2046 §5.1.1: the line break before a boundary is part of the boundary.
    let eol = 0;
    if (lineStart > 0 && raw[lineStart - 1] === LF) eol = lineStart > 1 && raw[lineStart - 2] === CR ? 2 : 1;
    let end = lineStart - eol;
    let lfAtEnd = this.lfCount - (eol > 0 ? 1 : 0);
    while (this.stack.length - 1 > match.frameIndex) {
      const frame = this.stack.pop()!;
      // A part whose header reaches the boundary line has an empty body starting at that
      // line; the parts around it must still contain it, so they end there too rather than
      // before the line break (which then belongs to that header).
      if (frame.part.bodyStart > end) {
        end = frame.part.bodyStart;
        lfAtEnd = this.lfCount;
      }
      this.close(frame, end, lfAtEnd);
    }
    const frame = this.stack[match.frameIndex]!;
    this.advance(lineEnd);
    if (match.close || this.partCount >= MAX_PARTS) {
      frame.closed = true;
      return;
    }
    const parent = frame.part;
    const inDigest = parent.contentType.subtype === 'digest';
    parent.children.push(this.openChain(parent.depth + 1, inDigest));
  }

  private close(frame: Frame, end: number, lfAtEnd: number): void {
    const part = frame.part;
    const bodyEnd = Math.max(end, part.bodyStart);
    part.bodyEnd = bodyEnd;
    part.bodySize = bodyEnd - part.bodyStart;
    part.bodyLines = part.bodySize === 0 ? 0 : Math.max(0, lfAtEnd - frame.lfAtBody);
  }

  /**
   * Opens a part at pos (reading its header) and, while the part is a message/* container,
   * its encapsulated message too; returns the first part opened.
   */
  private openChain(depth: number, inDigest: boolean): MessagePart {
    const first = this.openPart(depth, inDigest);
    let part = first;
    while (part.kind === 'message') {
      const child = this.openPart(part.depth + 1, false);
      part.children.push(child);
      part = child;
    }
    return first;
  }

  /** Reads one header at pos, pushes the new part's frame, leaves pos at its body. */
  private openPart(depth: number, inDigest: boolean): MessagePart {
    const raw = this.raw;
    const headerStart = this.pos;
    const collector = new FieldCollector();
    while (this.pos < raw.length) {
      const lineStart = this.pos;
      const lineEnd = this.lineEnd(lineStart);
      if (isBlankLine(raw, lineStart, lineEnd)) {
        this.advance(lineEnd);
        break;
      }
      // A part whose header runs into the next boundary has an empty body.
      if (raw[lineStart] === DASH && raw[lineStart + 1] === DASH && this.matchBoundary(lineStart, lineEnd) !== null) break;
      collector.addLine(raw, lineStart, lineEnd);
      this.advance(lineEnd);
    }
    this.partCount++;
    const part = describePart(raw, collector.fields, depth, headerStart, this.pos, inDigest);
    const frame: Frame = { part, boundary: null, closed: false, lfAtBody: this.lfCount };
    this.classify(frame);
    this.stack.push(frame);
    return part;
  }

  private classify(frame: Frame): void {
    const part = frame.part;
    const { type, subtype } = part.contentType;
    if (type === 'multipart') {
      const boundary = part.contentType.params.find((p) => p.name === 'boundary')?.raw ?? '';
      // RFC 2046 §5.1.1 requires a boundary; without one the body cannot be split.
      if (boundary === '' || part.depth >= MAX_DEPTH) {
        part.kind = 'opaque';
        return;
      }
      part.kind = 'multipart';
      frame.boundary = Buffer.from(boundary, 'latin1');
    } else if (type === 'message' && (subtype === 'rfc822' || subtype === 'global')) {
      const open = part.depth < MAX_DEPTH && this.partCount < MAX_PARTS && isIdentityEncoding(part.encoding);
      part.kind = open ? 'message' : 'opaque';
    }
  }
}

/** Finds every part of a raw message. Never throws; offsets are within [0, raw.length]. */
export function scanMessage(raw: Buffer): MessagePart {
  return new Scanner(raw).run();
}

/** All parts in document order (a part before its children), without recursion. */
export function walkParts(root: MessagePart): MessagePart[] {
  const out: MessagePart[] = [];
  const todo: MessagePart[] = [root];
  while (todo.length > 0) {
    const part = todo.pop()!;
    out.push(part);
    for (let i = part.children.length - 1; i >= 0; i--) todo.push(part.children[i]!);
  }
  return out;
}

/** "type/subtype" of a part. */
export function mimeType(part: MessagePart): string {
  return `${part.contentType.type}/${part.contentType.subtype}`;
}

/**
 * The charset of the first text part of a message node that names a non-ASCII charset: the
 * best guess for header bytes the same mailer sent raw (8-bit) instead of encoded.
 */
export function charsetHint(message: MessagePart): string | null {
  const todo: MessagePart[] = [message];
  for (let i = 0; i < todo.length; i++) {
    const part = todo[i]!;
    if (part.contentType.type === 'text') {
      const charset = part.contentType.params.find((p) => p.name === 'charset')?.value.trim().toLowerCase();
      if (charset !== undefined && charset !== '' && charset !== 'us-ascii' && charset !== 'ascii') return charset;
    }
    // Stay inside this message: an attached message may come from another mailer.
    if (part.kind === 'multipart') todo.push(...part.children);
  }
  return null;
}
