// Decoded text of a message for full-text search (IMAP SEARCH BODY/TEXT, RFC 3501 §6.4.4):
// transfer encodings undone, charsets converted, HTML reduced to its words, and the
// Subject/From/To/Cc headers decoded. Everything here is lenient: mail in the wild breaks
// every rule, and a search index must still get the words that can be read.
import libmime from 'libmime';
import { decodeCharset, decodeHeaderBinary } from './charset.ts';
import { decodeHeaderText, formatAddressesDecoded, headerValue, parseAddressList, paramValue } from './headers.ts';
import { charsetHint, walkParts } from './scan.ts';
import { HTML_ENTITIES } from './html-entities.ts';
import type { MessagePart } from './scan.ts';

/** Default cap on the body text returned (characters). */
export const MAX_SEARCH_TEXT = 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Transfer encodings

const B64 = new Int16Array(256).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((c, i) => (B64[c.charCodeAt(0)] = i));
// The URL-safe alphabet (RFC 4648 §5) turns up from some web mailers.
B64['-'.charCodeAt(0)] = 62;
B64['_'.charCodeAt(0)] = 63;

/**
 * Base64 (RFC 2045 §6.8) that skips whatever is not in the alphabet (line breaks, spaces,
 * junk) and treats "=" as the end of a quantum, so concatenated encodings decode too.
 */
export function decodeBase64(input: Uint8Array): Buffer {
  const out = Buffer.alloc(Math.floor((input.length * 3) / 4) + 3);
  let n = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === 0x3d) {
      // "=": drop the partial bits of this quantum, start a new one.
      acc = 0;
      bits = 0;
      continue;
    }
    const v = B64[c]!;
    if (v < 0) continue;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57; // lower case is not allowed, but is sent
  return -1;
}

function isBlank(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09;
}

/** Whether a line ends at input[j]: CRLF, LF or the end of the input. */
function lineEndsAt(input: Uint8Array, j: number): boolean {
  return j >= input.length || input[j] === 0x0a || (input[j] === 0x0d && input[j + 1] === 0x0a);
}

/**
 * Quoted-printable (RFC 2045 §6.7): "=XX" is a byte, "=" before a line break (blanks
 * allowed between) is a soft break; any other "=" stays as it is. Blanks at the end of a
 * line are dropped: rule (3) says an encoder never leaves them there, so they were added in
 * transport (and IMAP BINARY[] must not return them, RFC 3516 §4.2).
 */
export function decodeQuotedPrintable(input: Uint8Array): Buffer {
  const out = Buffer.alloc(input.length);
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (isBlank(c)) {
      // The whole run at once, so a long run of blanks is read once, not once per blank.
      let j = i + 1;
      while (isBlank(input[j])) j++;
      if (!lineEndsAt(input, j)) for (let k = i; k < j; k++) out[n++] = input[k]!;
      i = j - 1;
      continue;
    }
    if (c !== 0x3d) {
      out[n++] = c;
      continue;
    }
    const hi = hexValue(input[i + 1]);
    const lo = hexValue(input[i + 2]);
    if (hi >= 0 && lo >= 0) {
      out[n++] = (hi << 4) | lo;
      i += 2;
      continue;
    }
    let j = i + 1;
    while (isBlank(input[j])) j++;
    if (input[j] === 0x0d && input[j + 1] === 0x0a) {
      i = j + 1;
    } else if (input[j] === 0x0a) {
      i = j;
    } else if (j >= input.length) {
      i = j; // "=" at the very end: a soft break with nothing after it
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

/** Undoes a Content-Transfer-Encoding; unknown ones (7bit, 8bit, binary, x-uuencode...) pass. */
export function decodeTransferEncoding(body: Uint8Array, encoding: string | null): Buffer {
  switch (encoding) {
    case 'base64':
      return decodeBase64(body);
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }
}

// ---------------------------------------------------------------------------------------
// HTML

/**
 * Entities for search text: as HTML defines them, except &nbsp; becomes a plain space, so that words
 * joined by a no-break space are still found one by one (the index splits words at spaces).
 */
const ENTITIES: Readonly<Record<string, string>> = { ...HTML_ENTITIES, nbsp: ' ' };

export function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});?/g, (whole, name: string) => {
    if (name.startsWith('#')) {
      const cp = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '\ufffd';
      return String.fromCodePoint(cp);
    }
    return ENTITIES[name] ?? whole;
  });
}

/** Tags after which text reads as a new line. */
const BLOCK_TAGS = new Set([
  'br', 'p', 'div', 'tr', 'li', 'ul', 'ol', 'table', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'blockquote', 'pre', 'hr', 'td', 'th', 'dd', 'dt', 'section', 'article', 'header', 'footer', 'title',
]);
/** Elements whose content is not text. */
const SKIP_CONTENT = new Set(['script', 'style', 'head', 'xml', 'template', 'noscript']);

/**
 * HTML to plain words: tags dropped (block tags become line breaks), script/style/head
 * content and comments dropped, entities decoded. Linear in the input: every search moves
 * forward, and a "<" with no ">" anywhere after it ends the tag handling.
 */
