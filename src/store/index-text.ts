// What the full-text index holds for a message: every header field decoded (encoded words and
// raw 8-bit text in the message's charset), the address fields on their own, and the decoded
// text of the text/plain and text/html parts — the MIME engine does the decoding.
import {
  charsetHint,
  decodeHeaderBinary,
  decodeHeaderText,
  extractSearchText,
  fieldValue,
  formatAddressesDecoded,
  parseAddressList,
  scanMessage,
} from '../mime/index.ts';
import type { IndexedText } from './search.ts';

const ADDRESS_FIELDS = new Set(['from', 'to', 'cc', 'bcc', 'sender', 'reply-to']);

export function extractIndexedText(raw: Buffer): IndexedText {
  const root = scanMessage(raw);
  const hint = charsetHint(root);
  const decoded: [string, string][] = [];
  for (const field of root.fields) {
    if (field.name === '') continue;
    const value = fieldValue(raw, field);
    const lower = field.name.toLowerCase();
    const text = ADDRESS_FIELDS.has(lower)
      ? formatAddressesDecoded(parseAddressList(decodeHeaderBinary(value, hint)))
      : decodeHeaderText(value, hint);
    decoded.push([field.name, text]);
  }
  const get = (name: string) => decoded.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v).join(', ');
  const { body, verbatim } = extractSearchText(raw, root);
  return {
    subject: get('subject'), from: get('from'), to: get('to'), cc: get('cc'), bcc: get('bcc'),
    headers: decoded.map(([n, v]) => `${n}: ${v}`).join('\n'),
    body,
    verbatim,
  };
}
