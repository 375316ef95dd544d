// The import engine: writes a MigrationSource into one mailbox. Any source (Maildir, Maildir++,
// mbox, IMAP) goes through here, so the guarantees are the same for all:
// - Idempotent and resumable: every message is appended with an import key (the source folder
//   and UID where the source keeps UIDs, else the source folder, Message-ID and SHA-256 of the
//   bytes), recorded in the transaction that adds the message. A second run, or a run after a
//   crash, adds only what is not there yet; nothing is ever added twice.
// - UIDVALIDITY and UIDs are kept when the target folder is new or empty (or was created by an
//   earlier run of the same import), so IMAP clients that synced the old server keep their
//   copies; POP3 UIDLs the source gives are kept per message.
// - Bad items (a truncated or unreadable message, one over the size limit, a malformed mbox
//   separator, a folder name Mailroom cannot hold) are counted and skipped; past BadItemLimit
//   the import stops as Failed, keeping what it imported.
// - A per-folder report: counted at the source, imported, already there, skipped with why, and
//   whether those add up.
import { createHash } from 'node:crypto';
import { parseHeaderFields, headerValue } from '../mime/index.ts';
import { canonicalFolderName, folderNameProblem } from '../store/folder-names.ts';
import { FolderError, QuotaExceededError, type Folder, type FolderRole, type MailStore } from '../store/types.ts';
import { placeFolder, type FolderSelection } from './folder-filter.ts';
import { SourceItemError, type MigrationSource, type SourceEntry, type SourceFolder, type SourceMessage } from './source.ts';

/** Exchange Online's largest message, the largest any Exchange accepts; bigger items are bad items. */
export const DEFAULT_MAX_MESSAGE_BYTES = 150 * 1024 * 1024;

export type ImportStatus = 'Completed' | 'CompletedWithWarning' | 'Failed';

export interface ImportOptions extends FolderSelection {
  /** Bad items tolerated before the import stops as Failed (Exchange's default is 0). */
  badItemLimit?: number | 'unlimited';
  maxMessageBytes?: number;
  onProgress?: (progress: ImportProgress) => void;
  /** Stops between two messages; the report says Failed with the signal's reason. */
  signal?: AbortSignal;
}

export interface ImportProgress {
  folder: string;
  messagesTotal: number;
  /** Messages handled so far: imported, found already there, or skipped. */
  messagesDone: number;
  bytesTotal: number;
  bytesDone: number;
  itemsTransferred: number;
  bytesTransferred: number;
}

export interface SkippedItem {
  item: string;
  reason: string;
}

export interface FolderReport {
  source: string;
  /** The target folder, or null when the folder could not be made (its messages are skipped). */
  target: string | null;
  sourceCount: number;
  imported: number;
  alreadyImported: number;
  skipped: SkippedItem[];
  /** The source's UIDVALIDITY and UIDs were kept in the target. */
  uidsKept: boolean;
  uidValidity: number | null;
  notes: string[];
  /** sourceCount = imported + alreadyImported + skipped: no message unaccounted for. */
  addsUp: boolean;
}

export interface ImportReport {
  status: ImportStatus;
  failure?: string;
  folders: FolderReport[];
  messagesTotal: number;
  bytesTotal: number;
  itemsTransferred: number;
  bytesTransferred: number;
  badItems: number;
}

class TooManyBadItems extends Error {}

interface PlannedFolder {
  folder: SourceFolder;
  target: string[];
  entries: SourceEntry[];
}

const UID_KEY = 'u';
const HASH_KEY = 'h';

function uidKey(folder: SourceFolder, uid: number): string {
  return `${UID_KEY}\u0000${folder.path.join('/')}\u0000${folder.uidValidity}\u0000${uid}`;
}

function hashKey(folder: SourceFolder, raw: Buffer): string {
  const head = raw.subarray(0, Math.min(raw.length, 256 * 1024));
  const messageId = headerValue(head, parseHeaderFields(head), 'message-id')?.trim() ?? '';
  const digest = createHash('sha256').update(raw).digest('hex');
  return `${HASH_KEY}\u0000${folder.path.join('/')}\u0000${messageId}\u0000${digest}`;
}

export class Importer {
  private readonly report: ImportReport = {
    status: 'Completed', folders: [], messagesTotal: 0, bytesTotal: 0, itemsTransferred: 0, bytesTransferred: 0, badItems: 0,
  };
  private messagesDone = 0;
  private bytesDone = 0;
  /** Roles whose target folder a source folder of this run already went to: one source folder per role. */
  private readonly rolesTaken = new Set<FolderRole>();
  private readonly maxBytes: number;
  private readonly badItemLimit: number;

  constructor(
    private readonly store: MailStore,
    private readonly mailboxId: string,
    private readonly source: MigrationSource,
    private readonly options: ImportOptions = {},
  ) {
    this.maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const limit = options.badItemLimit ?? 0;
    this.badItemLimit = limit === 'unlimited' ? Infinity : limit;
  }

