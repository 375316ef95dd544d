// BODY[section] addressing (RFC 3501 §6.4.5, RFC 9051 §6.4.5): which bytes of the raw
// message a section specifier names. Most sections are slices of the raw message;
// HEADER.FIELDS and HEADER.FIELDS.NOT are built from the selected fields.
import type { MessagePart } from './scan.ts';

export type SectionText = 'header' | 'fields' | 'fields-not' | 'text' | 'mime';

export interface SectionSpec {
  /** Part numbers, e.g. [4, 2, 1] for "4.2.1"; empty for the message itself. */
  path: number[];
  /** What of the part; null means the part's body (or, with an empty path, everything). */
  text: SectionText | null;
  /** Field names (upper-cased) for HEADER.FIELDS and HEADER.FIELDS.NOT. */
  fields: string[];
}

export interface SectionResult {
  /** False when the section names no part; the caller answers with an empty string. */
  found: boolean;
  /** raw[start, end) holds the section when data is null. */
  start: number;
  end: number;
  /** The section's bytes when they are not a slice of raw (HEADER.FIELDS[.NOT]). */
  data: Buffer | null;
}

/** Part numbers above this name no part (and would not fit in an index anyway). */
const MAX_PART_NUMBER = 1_000_000;

/** Reads a header-list "(" astring *(SP astring) ")" into upper-cased names. */
function parseFieldList(s: string): string[] | null {
  const m = /^\s*\((.*)\)\s*$/s.exec(s);
  if (m === null) return null;
  const names: string[] = [];
  const body = m[1]!;
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '"') {
      let name = '';
      for (i++; i < body.length && body[i] !== '"'; i++) name += body[i] === '\\' ? body[++i] ?? '' : body[i];
      if (body[i] !== '"') return null;
      i++;
      names.push(name.toUpperCase());
    } else {
      let end = i;
      while (end < body.length && body[end] !== ' ' && body[end] !== '\t' && body[end] !== '"') end++;
      const name = body.slice(i, end);
      if (/[\x00-\x20\x7f():]/.test(name)) return null;
      names.push(name.toUpperCase());
      i = end;
    }
  }
  return names.length === 0 ? null : names;
}

/**
 * Parses the text between "[" and "]" of BODY[...]. Returns null on a syntax error, which
 * the IMAP layer answers with BAD.
 */
