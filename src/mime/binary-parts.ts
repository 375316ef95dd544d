// Binary content a client APPENDs as literal8 (RFC 3516 §4.4), put in a form every IMAP fetch can
// return. A part in Content-Transfer-Encoding binary may hold NUL and lines of any length, and
// IMAP can hand such bytes back only through BINARY[]: BODY[] and RFC822 use a literal, which
// must not hold NUL (RFC 3501 §4.3, CHAR8). So those parts are stored in base64 (as Dovecot does),
// and BINARY[] decodes them back to the bytes the client sent.
import type { MessagePart } from './scan.ts';
import { walkParts } from './scan.ts';

export type BinaryStorage =
  /** `data` is the message to store: the input itself when nothing needed converting. */
  | { ok: true; data: Buffer; converted: number }
  /** NUL where no encoding can carry it (a header, a multipart's preamble, a base64 body). */
  | { ok: false; reason: string };

const NUL = 0;
const LF = 0x0a;
const CR = 0x0d;
/** RFC 2045 §6.8: encoded lines are at most 76 characters. */
const BASE64_LINE = 76;

/** Parts whose bytes are the body as it is, which base64 can carry instead. */
function isIdentity(encoding: string | null): boolean {
  return encoding === null || encoding === '7bit' || encoding === '8bit' || encoding === 'binary';
}

function needsBase64(raw: Buffer, part: MessagePart): boolean {
  // Only leaves: RFC 2046 §5.1.1 and §5.2.1 forbid base64 on multipart and message/rfc822.
  if (part.kind !== 'leaf' || !isIdentity(part.encoding)) return false;
  return part.encoding === 'binary' || raw.subarray(part.bodyStart, part.bodyEnd).includes(NUL);
}

function base64Lines(data: Buffer, eol: string): string {
  const text = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += BASE64_LINE) lines.push(text.slice(i, i + BASE64_LINE));
  return lines.join(eol);
}

interface Edit {
  start: number;
  end: number;
  bytes: Buffer;
}

/** The header edits that make a part say `Content-Transfer-Encoding: base64`. */
function encodingFieldEdits(raw: Buffer, part: MessagePart, eol: string): Edit[] {
  const field = Buffer.from(`Content-Transfer-Encoding: base64${eol}`);
  const existing = part.fields.filter((f) => f.name.toLowerCase() === 'content-transfer-encoding');
  if (existing.length > 0) {
    // The first becomes base64; any repeats go, so no reader can pick the old value.
    return existing.map((f, i) => ({ start: f.start, end: f.end, bytes: i === 0 ? field : Buffer.alloc(0) }));
  }
  const last = part.fields[part.fields.length - 1];
  if (!last) return [{ start: part.headerStart, end: part.headerStart, bytes: field }];
  // A last field cut off without its line break (the header then owns the rest) gets one first.
  const bytes = raw[last.end - 1] === LF ? field : Buffer.concat([Buffer.from(eol), field]);
  return [{ start: last.end, end: last.end, bytes }];
}

/**
 * The message as it should be stored after a literal8 APPEND: each leaf in binary (or in
 * 7bit/8bit but holding NUL) re-encoded as base64, with its Content-Transfer-Encoding field to
 * match. Everything else is kept byte for byte. Refused when NUL remains anywhere else.
 */
export function storeBinaryParts(raw: Buffer, root: MessagePart): BinaryStorage {
  const edits: Edit[] = [];
  let converted = 0;
  for (const part of walkParts(root)) {
    if (!needsBase64(raw, part)) continue;
    // Lines end as the part's header lines do (CRLF unless the message uses bare LF).
    const firstEnd = part.fields[0]?.end ?? part.bodyStart;
    const eol = firstEnd >= 2 && raw[firstEnd - 1] === LF && raw[firstEnd - 2] !== CR ? '\n' : '\r\n';
    edits.push(...encodingFieldEdits(raw, part, eol));
    let encoded = base64Lines(raw.subarray(part.bodyStart, part.bodyEnd), eol);
    // A body followed by a boundary gives its last line break to the boundary (RFC 2046 §5.1.1);
    // one that runs to the end of the message ends with its own.
    if (part.bodyEnd === raw.length && encoded !== '') encoded += eol;
    edits.push({ start: part.bodyStart, end: part.bodyEnd, bytes: Buffer.from(encoded) });
    converted++;
  }
  if (converted === 0) {
    return raw.includes(NUL) ? { ok: false, reason: nulReason() } : { ok: true, data: raw, converted: 0 };
  }
  edits.sort((a, b) => a.start - b.start || a.end - b.end);
  const pieces: Buffer[] = [];
  let at = 0;
  for (const edit of edits) {
    pieces.push(raw.subarray(at, edit.start), edit.bytes);
    at = edit.end;
  }
  pieces.push(raw.subarray(at));
  const data = Buffer.concat(pieces);
  if (data.includes(NUL)) return { ok: false, reason: nulReason() };
  return { ok: true, data, converted };
}

function nulReason(): string {
  return 'The message holds NUL outside any part that can be stored in base64 (a header, a multipart, or an already encoded body).';
}
