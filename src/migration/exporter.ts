// Writes a mailbox's folders out as mbox files or as a Dovecot Maildir++, message by message and
// chunk by chunk (never a whole message, let alone a whole mailbox, in memory). Messages keep
// their bytes exactly; flags, keywords, INTERNALDATE and (Maildir) UIDs and UIDVALIDITY come
// along. The layouts and escaping are in mbox-writer.ts and maildir-writer.ts.
import { mkdir, open, readdir, rename, stat, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Folder, MailStore, MessageSummary } from '../store/types.ts';
import { placeFolder, type FolderSelection } from './folder-filter.ts';
import { formatUidlist } from './formats/dovecot-uidlist.ts';
import { flagHeaderLines, fromLine, headerEnd, MboxrdEscaper } from './formats/mbox-writer.ts';
import { KeywordLetters, keywordsText, maildirBaseName, maildirFolderDir, maildirInfo, VirtualSize } from './formats/maildir-writer.ts';

export const EXPORT_FORMATS = ['Mbox', 'Maildir'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Bytes read from the store at a time. */
const CHUNK = 1024 * 1024;
/** How far into a message the end of its header is looked for (mbox flag fields). */
const HEAD_LIMIT = 256 * 1024;

export interface ExportProgress {
  messages: number;
  bytes: number;
  totalMessages: number;
  totalBytes: number;
  folder: string;
}

export interface ExportFolderReport {
  folder: string;
  /** The file (mbox) or directory (Maildir) written, relative to the export path. */
  target: string;
  sourceMessages: number;
  exported: number;
  bytes: number;
  skipped: string | null;
}

export interface ExportReport {
  folders: ExportFolderReport[];
  messages: number;
  bytes: number;
  warnings: string[];
}

export interface ExportOptions {
  format: ExportFormat;
  /** A directory that does not exist yet or is empty. */
  path: string;
  /** -SourceRootFolder, -IncludeFolders, -ExcludeFolders (the import's syntax; -TargetRootFolder is not used). */
  selection?: Pick<FolderSelection, 'sourceRootFolder' | 'includeFolders' | 'excludeFolders'>;
  onProgress?: (progress: ExportProgress) => void;
}

export class ExportError extends Error {}

/** The message's bytes in chunks, read straight from the store. */
async function* messageChunks(store: MailStore, message: MessageSummary): AsyncGenerator<Buffer> {
  for (let start = 0; start < message.size; start += CHUNK) {
    const chunk = await store.readBlob(message.blobId, { start, end: Math.min(message.size, start + CHUNK) });
    if (chunk.length === 0) throw new ExportError(`message ${message.uid} is shorter in the store than its recorded size`);
    yield chunk;
  }
}

async function writeAll(file: FileHandle, data: Buffer | string): Promise<void> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let offset = 0;
  while (offset < buf.length) offset += (await file.write(buf, offset)).bytesWritten;
}

/** The mbox file of a folder: its levels as directories, `.mbox` on the last (so `a` and `a/b` can both exist). */
function mboxFile(name: string): string | null {
  const levels = name.split('/');
  if (levels.some((l) => l === '' || l === '.' || l === '..' || l.includes('\0'))) return null;
  return `${levels.join('/')}.mbox`;
}

async function ensureEmptyTarget(path: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (!info) return mkdir(path, { recursive: true }).then(() => undefined);
  if (!info.isDirectory()) throw new ExportError(`${path} exists and is not a directory.`);
  if ((await readdir(path)).length > 0) throw new ExportError(`${path} is not empty; export into a new or empty folder.`);
}

async function writeMboxMessage(file: FileHandle, store: MailStore, message: MessageSummary): Promise<number> {
  await writeAll(file, fromLine(message.internalDate));
  const escaper = new MboxrdEscaper();
  const headLength = Math.min(message.size, HEAD_LIMIT);
  const head = await store.readBlob(message.blobId, { start: 0, end: headLength });
  const end = headerEnd(head);
  // The flag fields end the header; a message with no empty line in reach gets them first,
  // where they are still header fields and an mbox reader strips them just the same.
  const at = end?.offset ?? 0;
  const eol = end?.eol ?? (head.indexOf('\r\n') >= 0 && head.indexOf('\r\n') === head.indexOf('\n') - 1 ? '\r\n' : '\n');
  await writeAll(file, escaper.push(head.subarray(0, at)));
  await writeAll(file, escaper.push(Buffer.from(flagHeaderLines(message.flags, eol))));
  await writeAll(file, escaper.push(head.subarray(at)));
  let last = head[head.length - 1];
  for (let start = headLength; start < message.size; start += CHUNK) {
    const chunk = await store.readBlob(message.blobId, { start, end: Math.min(message.size, start + CHUNK) });
    if (chunk.length === 0) throw new ExportError(`message ${message.uid} is shorter in the store than its recorded size`);
    await writeAll(file, escaper.push(chunk));
    last = chunk[chunk.length - 1];
  }
  await writeAll(file, escaper.end());
  // The empty line between messages that mboxrd readers take away again. A message that does
  // not end with a line break gets one: mbox cannot say where such a message ends otherwise.
  await writeAll(file, last === 0x0a ? '\n' : '\n\n');
  return message.size;
}

class MaildirWriter {
  private sequence = 0;
  private readonly host = hostname() || 'localhost';

  constructor(private readonly store: MailStore) {}