export function parseSection(spec: string): SectionSpec | null {
  const path: number[] = [];
  let rest = spec.trim();
  for (;;) {
    const m = /^(\d+)(\.|$)/.exec(rest);
    if (m === null) break;
    // RFC 3501: nz-number, no leading zero.
    if (m[1]!.startsWith('0')) return null;
    const n = m[1]!.length > 9 ? Number.POSITIVE_INFINITY : Number.parseInt(m[1]!, 10);
    path.push(n);
    rest = rest.slice(m[0].length);
    if (m[2] === '') return { path, text: null, fields: [] };
  }
  if (rest === '') return path.length === 0 ? { path, text: null, fields: [] } : null;
  const upper = rest.toUpperCase();
  if (upper === 'HEADER') return { path, text: 'header', fields: [] };
  if (upper === 'TEXT') return { path, text: 'text', fields: [] };
  if (upper === 'MIME') return path.length > 0 ? { path, text: 'mime', fields: [] } : null;
  const fm = /^HEADER\.FIELDS(\.NOT)?(?=[\s(])(.*)$/is.exec(rest);
  if (fm === null) return null;
  const fields = parseFieldList(fm[2]!);
  if (fields === null) return null;
  return { path, text: fm[1] !== undefined ? 'fields-not' : 'fields', fields };
}

const NOT_FOUND: SectionResult = { found: false, start: 0, end: 0, data: null };

/**
 * Finds the part a path names. A message node (the root, or the message inside a
 * message/rfc822 part) that is not multipart has its body as part 1 (RFC 3501: "Every
 * message has at least one part number"). A path continuing past a message/rfc822 part
 * continues inside its message, and so do HEADER and TEXT after one ("4.2.HEADER").
 */
function resolve(root: MessagePart, spec: SectionSpec): { part: MessagePart; messageNode: boolean } | null {
  let part = root;
  let messageNode = true;
  const descendForText = spec.text === 'header' || spec.text === 'text' || spec.text === 'fields' || spec.text === 'fields-not';
  for (let i = 0; i < spec.path.length; i++) {
    const n = spec.path[i]!;
    if (n < 1 || n > MAX_PART_NUMBER) return null;
    if (part.kind === 'multipart') {
      const child = part.children[n - 1];
      if (child === undefined) return null;
      part = child;
      messageNode = false;
    } else if (messageNode && n === 1) {
      messageNode = false;
    } else {
      return null;
    }
    const more = i < spec.path.length - 1 || descendForText;
    const inner = part.children[0];
    if (more && part.kind === 'message' && inner !== undefined) {
      part = inner;
      messageNode = true;
    }
  }
  return { part, messageNode };
}

/**
 * The part whose body BODY[path] names (BINARY[path] decodes it, RFC 3516 §4.2), or null when
 * the path names none. As there, part 1 of a message that is not multipart is the message
 * itself, and a message/rfc822 part is the part, not the message inside it.
 */
export function sectionPart(root: MessagePart, path: readonly number[]): MessagePart | null {
  if (path.length === 0) return root;
  return resolve(root, { path: [...path], text: null, fields: [] })?.part ?? null;
}

function slice(start: number, end: number): SectionResult {
  return { found: true, start, end, data: null };
}

/** Builds HEADER.FIELDS / HEADER.FIELDS.NOT: the chosen fields in order, then a blank line. */
function filterFields(raw: Buffer, part: MessagePart, names: readonly string[], keep: boolean): Buffer {
  const wanted = new Set(names.map((n) => n.toUpperCase()));
  const chunks: Buffer[] = [];
  for (const field of part.fields) {
    // Lines that are not fields are neither requested nor "all but" material.
    if (field.name === '') continue;
    if (wanted.has(field.name.toUpperCase()) !== keep) continue;
    chunks.push(raw.subarray(field.start, field.end));
    // A field cut off at the end of the data still needs its line break here.
    if (raw[field.end - 1] !== 0x0a) chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from('\r\n'));
  return Buffer.concat(chunks);
}

/** BODY[] itself: the whole message, which needs no MIME structure to find. */
export function isWholeMessage(spec: SectionSpec): boolean {
  return spec.path.length === 0 && spec.text === null;
}

/** Where BODY[spec] is in raw (or its built bytes). Never throws; ranges lie within raw. */
export function sectionRange(root: MessagePart, raw: Buffer, spec: string | SectionSpec): SectionResult {
  const parsed = typeof spec === 'string' ? parseSection(spec) : spec;
  if (parsed === null) return NOT_FOUND;
  if (isWholeMessage(parsed)) return slice(0, raw.length);
  const found = resolve(root, parsed);
  if (found === null) return NOT_FOUND;
  const { part, messageNode } = found;
  switch (parsed.text) {
    case null:
      return slice(part.bodyStart, part.bodyEnd);
    case 'mime':
      return slice(part.headerStart, part.headerEnd);
    case 'header':
      return messageNode ? slice(part.headerStart, part.headerEnd) : NOT_FOUND;
    case 'text':
      return messageNode ? slice(part.bodyStart, part.bodyEnd) : NOT_FOUND;
    case 'fields':
    case 'fields-not':
      if (!messageNode) return NOT_FOUND;
      return { found: true, start: 0, end: 0, data: filterFields(raw, part, parsed.fields, parsed.text === 'fields') };
  }
}

/** The bytes of a section result. */
export function sectionBytes(raw: Buffer, result: SectionResult): Buffer {
  if (result.data !== null) return result.data;
  return raw.subarray(result.start, result.end);
}

/**
 * BODY[...]<origin.count> (RFC 3501 §6.4.5): the window of a section of the given length;
 * an origin past the end gives an empty string.
 */
export function partialWindow(length: number, origin: number, count: number): { start: number; end: number } {
  const start = Math.min(Math.max(0, origin), length);
  return { start, end: Math.min(length, start + Math.max(0, count)) };
}

/** IMAP part numbers of every part, as FETCH BODY[n] names them (message nodes share theirs). */
export function partNumbers(root: MessagePart): Map<MessagePart, string> {
  const out = new Map<MessagePart, string>();
  const todo: { part: MessagePart; section: string }[] = [{ part: root, section: '' }];
  while (todo.length > 0) {
    const { part, section } = todo.pop()!;
    out.set(part, section);
    if (part.kind === 'multipart') {
      part.children.forEach((child, i) => todo.push({ part: child, section: section === '' ? String(i + 1) : `${section}.${i + 1}` }));
    } else if (part.kind === 'message' && part.children[0] !== undefined) {
      const inner = part.children[0];
      // The encapsulated message has the same number as its message/rfc822 part; its parts
      // are numbered below it (a non-multipart inner body is "<n>.1").
      todo.push({ part: inner, section });
    }
  }
  return out;
}
