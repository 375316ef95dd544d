// FETCH and UID FETCH (RFC 3501 §6.4.5, RFC 9051 §6.4.5) with BINARY (RFC 3516 §4.2),
// MODSEQ and the CHANGEDSINCE / VANISHED modifiers (RFC 7162 §3.1.4, §3.2.6).

import { ParseError } from '../errors.ts';
import { MAX_NUMBER, type SavedSet, type SequenceSet } from '../sequence-set.ts';
import type { PartialRange, Token } from '../tokenizer.ts';
import { ArgReader, atomText } from './reader.ts';

export const FETCH_ATTRIBUTES = [
  'UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY', 'BODYSTRUCTURE',
  'RFC822', 'RFC822.HEADER', 'RFC822.TEXT', // RFC 3501 only; RFC 9051 dropped them
  'MODSEQ', // RFC 7162 §3.1.4
] as const;
export type FetchAttribute = (typeof FETCH_ATTRIBUTES)[number];

export type SectionText = 'header' | 'fields' | 'fields-not' | 'text' | 'mime';

/** A BODY[…] section: the shape src/mime's sectionRange() takes. */
export interface BodySection {
  /** Part numbers, e.g. [4, 2, 1] for "4.2.1"; empty for the message itself. */
  path: number[];
  /** What of the part; null means the part's body (or, with an empty path, everything). */
  text: SectionText | null;
  /** Field names (upper-cased) for HEADER.FIELDS and HEADER.FIELDS.NOT. */
  fields: string[];
}

export type FetchItem =
  | { kind: 'attribute'; name: FetchAttribute }
  /** BODY[section]<partial> / BODY.PEEK[…]: PEEK does not set \Seen. */
  | { kind: 'body'; peek: boolean; section: BodySection; partial: PartialRange | null }
  /** BINARY[part]<partial> / BINARY.PEEK[…] (RFC 3516 §4.2). */
  | { kind: 'binary'; peek: boolean; part: number[]; partial: PartialRange | null }
  /** BINARY.SIZE[part]. */
  | { kind: 'binary-size'; part: number[] };

export type FetchMacro = 'ALL' | 'FAST' | 'FULL';

export interface FetchArgs {
  set: SequenceSet | SavedSet;
  /** The items asked for, macros expanded, in the order given. */
  items: FetchItem[];
  /** The macro used, if any (RFC 3501 §6.4.5). */
  macro: FetchMacro | null;
  /** CHANGEDSINCE modseq (RFC 7162 §3.1.4.1). */
  changedSince: number | null;
  /** VANISHED (RFC 7162 §3.2.6): UID FETCH with CHANGEDSINCE only. */
  vanished: boolean;
}

const ATTRIBUTE_SET = new Set<string>(FETCH_ATTRIBUTES);

const attribute = (name: FetchAttribute): FetchItem => ({ kind: 'attribute', name });

// RFC 3501 §6.4.5 macros.
const MACROS: Record<FetchMacro, FetchAttribute[]> = {
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

const SECTION_TEXTS: Record<string, SectionText> = {
  HEADER: 'header',
  'HEADER.FIELDS': 'fields',
  'HEADER.FIELDS.NOT': 'fields-not',
  TEXT: 'text',
  MIME: 'mime',
};

/** Leading nz-number components of "1.2.HEADER" → [1, 2] and the rest ("HEADER"). */
function splitPart(spec: string): { path: number[]; rest: string } {
  const components = spec.split('.');
  const path: number[] = [];
  let i = 0;
  for (; i < components.length; i++) {
    const c = components[i]!;
    if (!/^[0-9]+$/.test(c)) break;
    const n = Number(c);
    if (c.startsWith('0') || n > MAX_NUMBER) throw new ParseError('Invalid section part number');
    path.push(n);
  }
  const rest = components.slice(i);
  if (rest.includes('')) throw new ParseError('Invalid section');
  return { path, rest: rest.join('.') };
}

/** header-list = "(" header-fld-name *(SP header-fld-name) ")", upper-cased. */
function parseFieldNames(r: ArgReader): string[] {
  const list = r.list('header field list');
  const fields: string[] = [];
  do {
    const name = list.astring('header field name');
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) throw new ParseError('Invalid header field name');
    fields.push(name.toUpperCase());
  } while (!list.done);
  return fields;
}

