// A Maildir or Dovecot Maildir++ mail root as a migration source: the root's cur/ and new/ are
// the Inbox, each `.Name` directory beside them a folder (`.Parent.Child` nested, names in
// modified UTF-7). Dovecot's files give what clients saw: dovecot-uidlist the UIDVALIDITY,
// UIDNEXT and UIDs, dovecot-keywords the keyword letters, `subscriptions` the subscribed
// folders. A file's mtime is its INTERNALDATE (Dovecot sets it so on delivery and APPEND).
// Files are read only when imported; a plain Maildir without Dovecot's files imports with new
// UIDs.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  flagsFromLetters, maildirFolderLevels, parseDovecotKeywords, parseMaildirFileName, parseSubscriptions,
} from './formats/maildir.ts';
import { toCrlf } from './formats/line-endings.ts';
import { DOVECOT_POP3_UIDL_FORMAT, formatPop3Uidl, parseUidlist, type Uidlist } from './formats/dovecot-uidlist.ts';
import { specialUseByName } from './formats/well-known-folders.ts';
import { SourceItemError, type MigrationSource, type SourceEntry, type SourceFolder } from './source.ts';

interface MaildirFolder extends SourceFolder {
  dir: string;
  uidlist: Uidlist | null;
}

export interface MaildirSourceOptions {
  /**
   * Dovecot's pop3_uidl_format on the old server (default `%08Xu%08Xv`), so the Inbox's messages
   * keep the UIDLs POP3 clients know; null to give them Mailroom's own.
   */
  pop3UidlFormat?: string | null;
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}

async function readText(path: string): Promise<string | null> {
  return readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
}

/** Whether `path` looks like a maildir (has cur/ or new/). */
export async function isMaildir(path: string): Promise<boolean> {
  return (await isDir(join(path, 'cur'))) || (await isDir(join(path, 'new')));
}

export class MaildirSource implements MigrationSource {
  readonly description: string;
  private readonly pop3UidlFormat: string | null;

  constructor(private readonly root: string, options: MaildirSourceOptions = {}) {
    this.description = `Maildir ${root}`;
    this.pop3UidlFormat = options.pop3UidlFormat === undefined ? DOVECOT_POP3_UIDL_FORMAT : options.pop3UidlFormat;
  }

  async folders(): Promise<MaildirFolder[]> {
    const subscribed = new Set(parseSubscriptions((await readText(join(this.root, 'subscriptions'))) ?? '').map((l) => l.join('\u0000')));
    const found: { path: string[]; dir: string }[] = [];
    if (await isMaildir(this.root)) found.push({ path: ['INBOX'], dir: this.root });
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const levels = maildirFolderLevels(entry.name);
      if (!levels || !(await isMaildir(join(this.root, entry.name)))) continue;
      // Dovecot keeps INBOX's children as `.INBOX.Child` when the Inbox has subfolders.
      found.push({ path: levels[0]!.toUpperCase() === 'INBOX' ? ['INBOX', ...levels.slice(1)] : levels, dir: join(this.root, entry.name) });
    }
    // Parents before children; siblings by name.
    found.sort((a, b) => (a.path.join('\u0000') < b.path.join('\u0000') ? -1 : 1));
    const folders: MaildirFolder[] = [];
    for (const f of found) {
      const text = await readText(join(f.dir, 'dovecot-uidlist'));
      const uidlist = text === null ? null : parseUidlist(text);
      const special = specialUseByName(f.path);
      folders.push({
        path: f.path, dir: f.dir, uidlist,
        ...(special ? { specialUse: special } : {}),
        ...(uidlist ? { uidValidity: uidlist.uidValidity, uidNext: uidlist.nextUid } : {}),
        subscribed: f.path[0] === 'INBOX' && f.path.length === 1 ? true : subscribed.has(f.path.join('\u0000')),
      });
    }
    return folders;
  }

  async entries(folder: SourceFolder): Promise<SourceEntry[]> {
    const { dir, uidlist } = folder as MaildirFolder;
    const keywords = parseDovecotKeywords((await readText(join(dir, 'dovecot-keywords'))) ?? '');
    const byBase = new Map((uidlist?.entries ?? []).map((e) => [e.base, e]));
    const inbox = folder.path.length === 1 && folder.path[0] === 'INBOX';
    const out: SourceEntry[] = [];
    for (const sub of ['cur', 'new']) {
      const names = await readdir(join(dir, sub)).catch(() => [] as string[]);
      for (const name of names) {
        if (name.startsWith('.')) continue;
        const file = join(dir, sub, name);
        const label = `${sub}/${name}`;
        const info = await stat(file).catch(() => null);
        if (!info || !info.isFile()) {
          out.push({ kind: 'bad', label, reason: 'not a readable file' });
          continue;
        }
        const parsed = parseMaildirFileName(name);
        const listed = byBase.get(parsed.base);
        const uid = listed?.uid;
        const pop3Uidl = listed?.pop3Uidl
          ?? (inbox && uid !== undefined && uidlist && this.pop3UidlFormat
            ? formatPop3Uidl(this.pop3UidlFormat, { uid, uidValidity: uidlist.uidValidity, base: parsed.base, ...(listed?.guid ? { guid: listed.guid } : {}) }) ?? undefined
            : undefined);
        const expected = parsed.size;
        out.push({
          kind: 'message', label,
          ...(uid !== undefined ? { uid } : {}),
          flags: sub === 'cur' ? flagsFromLetters(parsed.letters, keywords) : [],
          internalDate: info.mtime,
          ...(pop3Uidl ? { pop3Uidl } : {}),
          size: parsed.virtualSize ?? listed?.virtualSize ?? info.size,
          read: async () => {
            const raw = await readFile(file);
            if (raw.length === 0) throw new SourceItemError('the file is empty');
            if (expected !== undefined && raw.length !== expected) {
              throw new SourceItemError(`truncated: the file has ${raw.length} bytes, its name says S=${expected}`);
            }
            return toCrlf(raw);
          },
        });
      }
    }
    return out;
  }
}
