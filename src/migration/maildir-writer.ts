// PURE: the names and index files of a Maildir++ export laid out the way Dovecot reads it
// (LAYOUT=maildir++, its default): the Inbox at the root, other folders as `.Parent.Child`
// directories with names in modified UTF-7, flags in the `:2,` suffix, keywords as letters
// listed in `dovecot-keywords`, and `dovecot-uidlist` (version 3) so Dovecot keeps each
// message's UID and the folder's UIDVALIDITY, and its clients do not download everything again.
import { encodeMailboxUtf7 } from '../imap/protocol/utf7.ts';

/** Dovecot's maildir keeps at most 26 keywords per folder: the letters a–z. */
export const MAX_MAILDIR_KEYWORDS = 26;

/**
 * The directory of a folder under the Maildir++ root: '' for the Inbox, `.Sent`,
 * `.&XeVPXA-.&AUQ-` for `工作/報告`. Null when the name cannot be written: a level holding the
 * Maildir++ separator '.' (Dovecot would read it as two levels) or an empty level.
 */
export function maildirFolderDir(name: string): string | null {
  if (name === 'INBOX') return '';
  const levels = name.split('/');
  if (levels.some((l) => l === '' || l.includes('.'))) return null;
  return `.${levels.map(encodeMailboxUtf7).join('.')}`;
}

/**
 * The info suffix letters (`:2,` + letters in ASCII order, as the Maildir specification asks):
 * D draft, F flagged, R replied, S seen, T trashed (\Deleted), then a letter per keyword from
 * `keywordLetter`. Keywords without a letter (past the 26th) are left out and returned.
 */
export function maildirInfo(flags: readonly string[], keywordLetter: (keyword: string) => string | undefined): { info: string; dropped: string[] } {
  const system: Record<string, string> = { '\\draft': 'D', '\\flagged': 'F', '\\answered': 'R', '\\seen': 'S', '\\deleted': 'T' };
  const letters = new Set<string>();
  const dropped: string[] = [];
  for (const f of flags) {
    if (f.startsWith('\\')) {
      const l = system[f.toLowerCase()];
      if (l) letters.add(l);
      continue;
    }
    const l = keywordLetter(f);
    if (l) letters.add(l);
    else dropped.push(f);
  }
  // Upper case sorts before lower case in ASCII, which is the order Dovecot writes.
  return { info: `2,${[...letters].sort().join('')}`, dropped };
}

/** Assigns keyword letters a–z in order of first use, for one folder. */
export class KeywordLetters {
  readonly keywords: string[] = [];

  letter(keyword: string): string | undefined {
    let i = this.keywords.indexOf(keyword);
    if (i < 0) {
      if (this.keywords.length >= MAX_MAILDIR_KEYWORDS) return undefined;
      i = this.keywords.push(keyword) - 1;
    }
    return String.fromCharCode(0x61 + i);
  }
}

/**
 * A message file's base name (the part before `:2,`): unique by time, a sequence and the
 * process, with the sizes Dovecot reads instead of statting (S=) and the size with CRLF line
 * ends that it reports to IMAP clients (W=).
 */
export function maildirBaseName(input: { seconds: number; sequence: number; pid: number; host: string; size: number; virtualSize: number }): string {
  // '/' and ':' cannot be in a file name's host part; Dovecot writes them as \057 and \072.
  const host = input.host.replaceAll('/', '\\057').replaceAll(':', '\\072');
  return `${input.seconds}.M${input.sequence}P${input.pid}.${host},S=${input.size},W=${input.virtualSize}`;
}

/** `dovecot-uidlist` version 3: the header, then `UID :base-name` per message in UID order. */
export function uidlistText(uidValidity: number, uidNext: number, entries: readonly { uid: number; base: string }[]): string {
  const lines = [`3 V${uidValidity} N${uidNext}`];
  for (const e of [...entries].sort((a, b) => a.uid - b.uid)) lines.push(`${e.uid} :${e.base}`);
  return `${lines.join('\n')}\n`;
}

/** `dovecot-keywords`: `index keyword` per line, the index being the letter's place (0 = a). */
export function keywordsText(keywords: readonly string[]): string {
  return keywords.map((k, i) => `${i} ${k}\n`).join('');
}

/**
 * Counts the size a message has with every line ending as CRLF (IMAP's RFC822.SIZE for a
 * file with bare LFs), fed in chunks of any size.
 */
export class VirtualSize {
  total = 0;
  private lastWasCr = false;

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let i = chunk.indexOf(0x0a);
    while (i >= 0) {
      const before = i > 0 ? chunk[i - 1] === 0x0d : this.lastWasCr;
      if (!before) this.total++;
      i = chunk.indexOf(0x0a, i + 1);
    }
    if (chunk.length > 0) this.lastWasCr = chunk[chunk.length - 1] === 0x0d;
  }
}
