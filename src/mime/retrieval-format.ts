// MessageRetrievalMimeFormat (Set-PopSettings, Set-ImapSettings, Set-CASMailbox
// -Pop/ImapMessagesRetrievalMimeFormat): the message a POP3 or IMAP4 client receives, with its
// body turned into the form the setting names. Pure: bytes in, bytes out.
//
// Only the body changes: the message's own header fields (From, Subject, Date, …) are kept as
// written, and every attachment, inline image and attached message is copied byte for byte.
// The body is the first text part, multipart/alternative or multipart/related of the message
// (or of its first multipart/mixed part, as mailers write attachments). Signed and encrypted
// messages are never touched: a changed byte would break the signature.
//
// The output is a function of the stored bytes and the format alone (the new boundary comes
// from a hash of them), so a message has the same converted size in LIST, STAT, RFC822.SIZE
// and every RETR or FETCH, whichever process computes it.
import { createHash } from 'node:crypto';
import { decodeCharset } from './charset.ts';
import { paramValue } from './headers.ts';
import { scanMessage, type MessagePart } from './scan.ts';
import { decodeTransferEncoding } from './text.ts';
import { enrichedToPlainText, htmlToEnriched, htmlToPlainText, plainTextToEnriched, plainTextToHtml } from './body-convert.ts';

export const RETRIEVAL_FORMATS = [
  'TextOnly', 'HtmlOnly', 'HtmlAndTextAlternative', 'TextEnrichedOnly', 'TextEnrichedAndTextAlternative', 'BestBodyFormat',
] as const;
export type RetrievalFormat = (typeof RETRIEVAL_FORMATS)[number];

export function isRetrievalFormat(v: unknown): v is RetrievalFormat {
  return typeof v === 'string' && (RETRIEVAL_FORMATS as readonly string[]).includes(v);
}

type BodyKind = 'plain' | 'html' | 'enriched';

/** The forms each format sends, in multipart/alternative order (simplest first, RFC 2046 §5.1.4). */
const WANTED: Record<Exclude<RetrievalFormat, 'BestBodyFormat'>, BodyKind[]> = {
  TextOnly: ['plain'],
  HtmlOnly: ['html'],
  HtmlAndTextAlternative: ['plain', 'html'],
  TextEnrichedOnly: ['enriched'],
  TextEnrichedAndTextAlternative: ['plain', 'enriched'],
};

/** Text bodies larger than this (decoded) are left as they are: conversion must stay bounded. */
export const MAX_CONVERTED_BODY = 8 * 1024 * 1024;

const SUBTYPE: Record<BodyKind, string> = { plain: 'plain', html: 'html', enriched: 'enriched' };

const isAttachment = (p: MessagePart) => p.disposition?.type === 'attachment';

function textKind(p: MessagePart): BodyKind | null {
  if (p.kind !== 'leaf' || p.contentType.type !== 'text' || isAttachment(p)) return null;
  const s = p.contentType.subtype;
  return s === 'plain' ? 'plain' : s === 'html' ? 'html' : s === 'enriched' ? 'enriched' : null;
}

/** The body: a text leaf, multipart/alternative or multipart/related; null when there is none to convert. */
function findBody(root: MessagePart): MessagePart | null {
  let part = root;
  for (let depth = 0; depth < 8; depth++) {
    if (textKind(part)) return part;
    if (part.kind !== 'multipart') return null;
    const sub = part.contentType.subtype;
    if (sub === 'alternative' || sub === 'related') return part;
    // multipart/signed, encrypted, report, digest…: left as they are.
    if (sub !== 'mixed' || part.children.length === 0) return null;
    part = part.children[0]!;
  }
  return null;
}

interface Source {
  kind: BodyKind;
  part: MessagePart;
}

/** The text forms the body offers: every text leaf of an alternative, the root of a related. */
function sourcesOf(body: MessagePart): Source[] {
  const kind = textKind(body);
  if (kind) return [{ kind, part: body }];
  const sub = body.contentType.subtype;
  if (sub === 'alternative') {
    const found: Source[] = [];
    for (const child of body.children) {
      const k = textKind(child);
      if (k) found.push({ kind: k, part: child });
      else if (child.kind === 'multipart' && child.contentType.subtype === 'related' && child.children[0]) {
        const rootKind = textKind(child.children[0]);
        if (rootKind) found.push({ kind: rootKind, part: child.children[0] });
      }
    }
    return found;
  }
  if (sub === 'related' && body.children[0]) {
    const first = body.children[0];
    return first.kind === 'multipart' && first.contentType.subtype === 'alternative' ? sourcesOf(first) : textKind(first) ? [{ kind: textKind(first)!, part: first }] : [];
  }
  return [];
}

function decodedText(raw: Buffer, part: MessagePart): string {
  const bytes = decodeTransferEncoding(raw.subarray(part.bodyStart, part.bodyEnd), part.encoding);
  return decodeCharset(bytes, paramValue(part.contentType.params, 'charset'));
}

/** The form `kind` of the body: the stored part when the body has it, else converted from the best source. */
function produce(raw: Buffer, sources: Source[], kind: BodyKind): { stored: MessagePart } | { text: string } {
  const same = sources.find((s) => s.kind === kind);
  if (same) return { stored: same.part };
  // Convert from the richest form available: HTML, then enriched, then plain.
  const from = sources.find((s) => s.kind === 'html') ?? sources.find((s) => s.kind === 'enriched') ?? sources[0]!;
  const text = decodedText(raw, from.part);
  if (kind === 'plain') return { text: from.kind === 'html' ? htmlToPlainText(text) : enrichedToPlainText(text) };
  if (kind === 'html') return { text: plainTextToHtml(from.kind === 'enriched' ? enrichedToPlainText(text) : text) };
  return { text: from.kind === 'html' ? htmlToEnriched(text) : plainTextToEnriched(text) };
}

