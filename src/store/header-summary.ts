// Subject and sender of a message, decoded, for the Recoverable Items list an admin reads and
// SORT; and the Date field's calendar day as written, for SENTBEFORE/SENTON/SENTSINCE.
import libmime from 'libmime';
import { parseMessageDate } from '../mime/index.ts';

/** Reads only the header block (up to 64 KB) and never throws. */
export function summarizeHeaders(raw: Buffer): { subject: string; sender: string; sentDay: number | null } {
  const head = raw.subarray(0, Math.min(raw.length, 64 * 1024)).toString('utf8');
  const end = head.search(/\r?\n\r?\n/);
  const block = (end >= 0 ? head.slice(0, end) : head).replace(/\r?\n[ \t]+/g, ' ');
  const field = (name: string) => {
    const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(block);
    if (!m) return '';
    try {
      return libmime.decodeWords(m[1]!.trim()).slice(0, 500);
    } catch {
      return m[1]!.trim().slice(0, 500);
    }
  };
  // RFC 3501 §6.4.4: SENT* keys disregard the time and the zone, so the day is the one written.
  const date = parseMessageDate(field('Date'));
  return { subject: field('Subject'), sender: field('From'), sentDay: date?.day ?? null };
}
