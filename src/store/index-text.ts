// What the full-text index holds for a message: decoded header fields and decoded body text.
import libmime from 'libmime';
import type { IndexedText } from './search.ts';

const MAX_BODY = 1024 * 1024;

function decodeHeader(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

export function extractIndexedText(raw: Buffer): IndexedText {
  const text = raw.toString('utf8');
  const split = text.search(/\r?\n\r?\n/);
  const headerBlock = (split >= 0 ? text.slice(0, split) : text).replace(/\r?\n[ \t]+/g, ' ');
  const fields: [string, string][] = [];
  for (const line of headerBlock.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.push([line.slice(0, colon).trim(), decodeHeader(line.slice(colon + 1).trim())]);
  }
  const get = (name: string) => fields.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v).join(', ');
  const date = Date.parse(get('date'));
  const body = split >= 0 ? text.slice(split).trim().slice(0, MAX_BODY) : '';
  return {
    subject: get('subject'), from: get('from'), to: get('to'), cc: get('cc'), bcc: get('bcc'),
    headers: fields.map(([n, v]) => `${n}: ${v}`).join('\n'),
    body,
    sentDate: Number.isNaN(date) ? null : date,
  };
}