export function htmlToText(html: string): string {
  const lower = html.toLowerCase();
  let out = '';
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      out += html.slice(i);
      break;
    }
    out += html.slice(i, lt);
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      if (end < 0) break;
      i = end + 3;
      continue;
    }
    const gt = html.indexOf('>', lt + 1);
    if (gt < 0) {
      out += html.slice(lt); // no tag can close any more: the rest is text
      break;
    }
    const m = /^<\/?([a-zA-Z][a-zA-Z0-9:-]*)/.exec(html.slice(lt, Math.min(gt + 1, lt + 64)));
    const name = m?.[1]?.toLowerCase() ?? '';
    if (m === null && !/^<[!?/]/.test(html.slice(lt, lt + 2))) {
      out += '<'; // "a < b": not a tag
      i = lt + 1;
      continue;
    }
    i = gt + 1;
    const closing = html[lt + 1] === '/';
    if (!closing && SKIP_CONTENT.has(name) && html[gt - 1] !== '/') {
      const end = lower.indexOf(`</${name}`, i);
      if (end < 0) break;
      const endGt = html.indexOf('>', end);
      i = endGt < 0 ? html.length : endGt + 1;
      continue;
    }
    if (BLOCK_TAGS.has(name)) out += '\n';
    else if (name !== '') out += ' ';
  }
  return decodeEntities(out)
    .replace(/[ \t\r\f\v\u00a0]+/g, ' ')
    .replace(/ ?\n[\n ]*/g, '\n')
    .trim();
}

// ---------------------------------------------------------------------------------------
// Parts and messages

/** Decoded text of one text part (transfer encoding, charset, format=flowed). */
export function partText(raw: Buffer, part: MessagePart, maxBytes = Number.POSITIVE_INFINITY): string {
  const end = Math.min(part.bodyEnd, part.bodyStart + maxBytes);
  const bytes = decodeTransferEncoding(raw.subarray(part.bodyStart, end), part.encoding);
  const params = part.contentType.params;
  let text = decodeCharset(bytes, paramValue(params, 'charset'));
  if (part.contentType.subtype === 'html') return htmlToText(text);
  // RFC 3676: undo soft line breaks so that words split across lines are found.
  if (paramValue(params, 'format')?.toLowerCase() === 'flowed') {
    try {
      text = libmime.decodeFlowed(text, paramValue(params, 'delsp')?.toLowerCase() === 'yes');
    } catch {
      // keep the text as it is
    }
  }
  return text;
}

function isSearchableText(part: MessagePart): boolean {
  const { type, subtype } = part.contentType;
  return part.kind === 'leaf' && type === 'text' && (subtype === 'plain' || subtype === 'html');
}

export interface SearchText {
  /** Decoded Subject, From, To and Cc, one per line. */
  headers: string;
  /** Decoded text of the text/plain and text/html parts, attached messages included. */
  body: string;
  /**
   * The first piece of `body` that is its part's bytes exactly, as UTF-8 (a text/plain part in
   * 7bit or 8bit, US-ASCII or UTF-8): where it is in `body` (UTF-16 offset and length) and in
   * the message (bytes [start, end)). A store can check a search against those bytes instead of
   * keeping the text twice. None when a piece holds a character whose lower case is ASCII
   * though it is not (U+0130, U+212A), since those bytes are then folded by ASCII rules.
   */
  verbatim: { offset: number; length: number; start: number; end: number } | null;
}

/** Characters outside ASCII whose lower case (JavaScript's toLowerCase) holds an ASCII letter. */
const LOWERS_TO_ASCII = /[\u0130\u212a]/;

/** Text for the full-text index of a scanned message. */
export function extractSearchText(raw: Buffer, root: MessagePart, maxChars = MAX_SEARCH_TEXT): SearchText {
  const hint = charsetHint(root);
  const lines: string[] = [];
  for (const name of ['subject', 'from', 'to', 'cc']) {
    const value = headerValue(raw, root.fields, name);
    if (value === null) continue;
    lines.push(name === 'subject' ? decodeHeaderText(value, hint) : formatAddressesDecoded(parseAddressList(decodeHeaderBinary(value, hint))));
  }

  const pieces: string[] = [];
  let total = 0;
  let verbatim: SearchText['verbatim'] = null;
  for (const part of walkParts(root)) {
    if (total >= maxChars) break;
    if (!isSearchableText(part)) continue;
    // Decoding more input than could fit is wasted: base64 shrinks, HTML loses its tags, a
    // character takes at most 4 bytes; 8 bytes of input per character left is ample.
    const text = partText(raw, part, (maxChars - total) * 8 + 1024);
    if (text === '') continue;
    const piece = text.slice(0, maxChars - total);
    if (verbatim === null && piece.length === text.length && isVerbatim(raw, part, piece) && total + piece.length <= maxChars) {
      verbatim = { offset: total, length: piece.length, start: part.bodyStart, end: part.bodyEnd };
    }
    pieces.push(piece);
    total += piece.length + 1;
  }
  return { headers: lines.join('\n'), body: pieces.join('\n').slice(0, maxChars), verbatim };
}

/** The part's text is its bytes as they are, read as UTF-8 (see SearchText.verbatim). */
function isVerbatim(raw: Buffer, part: MessagePart, text: string): boolean {
  if (part.contentType.subtype !== 'plain' || LOWERS_TO_ASCII.test(text)) return false;
  const bytes = raw.subarray(part.bodyStart, part.bodyEnd);
  return Buffer.byteLength(text) === bytes.length && Buffer.from(text).equals(bytes);
}