/** Base64 with 76-character lines (RFC 2045 §6.8): any text, any line length, no 8-bit bytes. */
function base64Lines(data: Buffer): string {
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join('\r\n');
}

function isShortAscii(text: string): boolean {
  let lineLength = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7e || c === 0) return false;
    if (c === 0x0a) lineLength = 0;
    else if (++lineLength > 76) return false;
  }
  return true;
}

/** A new text part in UTF-8: 7bit when it is short ASCII lines, else base64. */
function textEntity(kind: BodyKind, text: string): Buffer {
  const crlf = text.endsWith('\r\n') || text === '' ? text : `${text}\r\n`;
  const ascii = isShortAscii(crlf);
  const head = `Content-Type: text/${SUBTYPE[kind]}; charset=${ascii ? 'us-ascii' : 'utf-8'}\r\nContent-Transfer-Encoding: ${ascii ? '7bit' : 'base64'}\r\n\r\n`;
  return Buffer.from(head + (ascii ? crlf : `${base64Lines(Buffer.from(crlf, 'utf8'))}\r\n`), 'utf8');
}

/**
 * The bytes of a stored part: its header and body as received. For the message itself only its
 * Content-* fields go with the body; From, Subject and the rest stay in the message's header.
 */
function storedEntity(raw: Buffer, part: MessagePart): Buffer {
  if (part.depth > 0) return raw.subarray(part.headerStart, part.bodyEnd);
  const fields = part.fields.filter((f) => f.name.toLowerCase().startsWith('content-')).map((f) => raw.subarray(f.start, f.end));
  return Buffer.concat([...fields, Buffer.from('\r\n'), raw.subarray(part.bodyStart, part.bodyEnd)]);
}

function multipart(subtype: string, boundary: string, entities: Buffer[], extraParams = ''): Buffer {
  const pieces: Buffer[] = [Buffer.from(`Content-Type: multipart/${subtype}; boundary="${boundary}"${extraParams}\r\n\r\n`)];
  for (const e of entities) pieces.push(Buffer.from(`--${boundary}\r\n`), e, Buffer.from('\r\n'));
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(pieces);
}

/**
 * The message converted to `format`, or `raw` itself when there is nothing to change: the
 * format is BestBodyFormat, the body already has exactly the wanted forms, the message is
 * signed or encrypted, has no text body, or its body is larger than MAX_CONVERTED_BODY.
 */
export function renderForRetrieval(raw: Buffer, format: RetrievalFormat): Buffer {
  if (format === 'BestBodyFormat') return raw;
  const root = scanMessage(raw);
  const body = findBody(root);
  if (!body) return raw;
  const sources = sourcesOf(body);
  if (sources.length === 0) return raw;
  if (sources.some((s) => s.part.bodySize > MAX_CONVERTED_BODY)) return raw;
  const wanted = WANTED[format];
  // Already in the wanted shape: one text leaf of the one wanted kind.
  if (wanted.length === 1 && textKind(body) === wanted[0]) return raw;

  const hash = createHash('sha256').update(raw).update(format).digest('hex').slice(0, 24);
  let counter = 0;
  const boundary = () => `----=_Mailroom_${hash}_${counter++}`;

  const forms = wanted.map((kind) => {
    const made = produce(raw, sources, kind);
    return 'stored' in made ? storedEntity(raw, made.stored) : textEntity(kind, made.text);
  });
  let entity = forms.length === 1 ? forms[0]! : multipart('alternative', boundary(), forms);

  // multipart/related: the images and other resources the HTML refers to stay with it when the
  // result has HTML; otherwise they are kept as attachments beside the text.
  if (body.contentType.subtype === 'related') {
    const resources = body.children.slice(1).map((c) => storedEntity(raw, c));
    if (resources.length > 0) {
      entity = wanted.includes('html')
        ? multipart('related', boundary(), [entity, ...resources], `; type="${wanted.length > 1 ? 'multipart/alternative' : 'text/html'}"`)
        : multipart('mixed', boundary(), [entity, ...resources]);
    }
  }

  if (body !== root) {
    // A part of multipart/mixed: the new entity takes its place, header and all.
    return Buffer.concat([raw.subarray(0, body.headerStart), stripFinalCrlf(entity), raw.subarray(body.bodyEnd)]);
  }
  // The body is the whole message: keep its header fields except the Content-* ones the new
  // body replaces, then the new entity's Content-* fields and body.
  const kept: Buffer[] = [];
  let hasMimeVersion = false;
  for (const field of root.fields) {
    const name = field.name.toLowerCase();
    if (name === 'content-type' || name === 'content-transfer-encoding') continue;
    if (name === 'mime-version') hasMimeVersion = true;
    kept.push(raw.subarray(field.start, field.end));
  }
  if (!hasMimeVersion) kept.push(Buffer.from('MIME-Version: 1.0\r\n'));
  return Buffer.concat([...kept, entity]);
}

/** An entity placed before a boundary gives its last CRLF to the boundary (RFC 2046 §5.1.1). */
function stripFinalCrlf(entity: Buffer): Buffer {
  return entity.length >= 2 && entity[entity.length - 2] === 0x0d && entity[entity.length - 1] === 0x0a
    ? entity.subarray(0, entity.length - 2)
    : entity;
}
