// Checks on the bytes of a received message before anything is stored or queued: line endings
// (SMTP smuggling), header size, hop count, and the From/Sender addresses a submission claims.
import { decodeHeaderBinary, isGroup, parseAddressList, parseHeaderFields, addressSpec, type HeaderField } from '../mime/index.ts';

const CR = 0x0d;
const LF = 0x0a;

/**
 * True when the data holds a CR not followed by LF, or an LF not preceded by CR. RFC 5321 §2.3.8
 * says these must not be sent; servers that read `\n.\n` or `\r.\r` as the end of the data
 * while a relay in the chain does not are what SMTP smuggling abuses, so Mailroom refuses the
 * whole message instead of repairing it.
 */
export function hasBareLineBreak(data: Buffer): boolean {
  let i = data.indexOf(CR);
  let j = data.indexOf(LF);
  while (i >= 0 || j >= 0) {
    if (j >= 0 && (i < 0 || j < i)) {
      if (j === 0 || data[j - 1] !== CR) return true;
      j = data.indexOf(LF, j + 1);
    } else {
      if (data[i + 1] !== LF) return true;
      i = data.indexOf(CR, i + 1);
    }
  }
  return false;
}

/** Length of the header section including the blank line that ends it (the whole message if none). */
export function headerLength(data: Buffer): number {
  if (data.length >= 2 && data[0] === CR && data[1] === LF) return 2;
  const end = data.indexOf('\r\n\r\n');
  return end < 0 ? data.length : end + 4;
}

export interface ParsedHeader {
  fields: HeaderField[];
  size: number;
}

export function readHeader(data: Buffer): ParsedHeader {
  const size = headerLength(data);
  return { fields: parseHeaderFields(data, 0, size), size };
}

/** RFC 5321 §6.3: a loop shows as a growing number of Received fields. */
export function countReceived(header: ParsedHeader): number {
  return header.fields.filter((f) => f.name.toLowerCase() === 'received').length;
}

/** The host a Received field names after `by` (RFC 5321 §4.4), lower-cased; '' when none. */
export function receivedBy(value: string): string {
  // A scan, not an expression: the field is the sender's and may be long.
  const text = value.toLowerCase();
  const space = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
  let at = 0;
  for (;;) {
    const found = text.indexOf('by', at);
    if (found < 0) return '';
    at = found + 2;
    if ((found === 0 || space(text[found - 1])) && space(text[at])) {
      let start = at;
      while (space(text[start])) start++;
      let end = start;
      while (end < text.length && !space(text[end]) && text[end] !== ';' && text[end] !== '(') end++;
      if (end > start) return text.slice(start, end);
    }
  }
}

/**
 * Received fields this server added (its `by` is one of `localNames`): Exchange's local hops,
 * limited by MaxLocalHopCount, catch a loop through the organization's own servers long before
 * MaxHopCount's 30 Internet hops would.
 */
export function countLocalReceived(data: Buffer, header: ParsedHeader, localNames: ReadonlySet<string>): number {
  let count = 0;
  for (const f of header.fields) {
    if (f.name.toLowerCase() !== 'received') continue;
    if (localNames.has(receivedBy(data.toString('latin1', f.valueStart, f.end)))) count++;
  }
  return count;
}

export function hasField(header: ParsedHeader, name: string): boolean {
  const lower = name.toLowerCase();
  return header.fields.some((f) => f.name.toLowerCase() === lower);
}

/** The addresses of every From and Sender field (UTF-8 local parts decoded, RFC 6532). */
export function originatorAddresses(data: Buffer, header: ParsedHeader): { from: string[]; sender: string[] } {
  const collect = (name: string) => {
    const out: string[] = [];
    for (const field of header.fields) {
      if (field.name.toLowerCase() !== name) continue;
      const text = decodeHeaderBinary(data.toString('latin1', field.valueStart, field.end).replace(/\r?\n(?=[ \t])/g, ''));
      for (const item of parseAddressList(text)) {
        for (const mailbox of isGroup(item) ? item.members : [item]) {
          const spec = addressSpec(mailbox);
          if (spec !== '') out.push(spec);
        }
      }
    }
    return out;
  };
  return { from: collect('from'), sender: collect('sender') };
}
