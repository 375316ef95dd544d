// Maildir and Dovecot's Maildir++ naming (https://cr.yp.to/proto/maildir.html,
// https://doc.dovecot.org/admin_manual/mailbox_formats/maildir/). Pure: names in, values out.
import { decodeMailboxUtf7 } from '../../imap/protocol/utf7.ts';

/** The standard info letters after `:2,` and the IMAP flags they stand for. */
const FLAG_LETTERS: Record<string, string> = {
  P: '$Forwarded', // "passed" (resent/forwarded/bounced)
  R: '\\Answered',
  S: '\\Seen',
  T: '\\Deleted', // "trashed": marked for deletion, not yet expunged
  D: '\\Draft',
  F: '\\Flagged',
};

export interface MaildirFileName {
  /** The unique part: everything before `:2,` (Dovecot's uidlist names files by it). */
  base: string;
  /** `S=`: the file's size, as Dovecot recorded it. */
  size?: number;
  /** `W=`: the size with CRLF line ends, what IMAP reports (RFC822.SIZE). */
  virtualSize?: number;
  /** The info letters after `:2,`, each once. */
  letters: string;
}

function sizeField(field: string, prefix: string): number | undefined {
  if (!field.startsWith(prefix)) return undefined;
  const digits = field.slice(prefix.length);
  if (digits.length === 0 || digits.length > 15) return undefined;
  for (const c of digits) if (c < '0' || c > '9') return undefined;
  return Number(digits);
}

/**
 * Splits `1700000000.M1P2.host,S=1234,W=1260:2,FRS` into its parts. Some systems write `!` or
 * `;` instead of `:` where the file system forbids colons (Dovecot's maildir_filename separator).
 */
export function parseMaildirFileName(name: string): MaildirFileName {
  let infoAt = -1;
  for (const sep of [':2,', '!2,', ';2,']) {
    const at = name.lastIndexOf(sep);
    if (at > infoAt) infoAt = at;
  }
  const base = infoAt >= 0 ? name.slice(0, infoAt) : name;
  const info = infoAt >= 0 ? name.slice(infoAt + 3) : '';
  const letters = [...new Set(info)].join('');
  const result: MaildirFileName = { base, letters };
  for (const field of base.split(',').slice(1)) {
    const s = sizeField(field, 'S=');
    if (s !== undefined) result.size = s;
    const w = sizeField(field, 'W=');
    if (w !== undefined) result.virtualSize = w;
  }
  return result;
}

/**
 * The IMAP flags of the info letters: upper case are the standard flags, lower case a–z are
 * Dovecot's keywords by their index in dovecot-keywords (a = 0). Unknown letters are dropped.
 */
export function flagsFromLetters(letters: string, keywords: ReadonlyMap<number, string>): string[] {
  const flags: string[] = [];
  for (const c of letters) {
    const standard = FLAG_LETTERS[c];
    if (standard) flags.push(standard);
    else if (c >= 'a' && c <= 'z') {
      const keyword = keywords.get(c.charCodeAt(0) - 97);
      if (keyword) flags.push(keyword);
    }
  }
  return flags;
}

/** The letters for a set of flags (for writing a maildir; the inverse of flagsFromLetters). */
export function lettersFromFlags(flags: readonly string[], keywordIndex: ReadonlyMap<string, number>): string {
  const out: string[] = [];
  for (const [letter, flag] of Object.entries(FLAG_LETTERS)) if (flags.some((f) => f.toLowerCase() === flag.toLowerCase())) out.push(letter);
  for (const f of flags) {
    const index = keywordIndex.get(f);
    if (index !== undefined && index < 26) out.push(String.fromCharCode(97 + index));
  }
  // The standard says the letters are in ASCII order.
  return out.sort().join('');
}

/** dovecot-keywords: lines `<index> <keyword>`. Lines that are not that are ignored. */
export function parseDovecotKeywords(text: string): Map<number, string> {
  const map = new Map<number, string>();
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const index = Number(line.slice(0, space));
    const keyword = line.slice(space + 1).trim();
    if (!Number.isInteger(index) || index < 0 || index >= 26 || keyword.length === 0 || keyword.includes(' ')) continue;
    map.set(index, keyword);
  }
  return map;
}

/**
 * A Maildir++ folder directory (`.Parent.Child`) as levels, or null when the name is not one.
 * Dovecot stores names in IMAP's modified UTF-7 (`.&W8RO9lCZTv0-` is 寄件備份); `.` separates levels.
 */
export function maildirFolderLevels(dirName: string): string[] | null {
  if (!dirName.startsWith('.') || dirName === '.' || dirName === '..') return null;
  const levels = dirName.slice(1).split('.');
  if (levels.some((l) => l.length === 0)) return null;
  const decoded: string[] = [];
  for (const level of levels) {
    const name = decodeMailboxUtf7(level);
    if (name === null) return null;
    decoded.push(name);
  }
  return decoded;
}

/**
 * Dovecot's `subscriptions` file, as levels per name. Version 2 (Dovecot 2.2+) starts `V\t2`,
 * then a blank line, then one name per line with TAB between levels; older files have one name
 * per line with the namespace separator (`.` for Maildir++) between levels, in modified UTF-7.
 * Names are UTF-8 in version 2, since Dovecot 2.2.
 */
export function parseSubscriptions(text: string): string[][] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines[0]?.startsWith('V\t')) {
    const out: string[][] = [];
    for (const line of lines.slice(1)) if (line.length > 0) out.push(line.split('\t'));
    return out;
  }
  const out: string[][] = [];
  for (const line of lines) {
    if (line.length === 0) continue;
    const levels = line.split('.').map((l) => decodeMailboxUtf7(l) ?? l);
    out.push(levels);
  }
  return out;
}