  async writeFolder(dir: string, folder: Folder, messages: MessageSummary[], isInbox: boolean, progress: (bytes: number) => void): Promise<{ dropped: Set<string> }> {
    for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(dir, sub), { recursive: true });
    // Dovecot and Courier mark a Maildir++ subfolder with this empty file.
    if (!isInbox) await writeFile(join(dir, 'maildirfolder'), '');
    const letters = new KeywordLetters();
    const dropped = new Set<string>();
    const entries: { uid: number; base: string; virtualSize: number }[] = [];
    for (const message of messages) {
      const seconds = Math.floor(message.internalDate.getTime() / 1000);
      const temp = join(dir, 'tmp', `${seconds}.M${++this.sequence}P${process.pid}.${this.host}`);
      const file = await open(temp, 'wx');
      const vsize = new VirtualSize();
      try {
        for await (const chunk of messageChunks(this.store, message)) {
          vsize.push(chunk);
          await writeAll(file, chunk);
        }
        await file.sync();
      } finally {
        await file.close();
      }
      const base = maildirBaseName({ seconds, sequence: this.sequence, pid: process.pid, host: this.host, size: message.size, virtualSize: vsize.total });
      const { info, dropped: lost } = maildirInfo(message.flags, letters);
      for (const k of lost) dropped.add(k);
      const final = join(dir, 'cur', `${base}:${info}`);
      await rename(temp, final);
      // Dovecot takes a maildir message's INTERNALDATE from the file's modification time.
      await utimes(final, message.internalDate, message.internalDate);
      entries.push({ uid: message.uid, base, virtualSize: vsize.total });
      progress(message.size);
    }
    await writeFile(join(dir, 'dovecot-uidlist'), formatUidlist({ uidValidity: folder.uidValidity, nextUid: folder.uidNext, entries }));
    if (letters.keywords.length > 0) await writeFile(join(dir, 'dovecot-keywords'), keywordsText(letters.keywords));
    return { dropped };
  }
}

/** Exports the selected folders of a mailbox; folders that cannot be written are reported, not fatal. */
export async function exportMailbox(store: MailStore, mailboxId: string, options: ExportOptions): Promise<ExportReport> {
  const all = (await store.folders(mailboxId)).filter((f) => !f.hidden);
  const roles = new Map(all.map((f) => [f.name.toLowerCase(), f.role ?? undefined]));
  const roleOf = (prefix: string[]) => roles.get(prefix.join('/').toLowerCase());
  // The folders the selection takes, under the names they get in the export: below
  // -SourceRootFolder, whose own messages become the export's Inbox (its top, as in a PST).
  const chosen: { folder: Folder; name: string }[] = [];
  for (const folder of all) {
    const levels = folder.name.split('/');
    const placed = placeFolder(levels, options.selection ?? {}, roleOf);
    if (placed) chosen.push({ folder, name: placed.join('/') });
    else if (options.selection?.sourceRootFolder) {
      // placeFolder gives the root itself no place of its own: under a target root of INBOX it is exactly ['INBOX'].
      const asInbox = placeFolder(levels, { ...options.selection, targetRootFolder: 'INBOX' }, roleOf);
      if (asInbox?.length === 1) chosen.push({ folder, name: 'INBOX' });
    }
  }
  await ensureEmptyTarget(options.path);
  const report: ExportReport = { folders: [], messages: 0, bytes: 0, warnings: [] };
  const listed = await Promise.all(chosen.map(async (c) => ({ ...c, messages: await store.messages(c.folder.id) })));
  const totalMessages = listed.reduce((n, l) => n + l.messages.length, 0);
  const totalBytes = listed.reduce((n, l) => n + l.messages.reduce((m, x) => m + x.size, 0), 0);
  const tell = (folder: string) => options.onProgress?.({ messages: report.messages, bytes: report.bytes, totalMessages, totalBytes, folder });
  const maildir = new MaildirWriter(store);
  const subscribed = new Set((await store.subscriptions(mailboxId)).map((s) => s.toLowerCase()));
  const maildirSubscriptions: string[] = [];
  for (const { folder, name, messages } of listed) {
    const entry: ExportFolderReport = { folder: name, target: '', sourceMessages: messages.length, exported: 0, bytes: 0, skipped: null };
    report.folders.push(entry);
    const count = (bytes: number) => {
      entry.exported++;
      entry.bytes += bytes;
      report.messages++;
      report.bytes += bytes;
      tell(name);
    };
    if (options.format === 'Mbox') {
      const relative = mboxFile(name);
      if (!relative) {
        entry.skipped = 'the folder name cannot be a file name';
        continue;
      }
      entry.target = relative;
      const target = join(options.path, relative);
      await mkdir(dirname(target), { recursive: true });
      const file = await open(target, 'wx');
      try {
        for (const m of messages) count(await writeMboxMessage(file, store, m));
        await file.sync();
      } finally {
        await file.close();
      }
    } else {
      const relative = maildirFolderDir(name);
      if (relative === null) {
        entry.skipped = "a level of the name holds '.', the Maildir++ hierarchy separator";
        continue;
      }
      entry.target = relative || '.';
      const { dropped } = await maildir.writeFolder(join(options.path, relative), folder, messages, relative === '', count);
      if (dropped.size > 0) report.warnings.push(`${name}: Maildir keeps 26 keywords per folder; these were left out: ${[...dropped].join(' ')}`);
      if (relative !== '' && subscribed.has(folder.name.toLowerCase())) maildirSubscriptions.push(relative.slice(1));
    }
  }
  // Dovecot's Maildir++ subscriptions file: one folder per line, levels joined by '.'.
  if (options.format === 'Maildir' && maildirSubscriptions.length > 0) await writeFile(join(options.path, 'subscriptions'), `${maildirSubscriptions.join('\n')}\n`);
  for (const f of report.folders) if (f.skipped) report.warnings.push(`${f.folder}: not exported: ${f.skipped}`);
  return report;
}
