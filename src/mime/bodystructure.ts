// IMAP BODYSTRUCTURE and BODY (RFC 3501 §7.4.2, RFC 9051 §7.5.2) from a scanned part tree.
//
// Shapes, with extension data only in BODYSTRUCTURE:
//   multipart: (child)(child) "subtype" params disposition language location
//   basic:     "type" "subtype" params id description encoding size  md5 disposition language location
//   text:      ... size lines                                         md5 disposition language location
//   message:   ... size envelope body lines                           md5 disposition language location
//
// Type, subtype, parameter names, encoding and disposition type are lower-cased (they are
// case-insensitive, RFC 2045 §5.1); values are sent as the sender wrote them.
import { envelope } from './envelope.ts';
import type { HeaderParam } from './headers.ts';
import { imapList, imapString } from './imap-format.ts';
import type { MessagePart } from './scan.ts';

export interface StructureOptions {
  /** The client enabled UTF8=ACCEPT (RFC 6855), so UTF-8 may appear in quoted strings. */
  utf8Allowed?: boolean;
}

/**
 * A multipart needs at least one body (RFC 3501: body-type-mpart = 1*body ...). One whose
 * boundary never appears is given a single empty text/plain part, so clients can parse it.
 */
const EMPTY_PART_BASIC = '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)';
const EMPTY_PART_EXTENDED = '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)';

// RFC 2231 §7 attribute-char: printable ASCII except specials, space, "*", "'" and "%".
const ATTRIBUTE_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

/** RFC 2231 §4 value: charset'language'percent-encoded UTF-8. */
export function encodeRfc2231(value: string, language: string | null): string {
  let out = `utf-8'${language ?? ''}'`;
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && ATTRIBUTE_CHAR.test(ch) ? ch : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/**
 * Parameters as BODYSTRUCTURE sends them. RFC 2231 continuations are joined, since clients
 * use the values (file names) and most do not join them. A value that is plain ASCII goes
 * out as "name" "value". One that is not (non-ASCII text, from RFC 2231 or from raw 8-bit
 * bytes in the header) or that carries a language goes out re-encoded as a single RFC 2231
 * parameter, "name*" "utf-8'lang'%E4%B8%AD": a string that every IMAP client can receive,
 * and that clients which decode RFC 2231 turn back into the name.
 */
export function formatParams(params: readonly HeaderParam[], utf8Allowed: boolean): string {
  const items: string[] = [];
  for (const p of params) {
    const needsEncoding = p.language !== null || /[^\x20-\x7e\t]/.test(p.value);
    if (needsEncoding) items.push(imapString(`${p.name}*`, utf8Allowed), imapString(encodeRfc2231(p.value, p.language), utf8Allowed));
    else items.push(imapString(p.name, utf8Allowed), imapString(p.value, utf8Allowed));
  }
  return imapList(items);
}

function formatDisposition(part: MessagePart, utf8Allowed: boolean): string {
  const d = part.disposition;
  if (d === null) return 'NIL';
  return `(${imapString(d.type, utf8Allowed)} ${formatParams(d.params, utf8Allowed)})`;
}

function formatLanguage(part: MessagePart, utf8Allowed: boolean): string {
  return part.language === null ? 'NIL' : imapList(part.language.map((l) => imapString(l, utf8Allowed)));
}

/** body-ext-1part / body-ext-mpart after the first item: disposition, language, location. */
function extensionTail(part: MessagePart, utf8Allowed: boolean): string {
  return `${formatDisposition(part, utf8Allowed)} ${formatLanguage(part, utf8Allowed)} ${imapString(part.location, utf8Allowed)}`;
}

function formatMultipart(raw: Buffer, part: MessagePart, extended: boolean, utf8Allowed: boolean): string {
  let children = '';
  for (const child of part.children) children += formatPart(raw, child, extended, utf8Allowed);
  if (children === '') children = extended ? EMPTY_PART_EXTENDED : EMPTY_PART_BASIC;
  let out = `(${children} ${imapString(part.contentType.subtype, utf8Allowed)}`;
  if (extended) out += ` ${formatParams(part.contentType.params, utf8Allowed)} ${extensionTail(part, utf8Allowed)}`;
  return out + ')';
}

function formatSinglePart(raw: Buffer, part: MessagePart, extended: boolean, utf8Allowed: boolean): string {
  const s = (v: string | null) => imapString(v, utf8Allowed);
  // A container that was not opened (no boundary, encoded message/rfc822, limits) has no
  // structure to show; announcing it as multipart or message/rfc822 would promise children
  // or an envelope, so it is presented as the opaque data it is.
  const opaque = part.kind === 'opaque';
  const type = opaque ? 'application' : part.contentType.type;
  const subtype = opaque ? 'octet-stream' : part.contentType.subtype;
  let out =
    `(${s(type)} ${s(subtype)} ${formatParams(part.contentType.params, utf8Allowed)} ` +
    `${s(part.id)} ${s(part.description)} ${s(part.encoding ?? '7bit')} ${part.bodySize}`;
  const child = part.children[0];
  if (part.kind === 'message' && child !== undefined) {
    out += ` ${envelope(raw, child, utf8Allowed)} ${formatPart(raw, child, extended, utf8Allowed)} ${part.bodyLines}`;
  } else if (type === 'text') {
    out += ` ${part.bodyLines}`;
  }
  if (extended) out += ` ${s(part.md5)} ${extensionTail(part, utf8Allowed)}`;
  return out + ')';
}

function formatPart(raw: Buffer, part: MessagePart, extended: boolean, utf8Allowed: boolean): string {
  return part.kind === 'multipart' ? formatMultipart(raw, part, extended, utf8Allowed) : formatSinglePart(raw, part, extended, utf8Allowed);
}

/** BODYSTRUCTURE (with extension data) of a message node. */
export function bodyStructure(raw: Buffer, part: MessagePart, options: StructureOptions = {}): string {
  return formatPart(raw, part, true, options.utf8Allowed ?? false);
}

/** BODY, the non-extensible form, of a message node. */
export function bodyBasic(raw: Buffer, part: MessagePart, options: StructureOptions = {}): string {
  return formatPart(raw, part, false, options.utf8Allowed ?? false);
}