  async run(): Promise<ImportReport> {
    try {
      const plan = await this.plan();
      for (const planned of plan) {
        this.checkAborted();
        await this.importFolder(planned);
      }
      const skipped = this.report.folders.some((f) => f.skipped.length > 0);
      this.report.status = skipped ? 'CompletedWithWarning' : 'Completed';
    } catch (err) {
      this.report.status = 'Failed';
      this.report.failure = err instanceof Error ? err.message : String(err);
    }
    return this.report;
  }

  private checkAborted(): void {
    const signal = this.options.signal;
    if (signal?.aborted) throw new Error(signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'The import was stopped.'));
  }

  /** Lists every selected folder and its entries first, so progress has totals (and an ETA). */
  private async plan(): Promise<PlannedFolder[]> {
    const folders = await this.source.folders();
    const roles = new Map(folders.map((f) => [f.path.join('/').toLowerCase(), f.path.length === 1 && f.path[0]!.toUpperCase() === 'INBOX' ? 'inbox' as FolderRole : f.specialUse]));
    const roleOf = (prefix: string[]): FolderRole | undefined => roles.get(prefix.join('/').toLowerCase());
    const plan: PlannedFolder[] = [];
    for (const folder of folders) {
      const target = placeFolder(folder.path, this.options, roleOf);
      if (!target) continue;
      const entries = await this.source.entries(folder);
      for (const e of entries) {
        this.report.messagesTotal++;
        if (e.kind === 'message') this.report.bytesTotal += e.size ?? 0;
      }
      plan.push({ folder, target, entries });
    }
    return plan;
  }

  private progress(folder: string): void {
    this.options.onProgress?.({
      folder, messagesTotal: this.report.messagesTotal, messagesDone: this.messagesDone, bytesTotal: this.report.bytesTotal,
      bytesDone: this.bytesDone, itemsTransferred: this.report.itemsTransferred, bytesTransferred: this.report.bytesTransferred,
    });
  }

  private skip(report: FolderReport, item: string, reason: string): void {
    report.skipped.push({ item, reason });
    this.report.badItems++;
    this.messagesDone++;
    if (this.report.badItems > this.badItemLimit) {
      throw new TooManyBadItems(`${this.report.badItems} bad items exceed BadItemLimit ${this.options.badItemLimit ?? 0}; the import stopped (what was imported stays).`);
    }
  }

  private async importFolder(planned: PlannedFolder): Promise<void> {
    const { folder, entries } = planned;
    const targetName = planned.target.join('/');
    const report: FolderReport = {
      source: folder.path.join('/'), target: null, sourceCount: entries.length, imported: 0, alreadyImported: 0,
      skipped: [], uidsKept: false, uidValidity: null, notes: [], addsUp: false,
    };
    this.report.folders.push(report);
    try {
      await this.importEntries(planned, targetName, report);
    } finally {
      report.addsUp = report.sourceCount === report.imported + report.alreadyImported + report.skipped.length;
    }
  }

  private async importEntries(planned: PlannedFolder, targetName: string, report: FolderReport): Promise<void> {
    const { folder, entries } = planned;
    const problem = planned.target.map((level) => folderNameProblem(level)).find((p) => p !== undefined) ?? folderNameProblem(targetName);
    if (problem) {
      report.notes.push(`The folder name '${targetName}' cannot be used: ${problem}`);
      for (const e of entries) this.skip(report, e.label, `invalid folder name: ${problem}`);
      return;
    }
    const target = await this.targetFolder(folder, planned.target);
    report.target = target.name;
    let status = await this.store.status(target.id);
    // UIDs are kept when the target has the source's UIDVALIDITY (new, re-based, or an earlier
    // run of this import) — or can take it because it is empty.
    let keep = false;
    if (folder.uidValidity !== undefined) {
      if (status.uidValidity === folder.uidValidity) keep = true;
      else if (status.messages === 0) {
        await this.store.adoptUidValidity(target.id, folder.uidValidity);
        status = await this.store.status(target.id);
        keep = true;
      } else {
        report.notes.push(`'${target.name}' already held ${status.messages} messages: they keep their UIDs and the imported ones get new UIDs (clients download them again).`);
      }
    }
    report.uidsKept = keep;
    report.uidValidity = status.uidValidity;
    if (folder.subscribed) await this.store.setSubscribed(this.mailboxId, target.name, true);

    // Messages with a UID first, ascending (UIDs may only grow); then those without.
    const messages = entries.filter((e): e is SourceMessage => e.kind === 'message');
    const withUid = messages.filter((m) => m.uid !== undefined).sort((a, b) => a.uid! - b.uid!);
    const ordered: SourceEntry[] = [...withUid, ...messages.filter((m) => m.uid === undefined), ...entries.filter((e) => e.kind === 'bad')];
    const keyed = folder.uidValidity !== undefined ? withUid.map((m) => uidKey(folder, m.uid!)) : [];
    const known = keyed.length > 0 ? await this.store.importedKeys(this.mailboxId, keyed) : new Set<string>();
    let uidNext = status.uidNext;
    let reserved = false;
    const reserve = async (): Promise<void> => {
      if (reserved || !keep || folder.uidNext === undefined) return;
      reserved = true;
      uidNext = (await this.store.reserveUids(target.id, folder.uidNext)).uidNext;
    };
    let uidsLost = 0;
    for (const entry of ordered) {
      this.checkAborted();
      if (entry.kind === 'bad') {
        this.skip(report, entry.label, entry.reason);
        this.progress(report.source);
        continue;
      }
      if (entry.uid === undefined) await reserve();
      const key = entry.uid !== undefined && folder.uidValidity !== undefined ? uidKey(folder, entry.uid) : undefined;
      if (key && known.has(key)) {
        report.alreadyImported++;
        this.messagesDone++;
        this.bytesDone += entry.size ?? 0;
        this.progress(report.source);
        continue;
      }
      if (entry.size !== undefined && entry.size > this.maxBytes) {
        this.skip(report, entry.label, `over the size limit: ${entry.size} bytes, at most ${this.maxBytes}`);
        this.bytesDone += entry.size;
        continue;
      }
      let raw: Buffer;
      try {
        raw = await entry.read();
      } catch (err) {
        if (!(err instanceof SourceItemError) && (err as NodeJS.ErrnoException).code === undefined) throw err;
        this.skip(report, entry.label, err instanceof Error ? err.message : String(err));
        this.bytesDone += entry.size ?? 0;
        continue;
      }
      if (raw.length > this.maxBytes) {
        this.skip(report, entry.label, `over the size limit: ${raw.length} bytes, at most ${this.maxBytes}`);
        this.bytesDone += entry.size ?? raw.length;
        continue;
      }
      const keepUid = keep && entry.uid !== undefined && entry.uid >= uidNext;
      if (keep && entry.uid !== undefined && !keepUid) uidsLost++;
      let result;
      try {
        result = await this.store.append(target.id, {
          raw,
          flags: entry.flags.filter((f) => f.toLowerCase() !== '\\recent'),
          ...(entry.internalDate && !Number.isNaN(entry.internalDate.getTime()) ? { internalDate: entry.internalDate } : {}),
          ...(keepUid ? { uid: entry.uid } : {}),
          ...(entry.pop3Uidl ? { pop3Uidl: entry.pop3Uidl } : {}),
          importKey: key ?? hashKey(folder, raw),
        });
      } catch (err) {
        if (err instanceof QuotaExceededError) throw new Error(`The target mailbox is full: ${err.message}`);
        throw err;
      }
      this.messagesDone++;
      this.bytesDone += entry.size ?? raw.length;
      if (result.duplicate) report.alreadyImported++;
      else {
        report.imported++;
        this.report.itemsTransferred++;
        this.report.bytesTransferred += raw.length;
        if (keepUid) uidNext = result.uid + 1;
      }
      this.progress(report.source);
    }
    await reserve();
    if (uidsLost > 0) report.notes.push(`${uidsLost} messages could not keep their UID (below the folder's UIDNEXT) and got new ones.`);
  }

  /** The target folder: the Inbox, the folder of the source's special use, or one by name (created with parents). */
  private async targetFolder(folder: SourceFolder, levels: string[]): Promise<Folder> {
    const name = canonicalFolderName(levels.join('/'));
    const existing = await this.store.folder(this.mailboxId, name);
    if (existing) {
      if (existing.role) this.rolesTaken.add(existing.role);
      return existing;
    }
    // Two source folders of one special use (Sent and 寄件備份) must not merge: the first goes to
    // the mailbox's folder of that role, the others keep their own names.
    if (folder.specialUse && !this.options.targetRootFolder && !this.rolesTaken.has(folder.specialUse)) {
      this.rolesTaken.add(folder.specialUse);
      // The mailbox's own folder of that role (Sent Items for Dovecot's Sent). When it is still
      // empty it takes the source's name, so IMAP clients find the folder they know.
      const all = await this.store.folders(this.mailboxId);
      const role = all.find((f) => f.role === folder.specialUse);
      if (role) {
        const hasChildren = all.some((f) => f.name.startsWith(`${role.name}/`));
        if (hasChildren || (await this.store.status(role.id)).messages > 0) return role;
        await this.store.renameFolder(this.mailboxId, role.name, name);
        return (await this.store.folder(this.mailboxId, name))!;
      }
    }
    for (let i = 1; i < levels.length; i++) {
      const parent = levels.slice(0, i).join('/');
      if (!(await this.store.folder(this.mailboxId, parent))) await this.createQuietly(parent);
    }
    try {
      return await this.store.createFolder(this.mailboxId, name, folder.uidValidity !== undefined ? { uidValidity: folder.uidValidity } : {});
    } catch (err) {
      if (err instanceof FolderError && err.code === 'exists') return (await this.store.folder(this.mailboxId, name))!;
      throw err;
    }
  }

  private async createQuietly(name: string): Promise<void> {
    try {
      await this.store.createFolder(this.mailboxId, name);
    } catch (err) {
      if (!(err instanceof FolderError && err.code === 'exists')) throw err;
    }
  }
}

/** Imports `source` into the mailbox; see Importer. */
export function importMailbox(store: MailStore, mailboxId: string, source: MigrationSource, options: ImportOptions = {}): Promise<ImportReport> {
  return new Importer(store, mailboxId, source, options).run();
}