/** section-spec (RFC 3501 §9) from the tokens between the brackets. */
function parseBodySection(items: Token[]): BodySection {
  if (items.length === 0) return { path: [], text: null, fields: [] };
  const r = new ArgReader(items);
  const spec = atomText(r.next('section'));
  if (spec === null) throw new ParseError('Invalid section');
  const { path, rest } = splitPart(spec);
  let text: SectionText | null = null;
  if (rest !== '') {
    text = SECTION_TEXTS[rest.toUpperCase()] ?? null;
    if (text === null || (text === 'mime' && path.length === 0)) throw new ParseError('Invalid section');
  }
  const fields = text === 'fields' || text === 'fields-not' ? parseFieldNames(r) : [];
  r.end();
  return { path, text, fields };
}

/** section-binary = "[" [section-part] "]" (RFC 3516 §6). */
function parseBinaryPart(items: Token[]): number[] {
  if (items.length === 0) return [];
  const spec = items.length === 1 ? atomText(items[0]) : null;
  const parsed = spec === null ? null : splitPart(spec);
  if (parsed === null || parsed.rest !== '') throw new ParseError('Invalid BINARY section');
  return parsed.path;
}

function parseFetchItem(token: Token): FetchItem {
  if (token.kind === 'section') {
    const peek = token.name.endsWith('.PEEK');
    if (token.name === 'BODY' || token.name === 'BODY.PEEK') {
      return { kind: 'body', peek, section: parseBodySection(token.items), partial: token.partial };
    }
    const part = parseBinaryPart(token.items);
    if (token.name !== 'BINARY.SIZE') return { kind: 'binary', peek, part, partial: token.partial };
    if (token.partial !== null) throw new ParseError('BINARY.SIZE takes no partial range');
    return { kind: 'binary-size', part };
  }
  const name = atomText(token)?.toUpperCase();
  if (name === undefined || !ATTRIBUTE_SET.has(name)) throw new ParseError(`Unknown FETCH item ${name ?? ''}`.trim());
  return attribute(name as FetchAttribute);
}

/** fetch-modifiers = "(" fetch-modifier *(SP fetch-modifier) ")" (RFC 4466 §2.4). */
function parseModifiers(r: ArgReader, args: FetchArgs): void {
  const list = r.list('FETCH modifiers');
  while (!list.done) {
    const name = list.word('FETCH modifier');
    if (name === 'VANISHED') {
      args.vanished = true;
    } else if (name === 'CHANGEDSINCE') {
      if (args.changedSince !== null) throw new ParseError('CHANGEDSINCE given twice');
      args.changedSince = list.number64('mod-sequence value');
    } else {
      throw new ParseError(`Unknown FETCH modifier ${name}`);
    }
  }
}

/** FETCH sequence-set (macro / item / (item …)) [(modifiers)]. */
export function parseFetch(r: ArgReader, uid: boolean): FetchArgs {
  const set = r.sequenceSet('sequence set');
  const args: FetchArgs = { set, items: [], macro: null, changedSince: null, vanished: false };
  const token = r.next('FETCH items');
  const word = atomText(token)?.toUpperCase();
  if (word === 'ALL' || word === 'FAST' || word === 'FULL') {
    args.macro = word;
    args.items = MACROS[word].map(attribute);
  } else if (token.kind === 'list') {
    if (token.items.length === 0) throw new ParseError('Missing FETCH items');
    args.items = token.items.map(parseFetchItem);
  } else {
    args.items = [parseFetchItem(token)];
  }
  if (!r.done) parseModifiers(r, args);
  r.end();
  if (args.vanished && (!uid || args.changedSince === null)) {
    throw new ParseError('VANISHED needs UID FETCH with CHANGEDSINCE');
  }
  return args;
}
