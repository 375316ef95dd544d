// PURE: the names and index files of a Maildir++ export laid out the way Dovecot reads it
// (LAYOUT=maildir++, its default): the Inbox at the root, other folders as `.Parent.Child`
// directories with names in modified UTF-7, flags in the `:2,` suffix, keywords as letters
// listed in `dovecot-keywords`, and `dovecot-uidlist` (version 3) so Dovecot keeps each
// message's UID and the folder's UIDVALIDITY, and its clients do not download everything again.
import { encodeMailboxUtf7 } from '../../imap/protocol/utf7.ts';
import { lettersFromFlags } from './maildir.ts';

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
 * The info suffix (`2,` + letters, maildir.ts's lettersFromFlags) with keyword letters from
 * `letters`. Keywords without a letter (past the 26th of the folder) are left out and returned.
 */
export function maildirInfo(flags: readonly string[], letters: KeywordLetters): { info: string; dropped: string[] } {
  const dropped = flags.filter((f) => !f.startsWith('\\') && letters.letter(f) === undefined);
  return { info: `2,${lettersFromFlags(flags, letters.index)}`, dropped };
}

/** Assigns keyword letters a–z in order of first use, for one folder. */
export class KeywordLetters {
  readonly keywords: string[] = [];
  /** Keyword → its place (0 = a), as lettersFromFlags takes it. */
  readonly index = new Map<string, number>();

  letter(keyword: string): string | undefined {
    let i = this.index.get(keyword);
    if (i === undefined) {
      if (this.keywords.length >= MAX_MAILDIR_KEYWORDS) return undefined;
      i = this.keywords.push(keyword) - 1;
      this.index.set(keyword, i);
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
