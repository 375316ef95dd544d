// mbox files as a migration source: one file is one folder; a directory of them is a tree of
// folders (Dovecot's and mutt's mail directories: `Sent`, `work/reports`; a file named INBOX
// is the Inbox). Files are scanned as streams and each message read on its own when imported,
// so a file of any size takes the memory of one message.
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { MboxScanner, mboxMessage, mboxState, parseSeparator, type MboxSpan, type MboxVariant } from './formats/mbox.ts';
import { specialUseByName } from './formats/well-known-folders.ts';
import { SourceItemError, type MigrationSource, type SourceEntry, type SourceFolder } from './source.ts';

interface MboxFolder extends SourceFolder {
  file: string;
}

export interface MboxSourceOptions {
  /** How `From ` lines in bodies were escaped (default mboxrd; see docs/migration.md). */
  variant?: MboxVariant;
  /** The folder a single file becomes (default: the file's name; `INBOX` for mbox, inbox, mbox.txt and spool files in /var/mail). */
  folderName?: string;
}

async function readSpan(file: string, span: MboxSpan): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const length = span.end - span.start;
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await handle.read(buffer, 0, length, span.start);
    if (bytesRead !== length) throw new SourceItemError(`truncated: the file ended ${length - bytesRead} bytes early (it changed while importing)`);
    return buffer;
  } finally {
    await handle.close();
  }
}

export class MboxSource implements MigrationSource {
  readonly description: string;
  private readonly variant: MboxVariant;

  constructor(private readonly path: string, private readonly options: MboxSourceOptions = {}) {
    this.description = `mbox ${path}`;
    this.variant = options.variant ?? 'mboxrd';
  }

  async folders(): Promise<MboxFolder[]> {
    const info = await stat(this.path);
    if (info.isFile()) {
      const name = this.options.folderName ?? basename(this.path);
      // A user's spool file (/var/mail/chris) is that user's Inbox.
      const spool = ['/var/mail', '/var/spool/mail'].includes(dirname(resolve(this.path)));
      const path = spool || ['mbox', 'inbox', 'mbox.txt'].includes(name.toLowerCase()) ? ['INBOX'] : name.split('/').filter((l) => l.length > 0);
      return [this.folder(path, this.path, null)];
    }
    // Dovecot's mbox layout keeps subscriptions in `.subscriptions`.
    const subsText = await readFile(join(this.path, '.subscriptions'), 'utf8').catch(() => '');
    // One name per line, '/' between levels.
    const subscribed = new Set(subsText.split('\n').map((l) => l.trim()).filter((l) => l.length > 0).map((l) => l.split('/').join('\u0000')));
    const out: MboxFolder[] = [];
    const walk = async (dir: string, prefix: string[]): Promise<void> => {
      const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const e of entries) {
        // Dot files are Dovecot's and mutt's own (.subscriptions, .imap/ indexes).
        if (e.name.startsWith('.')) continue;
        const levels = [...prefix, e.name];
        if (e.isDirectory()) await walk(join(dir, e.name), levels);
        // `work.mbox` beside a `work/` directory (New-MailboxExportRequest -ExportFormat Mbox, and
        // tools that give mbox files that suffix) is the folder `work`, which can then have subfolders.
        else if (e.isFile() && e.name.toLowerCase().endsWith('.mbox') && e.name.length > 5) {
          const name = e.name.slice(0, -5);
          const path = levels.length === 1 && ['inbox', 'mbox'].includes(name.toLowerCase()) ? ['INBOX'] : [...prefix, name];
          out.push(this.folder(path, join(dir, e.name), subscribed));
        }
        else if (e.isFile()) {
          const path = levels.length === 1 && ['inbox', 'mbox'].includes(e.name.toLowerCase()) ? ['INBOX'] : levels;
          out.push(this.folder(path, join(dir, e.name), subscribed));
        }
      }
    };
    await walk(this.path, []);
    return out.sort((a, b) => (a.path.join('\u0000') < b.path.join('\u0000') ? -1 : 1));
  }

  private folder(path: string[], file: string, subscribed: Set<string> | null): MboxFolder {
    const special = specialUseByName(path);
    return { path, file, ...(special ? { specialUse: special } : {}), subscribed: subscribed ? subscribed.has(path.join('\u0000')) : true };
  }

  async entries(folder: SourceFolder): Promise<SourceEntry[]> {
    const { file } = folder as MboxFolder;
    const scanner = new MboxScanner();
    const spans: MboxSpan[] = [];
    for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) spans.push(...scanner.push(chunk as Buffer));
    spans.push(...scanner.finish());
    const out: SourceEntry[] = [];
    const garbage = scanner.leadingGarbage();
    if (garbage) out.push({ kind: 'bad', label: `line 1`, reason: `${garbage.end} bytes before the first "From " line: not an mbox message` });
    // X-IMAPbase in the first message (Dovecot, UW-IMAP, Pine) gives the folder's UIDVALIDITY and UIDNEXT.
    let uidsUsable = false;
    for (const [i, span] of spans.entries()) {
      const state = mboxState(span.head);
      if (i === 0 && state.imapBase) {
        folder.uidValidity = state.imapBase.uidValidity;
        folder.uidNext = state.imapBase.uidNext;
        uidsUsable = true;
      }
      if (state.pseudo) continue;
      const label = `line ${span.line}`;
      const separator = parseSeparator(span.separator);
      if (!separator) {
        out.push({ kind: 'bad', label, reason: `malformed separator: ${JSON.stringify(span.separator.slice(0, 80))}` });
        continue;
      }
      out.push({
        kind: 'message', label, flags: state.flags, internalDate: separator.date, size: span.end - span.start,
        ...(uidsUsable && state.uid !== undefined ? { uid: state.uid } : {}),
        read: async () => {
          const raw = mboxMessage(await readSpan(file, span), this.variant);
          if (raw.length === 0) throw new SourceItemError('the message is empty');
          return raw;
        },
      });
    }
    // UIDs must ascend in the file, as Dovecot writes them; otherwise none are kept.
    const uids = out.flatMap((e) => (e.kind === 'message' && e.uid !== undefined ? [e.uid] : []));
    if (uids.some((u, i) => i > 0 && u <= uids[i - 1]!) || uids.some((u) => folder.uidNext !== undefined && u >= folder.uidNext)) {
      delete folder.uidValidity;
      delete folder.uidNext;
      for (const e of out) if (e.kind === 'message') delete e.uid;
    }
    return out;
  }
}
