// The SQLite engine of the MailStore: one database file per mailbox database (WAL, fsync on
// every commit), message bytes stored once by SHA-256 — small ones inside the database, large
// ones as files beside it. UID, MODSEQ, counters, quota usage and the change log move in one
// transaction, so a crash can never leave them disagreeing.
import Database from 'better-sqlite3';
import { StatementCache } from '../../lib/sql/sqlite.ts';
import { ensurePrivateFile, makePrivateDir } from '../../lib/private-files.ts';
import { join } from 'node:path';
import { BlobFiles } from '../blob/files.ts';
import { canonicalFolderName, defaultFolderNames, DEFAULT_ROLES, folderNameProblem } from '../folder-names.ts';
import { dayNumber, messageSortKeys, type SortKeys } from '../../mime/index.ts';
import { summarizeHeaders } from '../header-summary.ts';
import { FolderMap, type ChangedRow } from '../folder-map.ts';
import { KeptByFolder } from '../kept-by-folder.ts';
import { SortOrder } from '../sort-order.ts';
import { ThreadKeys, type ThreadColumns, type ThreadKeyRow } from '../thread-keys.ts';
import { flagsMatch, testsFlagsOnly, type DateOp, type SearchKey } from '../search.ts';
import { normalizeFlags, applyFlagOperation, hasSeen } from '../flags.ts';
import {
  FolderError,
  QuotaExceededError,
  type AppendInput,
  type AppendResult,
  type ChangeListener,
  type ChangesSince,
  type FlagChangesSince,
  type CopyResult,
  type Flag,
  type FlagOperation,
  type Folder,
  type FolderRole,
  type FlagColumns,
  type FlagRow,
  type FolderSnapshot,
  type FolderStatus,
  type MailboxUsage,
  type MailStore,
  type MessageSummary,
  type RecoverableItem,
  type SortColumn,
  type StoreFlagsResult,
  type StoreOptions,
} from '../types.ts';
import { SORT_INDEXES, SORT_KEY_COLUMNS, STORE_SCHEMA, SYSTEM_FLAG_INDEXES, systemFlagTest } from './schema.ts';
import { isCjk } from '../cjk.ts';
import { TextIndex } from './text-index.ts';
import { storeCommits, storeWrites } from '../../lib/metrics.ts';
import { SIGNATURE_FIELDS } from './signature-fields.ts';

/** Messages up to this size live inside the database; larger ones are files (streamed later). */
export const INLINE_BLOB_LIMIT = 128 * 1024;
/** Bytes a message kept as a file is read in by blobChunks(). */
const BLOB_CHUNK = 256 * 1024;

const DEFAULT_RETENTION_SECONDS = 14 * 86400;

interface FolderRow {
  id: number;
  mailbox_id: string;
  name: string;
  role: string | null;
  hidden: number;
  uid_validity: number;
  uid_next: number;
  highest_modseq: number;
  messages: number;
  unseen: number;
  recent: number;
  size: number;
}

interface MessageRow {
  id: number;
  folder_id: number;
  uid: number;
  modseq: number;
  blob_id: string;
  size: number;
  internal_date: number;
  flags: string;
  seen: number;
  recent: number;
  subject: string;
  sender: string;
  sent_day: number | null;
  pop3_uidl: string | null;
}

interface RecoverableRow {
  id: number;
  mailbox_id: string;
  folder_name: string;
  blob_id: string;
  size: number;
  internal_date: number;
  flags: string;
  deleted_at: number;
  purge_after: number;
  reason: string;
  subject: string;
  sender: string;
}

function toFolder(r: FolderRow): Folder {
  return {
    id: r.id, mailboxId: r.mailbox_id, name: r.name, role: r.role as FolderRole | null,
    hidden: r.hidden === 1,
    uidValidity: r.uid_validity, uidNext: r.uid_next, highestModseq: r.highest_modseq,
  };
}

/** MessageRow's columns: rows are read without the sort-key columns, which SORT and THREAD read alone. */
const ROW_COLUMNS = 'id, folder_id, uid, modseq, blob_id, size, internal_date, flags, seen, recent, subject, sender, sent_day, pop3_uidl';

/** The sort-key columns in the order sortKeyValues gives their values. */
const SORT_KEY_NAMES = SORT_KEY_COLUMNS.map(([name]) => name).join(', ');

function sortKeyValues(k: SortKeys): (string | number | null)[] {
  return [k.sent, k.subject, k.replyOrForward ? 1 : 0, k.from, k.to, k.cc, k.displayFrom, k.displayTo, k.messageId, k.references.join(' ')];
}

/** The column each SORT key orders by (fixed names: the only text put into the ORDER BY). */
const ORDER_COLUMNS: Record<SortColumn, string> = {
  arrival: 'internal_date', date: 'sort_date', size: 'size', subject: 'sort_subject', from: 'sort_from', to: 'sort_to',
  cc: 'sort_cc', displayfrom: 'sort_display_from', displayto: 'sort_display_to',
};

/**
 * Sets of up to this many UIDs are looked up one by one (and SQLite sorts just those rows);
 * larger ones are taken from the folder's kept order (SORT) or keys (THREAD).
 */
const SMALL_UID_SET = 1000;

/**
 * Whether a partial index answers a flag key by reading fewer rows than the folder map's pass
 * over every message costs: FLAGGED and DELETED (their indexes hold only those messages), and
 * UNSEEN when at most an eighth of the folder is unseen. A row from an index costs about nine
 * times a message of the map's pass (130 against 15 ns, measured at 100,000 messages).
 */
function partialIndexReadsFewer(key: SearchKey, f: FolderRow): boolean {
  if (key.type !== 'flag') return false;
  const flag = key.flag.toLowerCase();
  if (key.present) return flag === '\\flagged' || flag === '\\deleted';
  return flag === '\\seen' && f.unseen * 8 <= f.messages;
}

function toSummary(r: MessageRow): MessageSummary {
  return {
    uid: r.uid, modseq: r.modseq, flags: JSON.parse(r.flags) as Flag[], size: r.size,
    internalDate: new Date(r.internal_date), blobId: r.blob_id,
    ...(r.pop3_uidl === null ? {} : { pop3Uidl: r.pop3_uidl }),
  };
}

/** A commit this recent means writes are streaming in: the next one waits to gather more. */
const BUSY_WITHIN_MS = 5;
/** How long a commit under load waits for more writes to share its fsync. */
const GATHER_MS = 2;

/** Folders of up to this many messages answer text keys message by message (see SearchContext.perRow). */
const DEFAULT_TEXT_SCAN_LIMIT = 2000;

/**
 * UID, MODSEQ and flags of a folder's messages changed after a MODSEQ (a session's sync after
 * every command, the folder map brought forward). The MODSEQ index, named: these three columns
 * are also an index of their own in UID order (messages_flag_rows), and SQLite would otherwise
 * walk all of that to save sorting the few rows changed — 3.5 ms a command with a folder of
 * 100,000 selected, for a sync that finds nothing.
 */
export const CHANGED_FLAG_ROWS = `SELECT uid, modseq, flags AS changed_flags FROM messages INDEXED BY messages_by_modseq WHERE folder_id = ? AND modseq > ? ORDER BY uid`;

/** A folder's counters as STATUS reports them. */
function statusOf(f: FolderRow): FolderStatus {
  return {
    messages: f.messages, unseen: f.unseen, recent: f.recent, size: f.size,
    uidNext: f.uid_next, uidValidity: f.uid_validity, highestModseq: f.highest_modseq,
  };
}

/** What a flag change reads of each message. */
type FlagChangeRow = Pick<MessageRow, 'id' | 'uid' | 'modseq' | 'flags' | 'seen'>;

const isKeyword = (flag: Flag) => !flag.startsWith('\\');

/** What THREAD reads of a message, in ThreadKeyRow's order. */
const THREAD_KEY_COLUMNS = `uid, sort_date, sort_subject, subject_reply, header_message_id, header_references`;
/**
 * Messages whose thread keys are kept, all folders together: about 110 bytes a message
 * (measured at 100,000, docs/storage.md), so some 33 MB. The least recently threaded folders
 * go first.
 */
const THREAD_KEYS_KEPT = 300_000;

/**
 * UIDs of kept sort orders, all folders and orders together: 4 bytes each, so 8 MB. A webmail
 * sorting a large Inbox by date and by arrival keeps two orders of it.
 */
const SORT_ORDERS_KEPT = 2_000_000;

/** Folders whose maps are kept (4 bytes a message, 16 with flags); the least recently used go first. */
const FOLDER_MAPS = 64;

export class SqliteMailStore implements MailStore {
  /** Maps of recently used folders (see folderMap()). */
  private readonly folderMaps = new Map<number, FolderMap>();
  /** Thread keys of recently threaded folders (see keptThreadKeys()). */
  private readonly threadKeysKept = new KeptByFolder<number, ThreadKeys>(THREAD_KEYS_KEPT);
  /** Sort orders of recently sorted folders, by folder and ORDER BY (see keptSortOrder()). */
  private readonly sortOrdersKept = new KeptByFolder<string, SortOrder>(SORT_ORDERS_KEPT);
  private readonly listeners = new Map<string, Set<ChangeListener>>();
  private readonly pendingEvents: { mailboxId: string; folderId: number; highestModseq: number }[] = [];
  private readonly now: () => Date;
  private readonly retentionSeconds: number;
  private readonly statements: StatementCache;
  /** Searches run here: mailbox.db read-only with index.db attached as `ix` (see search()). */
  private readonly reader: Database.Database;
  private readonly readerStatements: StatementCache;
  private readonly textIndex: TextIndex;
  /** Set when a transaction queued index work; the indexer is woken after its commit. */
  private indexWorkQueued = false;
  /** index_queue rows up to this seq are deleted (the indexer has applied them). */
  private prunedUpTo = 0;

  private constructor(
    private readonly db: Database.Database,
    reader: Database.Database,
    textIndex: TextIndex,
    private readonly blobs: BlobFiles,
    private readonly options: StoreOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.retentionSeconds = options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS;
    this.statements = new StatementCache(db);
    this.reader = reader;
    this.readerStatements = new StatementCache(reader);
    this.textIndex = textIndex;
  }

  /** Opens (creating if needed) the mailbox database kept in `folder`. */
  static async open(folder: string, options: StoreOptions = {}): Promise<SqliteMailStore> {
    makePrivateDir(folder);
    ensurePrivateFile(join(folder, 'mailbox.db'));
    const db = new Database(join(folder, 'mailbox.db'));
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before append() resolves, so an acknowledged message
    // survives power loss as well as a killed process (DESIGN.md §2).
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 10000');
    db.pragma('foreign_keys = ON');
    db.exec(STORE_SCHEMA);
    SqliteMailStore.addSentDayColumn(db);
    SqliteMailStore.addPop3UidlColumn(db);
    SqliteMailStore.addSortKeyColumns(db);
    SqliteMailStore.moveSubscriptions(db);
    SqliteMailStore.moveTextIndex(db, folder);
    SqliteMailStore.fillFolderKeywords(db);
    db.prepare(`INSERT INTO meta (key, value) VALUES ('next_uid_validity', ?) ON CONFLICT (key) DO NOTHING`).run(
      Math.floor(Date.now() / 1000),
    );
    const reader = new Database(join(folder, 'mailbox.db'), { readonly: true });
    reader.pragma('busy_timeout = 10000');
    reader.prepare(`ATTACH DATABASE ? AS ix`).run(join(folder, 'index.db'));
    reader.function('header_has', { deterministic: true }, headerHas);
    reader.function('verbatim_has', { deterministic: true }, verbatimHas);
    const textIndex = new TextIndex(folder, (message) => options.onIndexError?.(message));
    const blobs = new BlobFiles(join(folder, 'blobs'));
    const store = new SqliteMailStore(db, reader, textIndex, blobs, options);
    await store.removeOrphanBlobFiles();
    await store.fillSentDays();
    await store.fillSortKeys();
    db.exec(SORT_INDEXES);
    return store;
  }

  /**
   * Databases from before messages.sent_day kept the Date field as an instant (sent_date), which
   * has lost the day as written that SENTBEFORE/SENTON/SENTSINCE compare. The column is added
   * and marked to be filled from each message's header (fillSentDays).
   */
  private static addSentDayColumn(db: Database.Database): void {
    const columns = db.prepare(`SELECT name FROM pragma_table_info('messages')`).pluck().all() as string[];
    if (columns.includes('sent_day')) return;
    db.transaction(() => {
      db.exec(`ALTER TABLE messages ADD COLUMN sent_day INTEGER`);
      if (columns.includes('sent_date')) db.exec(`ALTER TABLE messages DROP COLUMN sent_date`);
      // The value is the last message id filled, so a fill cut short goes on where it stopped.
      db.prepare(`INSERT INTO meta (key, value) VALUES ('fill_sent_day', 0) ON CONFLICT (key) DO NOTHING`).run();
    }).immediate();
  }

  /**
   * Databases from before folder_keywords get the table filled from the messages' flags, once
   * (meta 'folder_keywords' records that it was done), in the order keywords first appear.
   */
  private static fillFolderKeywords(db: Database.Database): void {
    if (db.prepare(`SELECT 1 FROM meta WHERE key = 'folder_keywords'`).get()) return;
    db.transaction(() => {
      db.exec(`DELETE FROM folder_keywords`);
      const combos = db.prepare(`SELECT folder_id, flags, COUNT(*) AS n, MIN(uid) AS first FROM messages GROUP BY folder_id, flags ORDER BY folder_id, first`)
        .all() as { folder_id: number; flags: string; n: number }[];
      const add = db.prepare(
        `INSERT INTO folder_keywords (folder_id, keyword, name, messages) VALUES (?, ?, ?, ?)
         ON CONFLICT (folder_id, keyword) DO UPDATE SET messages = messages + excluded.messages`,
      );
      for (const c of combos) {
        for (const f of JSON.parse(c.flags) as Flag[]) if (!f.startsWith('\\')) add.run(c.folder_id, f.toLowerCase(), f, c.n);
      }
      db.prepare(`INSERT INTO meta (key, value) VALUES ('folder_keywords', 1)`).run();
    }).immediate();
  }

  /** Databases from before imports had no column for a POP3 UIDL carried over from another server. */
  private static addPop3UidlColumn(db: Database.Database): void {
    const columns = db.prepare(`SELECT name FROM pragma_table_info('messages')`).pluck().all() as string[];
    if (!columns.includes('pop3_uidl')) db.exec(`ALTER TABLE messages ADD COLUMN pop3_uidl TEXT`);
  }

  /**
   * Databases from before the sort-key columns get them, marked to be filled from each
   * message's header (fillSortKeys); their indexes are made once the values are in.
   */
  private static addSortKeyColumns(db: Database.Database): void {
    const columns = db.prepare(`SELECT name FROM pragma_table_info('messages')`).pluck().all() as string[];
    const missing = SORT_KEY_COLUMNS.filter(([name]) => !columns.includes(name));
    if (missing.length === 0) return;
    db.transaction(() => {
      for (const [name, definition] of missing) db.exec(`ALTER TABLE messages ADD COLUMN ${name} ${definition}`);
      // The value is the last message id filled, so a fill cut short goes on where it stopped.
      db.prepare(`INSERT INTO meta (key, value) VALUES ('fill_sort_keys', 0) ON CONFLICT (key) DO UPDATE SET value = 0`).run();
    }).immediate();
  }

  /** Fills the sort-key columns from the stored headers where addSortKeyColumns asked for it. */
  private fillSortKeys(): Promise<void> {
    // An unreadable message sorts as one without header fields.
    return this.fillFromHeaders('fill_sort_keys', SORT_KEY_COLUMNS.map(([name]) => name),
      (head, row) => sortKeyValues(messageSortKeys(head ?? Buffer.alloc(0), new Date(row.internal_date))));
  }

  /** Fills messages.sent_day from the stored headers where addSentDayColumn asked for it. */
  private fillSentDays(): Promise<void> {
    return this.fillFromHeaders('fill_sent_day', ['sent_day'], (head) => [head ? summarizeHeaders(head).sentDay : null]);
  }

  /**
   * A column added to an older database, filled from each message's header (its first 64 KB)
   * in batches of 256 at open. The meta row `metaKey` holds the last message id done, so a fill
   * cut short goes on where it stopped; it is removed when the fill is complete.
   */
  private async fillFromHeaders(
    metaKey: string, columns: readonly string[],
    valuesOf: (head: Buffer | null, row: { id: number; internal_date: number }) => (string | number | null)[],
  ): Promise<void> {
    let lastId = this.statements.get(`SELECT value FROM meta WHERE key = ?`).pluck().get(metaKey) as number | undefined;
    if (lastId === undefined) return;
    const next = this.statements.get(`SELECT id, blob_id, internal_date FROM messages WHERE id > ? ORDER BY id LIMIT 256`);
    const update = `UPDATE messages SET ${columns.map((name) => `${name} = ?`).join(', ')} WHERE id = ?`;
    for (;;) {
      const rows = next.all(lastId) as { id: number; blob_id: string; internal_date: number }[];
      if (rows.length === 0) break;
      const values: [number, (string | number | null)[]][] = [];
      for (const row of rows) {
        const head = await this.readBlob(row.blob_id, { start: 0, end: 64 * 1024 }).catch(() => null);
        values.push([row.id, valuesOf(head, row)]);
      }
      lastId = rows.at(-1)!.id;
      const upTo = lastId;
      this.db.transaction(() => {
        for (const [id, v] of values) this.statements.get(update).run(...v, id);
        this.statements.get(`UPDATE meta SET value = ? WHERE key = ?`).run(upTo, metaKey);
      }).immediate();
    }
    this.statements.get(`DELETE FROM meta WHERE key = ?`).run(metaKey);
  }

  async close(): Promise<void> {
    if (this.queue.length > 0) this.flush();
    await this.textIndex.close();
    this.reader.close();
    this.db.close();
  }

  /**
   * Databases from before the subscriptions table kept a subscribed flag on each folder: those
   * folders become the list's names, and the column goes, so there is one place to look.
   */
  private static moveSubscriptions(db: Database.Database): void {
    const old = db.prepare(`SELECT 1 FROM pragma_table_info('folders') WHERE name = 'subscribed'`).get();
    if (!old) return;
    db.transaction(() => {
      db.prepare(`INSERT INTO subscriptions (mailbox_id, name) SELECT mailbox_id, name FROM folders WHERE subscribed = 1 ON CONFLICT DO NOTHING`).run();
      db.exec(`ALTER TABLE folders DROP COLUMN subscribed`);
    }).immediate();
  }

  /**
   * The full-text index lives in index.db, written by a worker thread. A database from before
   * that (FTS tables inside mailbox.db), or one whose index.db was deleted to rebuild it, gets
   * every message queued for indexing.
   */
  private static moveTextIndex(db: Database.Database, folder: string): void {
    const oldTables = db.prepare(`SELECT name FROM sqlite_master WHERE name IN ('message_text', 'message_cjk') AND type = 'table'`).pluck().all() as string[];
    const current = TextIndex.prepare(folder);
    if (current && oldTables.length === 0) return;
    db.transaction(() => {
      db.prepare(`INSERT INTO index_queue (message_id, op) SELECT id, 1 FROM messages ORDER BY id`).run();
      for (const table of oldTables) db.exec(`DROP TABLE ${table}`);
    }).immediate();
  }

  /** Queues a message's full-text index entry to be written (add) or removed. */
  private queueIndex(messageId: number, op: 'add' | 'remove'): void {
    this.statements.get(`INSERT INTO index_queue (message_id, op) VALUES (?, ?)`).run(messageId, op === 'add' ? 1 : 0);
    this.indexWorkQueued = true;
  }

  // ── Transactions and notifications ─────────────────────────────────────────

  /**
   * Runs `fn` in an immediate transaction and then tells listeners about the folders it
   * changed. Listeners hear only of committed changes, and of every one of them.
   */
  private write<T>(fn: () => T): T {
    const result = this.db.transaction(() => {
      const value = fn();
      // The indexer has applied these; keeping them would only grow the file.
      const indexed = this.textIndex.indexed;
      if (indexed - this.prunedUpTo >= 256) {
        this.statements.get(`DELETE FROM index_queue WHERE seq <= ?`).run(indexed);
        this.prunedUpTo = indexed;
      }
      return value;
    }).immediate();
    storeCommits.inc();
    if (this.indexWorkQueued) {
      this.indexWorkQueued = false;
      this.textIndex.wake();
    }
    const events = this.pendingEvents.splice(0);
    for (const e of events) {
      for (const l of this.listeners.get(e.mailboxId) ?? []) {
        try {
          l(e);
        } catch {
          // A broken listener must not stop the others from hearing about the change.
        }
      }
    }
    return result;
  }

  private discardEvents(): void {
    this.pendingEvents.length = 0;
  }

  private safeWrite<T>(fn: () => T): T {
    try {
      return this.write(fn);
    } catch (err) {
      this.discardEvents();
      throw err;
    }
  }

  private queue: { run: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  private flushScheduled = false;

  /**
   * Group commit: writes queued in the same turn of the event loop share one transaction and
   * so one fsync, each in its own savepoint so that one failing (a full mailbox) does not undo
   * the others. Every caller still hears back only after the commit is durable.
   */
  private enqueueWrite<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Under load (the last commit was moments ago) wait GATHER_MS for more writes to share
        // this commit's fsync; a lone write is committed at once.
        if (performance.now() - this.lastFlushAt < BUSY_WITHIN_MS) setTimeout(() => this.flush(), GATHER_MS);
        else setImmediate(() => this.flush());
      }
    });
  }

  private lastFlushAt = -Infinity;

  private flush(): void {
    this.flushScheduled = false;
    this.lastFlushAt = performance.now();
    const jobs = this.queue.splice(0);
    if (jobs.length === 0) return;
    const outcomes: { ok: boolean; value: unknown }[] = [];
    storeWrites.inc(jobs.length);
    try {
      this.write(() => {
        for (const job of jobs) {
          const eventsBefore = this.pendingEvents.length;
          try {
            outcomes.push({ ok: true, value: this.db.transaction(job.run)() });
          } catch (err) {
            this.pendingEvents.length = eventsBefore;
            outcomes.push({ ok: false, value: err });
          }
        }
      });
    } catch (err) {
      this.discardEvents();
      for (const job of jobs) job.reject(err);
      return;
    }
    jobs.forEach((job, i) => (outcomes[i]!.ok ? job.resolve(outcomes[i]!.value) : job.reject(outcomes[i]!.value)));
  }

  subscribe(mailboxId: string, listener: ChangeListener): () => void {
    let set = this.listeners.get(mailboxId);
    if (!set) this.listeners.set(mailboxId, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0) this.listeners.delete(mailboxId);
    };
  }

  /** One MODSEQ per operation: every message it touches gets the same new value (RFC 7162 §3.1.1 allows it). */
  private nextModseq(folder: FolderRow): number {
    const modseq = folder.highest_modseq + 1;
    this.statements.get(`UPDATE folders SET highest_modseq = ? WHERE id = ?`).run(modseq, folder.id);
    folder.highest_modseq = modseq;
    this.pendingEvents.push({ mailboxId: folder.mailbox_id, folderId: folder.id, highestModseq: modseq });
    return modseq;
  }

  private nextUidValidity(): number {
    const row = this.statements.get(`SELECT value FROM meta WHERE key = 'next_uid_validity'`).get() as { value: number };
    // UIDVALIDITY is a non-zero 32-bit number (RFC 3501 §2.3.1.1), unique per folder ever created here.
    const value = (Number(row.value) % 0xfffffff0) + 1;
    this.statements.get(`UPDATE meta SET value = ? WHERE key = 'next_uid_validity'`).run(value);
    return value;
  }

  // ── Folders ────────────────────────────────────────────────────────────────

  private folderRow(folderId: number): FolderRow {
    const row = this.statements.get(`SELECT * FROM folders WHERE id = ?`).get(folderId) as FolderRow | undefined;
    if (!row) throw new FolderError(`There is no folder with id ${folderId}.`, 'not-found');
    return row;
  }

  private folderByName(mailboxId: string, name: string): FolderRow | undefined {
    return this.statements.get(`SELECT * FROM folders WHERE mailbox_id = ? AND name = ?`).get(mailboxId, canonicalFolderName(name)) as FolderRow | undefined;
  }

  private insertFolder(mailboxId: string, name: string, role: FolderRole | null, hidden: boolean, givenUidValidity?: number): FolderRow {
    const uidValidity = givenUidValidity ?? this.nextUidValidity();
    const info = this.statements.get(`INSERT INTO folders (mailbox_id, name, role, hidden, uid_validity) VALUES (?, ?, ?, ?, ?)`)
      .run(mailboxId, name, role, hidden ? 1 : 0, uidValidity);
    return this.folderRow(Number(info.lastInsertRowid));
  }

  async provisionMailbox(mailboxId: string, language: string): Promise<void> {
    const names = defaultFolderNames(language);
    this.safeWrite(() => {
      this.statements.get(`INSERT INTO usage (mailbox_id) VALUES (?) ON CONFLICT (mailbox_id) DO NOTHING`).run(mailboxId);
      // The default folders start subscribed, so clients that show only subscribed folders show them.
      if (!this.folderByName(mailboxId, 'INBOX')) this.subscribeName(mailboxId, this.insertFolder(mailboxId, 'INBOX', 'inbox', false).name);
      for (const role of DEFAULT_ROLES) {
        const existing = this.statements.get(`SELECT id FROM folders WHERE mailbox_id = ? AND role = ?`).get(mailboxId, role);
        if (!existing && !this.folderByName(mailboxId, names[role])) this.subscribeName(mailboxId, this.insertFolder(mailboxId, names[role], role, false).name);
      }
    });
  }

  async removeMailbox(mailboxId: string): Promise<void> {
    const freed: string[] = [];
    this.safeWrite(() => {
      const blobs = this.statements.get(
          `SELECT m.blob_id AS blob_id FROM messages m JOIN folders f ON f.id = m.folder_id WHERE f.mailbox_id = ?
           UNION ALL SELECT blob_id FROM recoverable WHERE mailbox_id = ?`,
        )
        .all(mailboxId, mailboxId) as { blob_id: string }[];
      for (const b of blobs) freed.push(...this.releaseBlob(b.blob_id));
      this.statements.get(`INSERT INTO index_queue (message_id, op) SELECT m.id, 0 FROM messages m JOIN folders f ON f.id = m.folder_id WHERE f.mailbox_id = ?`).run(mailboxId);
      this.indexWorkQueued = true;
      this.statements.get(`DELETE FROM recoverable WHERE mailbox_id = ?`).run(mailboxId);
      this.statements.get(`DELETE FROM folders WHERE mailbox_id = ?`).run(mailboxId);
      this.statements.get(`DELETE FROM subscriptions WHERE mailbox_id = ?`).run(mailboxId);
      this.statements.get(`DELETE FROM usage WHERE mailbox_id = ?`).run(mailboxId);
      this.statements.get(`DELETE FROM import_keys WHERE mailbox_id = ?`).run(mailboxId);
    });
    this.blobs.removeNow(freed);
  }

  async folders(mailboxId: string): Promise<Folder[]> {
    const rows = this.statements.get(`SELECT * FROM folders WHERE mailbox_id = ? ORDER BY name = 'INBOX' DESC, name`).all(mailboxId) as FolderRow[];
    return rows.map(toFolder);
  }

  async folder(mailboxId: string, name: string): Promise<Folder | undefined> {
    const row = this.folderByName(mailboxId, name);
    return row && toFolder(row);
  }

  async createFolder(mailboxId: string, name: string, options: { role?: FolderRole; hidden?: boolean; uidValidity?: number } = {}): Promise<Folder> {
    const problem = folderNameProblem(name);
    if (problem) throw new FolderError(problem, 'invalid-name');
    if (options.uidValidity !== undefined) checkUidValidity(options.uidValidity);
    const canonical = canonicalFolderName(name);
    return this.safeWrite(() => {
      if (this.folderByName(mailboxId, canonical)) throw new FolderError(`The folder '${canonical}' already exists.`, 'exists');
      return toFolder(this.insertFolder(mailboxId, canonical, options.role ?? null, options.hidden ?? false, options.uidValidity));
    });
  }

  async adoptUidValidity(folderId: number, uidValidity: number): Promise<Folder> {
    checkUidValidity(uidValidity);
    return this.safeWrite(() => {
      const folder = this.folderRow(folderId);
      if (folder.uid_validity === uidValidity && folder.uid_next === 1) return toFolder(folder);
      if (folder.messages > 0) throw new FolderError(`The folder '${folder.name}' holds messages; its UIDVALIDITY cannot change.`, 'exists');
      // The old UIDs' change log means nothing under the new UIDVALIDITY (QRESYNC starts over).
      this.statements.get(`DELETE FROM expunged WHERE folder_id = ?`).run(folderId);
      this.statements.get(`UPDATE folders SET uid_validity = ?, uid_next = 1 WHERE id = ?`).run(uidValidity, folderId);
      this.nextModseq(folder);
      return toFolder(this.folderRow(folderId));
    });
  }

  async reserveUids(folderId: number, uidNext: number): Promise<Folder> {
    if (!Number.isInteger(uidNext) || uidNext < 1 || uidNext > 0xffffffff) throw new RangeError(`UIDNEXT ${uidNext} is not a 32-bit UID.`);
    return this.safeWrite(() => {
      const folder = this.folderRow(folderId);
      if (uidNext > folder.uid_next) this.statements.get(`UPDATE folders SET uid_next = ? WHERE id = ?`).run(uidNext, folderId);
      return toFolder(this.folderRow(folderId));
    });
  }

  async importedKeys(mailboxId: string, keys: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const stmt = this.statements.get(`SELECT 1 FROM import_keys WHERE mailbox_id = ? AND key = ?`);
    for (const key of keys) if (stmt.get(mailboxId, key)) found.add(key);
    return found;
  }

  async renameFolder(mailboxId: string, from: string, to: string): Promise<void> {
    const problem = folderNameProblem(to);
    if (problem) throw new FolderError(problem, 'invalid-name');
    const source = canonicalFolderName(from);
    const target = canonicalFolderName(to);
    this.safeWrite(() => {
      const folder = this.folderByName(mailboxId, source);
      if (!folder) throw new FolderError(`There is no folder '${source}'.`, 'not-found');
      if (this.folderByName(mailboxId, target)) throw new FolderError(`The folder '${target}' already exists.`, 'exists');
      if (target === source || target.startsWith(`${source}/`)) throw new FolderError('A folder cannot be moved inside itself.', 'invalid-name');
      if (source === 'INBOX') {
        // RFC 3501 §6.3.5: renaming INBOX moves its messages to a new folder and leaves INBOX empty.
        const created = this.insertFolder(mailboxId, target, null, false);
        const uids = (this.statements.get(`SELECT uid FROM messages WHERE folder_id = ? ORDER BY uid`).all(folder.id) as { uid: number }[]).map((r) => r.uid);
        if (uids.length > 0) this.moveRows(folder, uids, created);
        return;
      }
      const rows = this.statements.get(`SELECT id, name FROM folders WHERE mailbox_id = ? AND (name = ? OR name LIKE ? ESCAPE '\\')`)
        .all(mailboxId, source, `${escapeLike(source)}/%`) as { id: number; name: string }[];
      for (const r of rows) {
        const renamed = target + r.name.slice(source.length);
        if (this.folderByName(mailboxId, renamed)) throw new FolderError(`The folder '${renamed}' already exists.`, 'exists');
        this.statements.get(`UPDATE folders SET name = ? WHERE id = ?`).run(renamed, r.id);
        // A subscribed folder stays subscribed under its new name.
        if (this.statements.get(`DELETE FROM subscriptions WHERE mailbox_id = ? AND name = ?`).run(mailboxId, r.name).changes > 0) this.subscribeName(mailboxId, renamed);
      }
      // Parents of the new name are implied (RFC 3501 §6.3.5); create them so the tree stays whole.
      this.ensureParents(mailboxId, target);
    });
  }

  private ensureParents(mailboxId: string, name: string): void {
    const levels = name.split('/');
    for (let i = 1; i < levels.length; i++) {
      const parent = levels.slice(0, i).join('/');
      if (!this.folderByName(mailboxId, parent)) this.insertFolder(mailboxId, parent, null, false);
    }
  }

  async deleteFolder(mailboxId: string, name: string): Promise<void> {
    const canonical = canonicalFolderName(name);
    if (canonical === 'INBOX') throw new FolderError('INBOX cannot be deleted.', 'protected');
    this.safeWrite(() => {
      const folder = this.folderByName(mailboxId, canonical);
      if (!folder) throw new FolderError(`There is no folder '${canonical}'.`, 'not-found');
      const child = this.statements.get(`SELECT id FROM folders WHERE mailbox_id = ? AND name LIKE ? ESCAPE '\\' LIMIT 1`).get(mailboxId, `${escapeLike(canonical)}/%`);
      if (child) throw new FolderError(`'${canonical}' has subfolders; delete them first.`, 'has-children');
      const uids = (this.statements.get(`SELECT uid FROM messages WHERE folder_id = ?`).all(folder.id) as { uid: number }[]).map((r) => r.uid);
      if (uids.length > 0) this.expungeRows(folder, uids, 'folder-delete');
      this.statements.get(`DELETE FROM expunged WHERE folder_id = ?`).run(folder.id);
      this.statements.get(`DELETE FROM folders WHERE id = ?`).run(folder.id);
      this.pendingEvents.push({ mailboxId, folderId: folder.id, highestModseq: folder.highest_modseq });
    });
  }

  async subscriptions(mailboxId: string): Promise<string[]> {
    return this.statements.get(`SELECT name FROM subscriptions WHERE mailbox_id = ? ORDER BY name`).pluck().all(mailboxId) as string[];
  }

  async setSubscribed(mailboxId: string, name: string, subscribed: boolean): Promise<boolean> {
    return this.safeWrite(() => {
      if (subscribed) return this.subscribeName(mailboxId, canonicalFolderName(name));
      return this.statements.get(`DELETE FROM subscriptions WHERE mailbox_id = ? AND name = ?`).run(mailboxId, canonicalFolderName(name)).changes > 0;
    });
  }

  private subscribeName(mailboxId: string, name: string): boolean {
    return this.statements.get(`INSERT INTO subscriptions (mailbox_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING`).run(mailboxId, name).changes > 0;
  }

  async status(folderId: number): Promise<FolderStatus> {
    return statusOf(this.folderRow(folderId));
  }

  async folderStatuses(mailboxId: string): Promise<Map<number, FolderStatus>> {
    const rows = this.statements.get(`SELECT * FROM folders WHERE mailbox_id = ?`).all(mailboxId) as FolderRow[];
    return new Map(rows.map((f) => [f.id, statusOf(f)]));
  }

  async snapshot(folderId: number): Promise<FolderSnapshot> {
    const f = this.folderRow(folderId);
    const map = this.folderMap(f);
    const firstUnseen = f.unseen === 0 ? null
      : this.statements.get(`SELECT uid AS first_unseen FROM messages WHERE folder_id = ? AND seen = 0 ORDER BY uid LIMIT 1`).pluck().get(folderId) as number | undefined;
    const keywords = this.statements.get(`SELECT name FROM folder_keywords WHERE folder_id = ? ORDER BY rowid`).pluck().all(folderId) as Flag[];
    return {
      uids: map.uids.slice(0, map.length),
      status: {
        messages: f.messages, unseen: f.unseen, recent: f.recent, size: f.size,
        uidNext: f.uid_next, uidValidity: f.uid_validity, highestModseq: f.highest_modseq,
      },
      firstUnseenUid: firstUnseen ?? 0,
      keywords,
    };
  }

  /**
   * The folder's messages in memory (src/store/folder-map.ts): its UIDs, and with `withFlags`
   * each one's MODSEQ and flags too. A map read before is brought forward from the change log
   * (UIDs expunged since its MODSEQ; UIDs from its UIDNEXT on, or with flags the rows changed
   * since its MODSEQ), index range reads all, so neither SELECT nor FETCH 1:* (FLAGS) reads
   * every row; it is read whole the first time, or when anything disagrees with the folder's
   * counters (a write by another process, a new UIDVALIDITY).
   */
  private folderMap(f: FolderRow, withFlags = false): FolderMap {
    let map = this.folderMaps.get(f.id);
    this.folderMaps.delete(f.id);
    if (map && (map.uidValidity !== f.uid_validity || map.modseq > f.highest_modseq || map.uidNext > f.uid_next)) map = undefined;
    if (map && withFlags && !map.hasFlags) map = undefined;
    if (map && map.modseq < f.highest_modseq) {
      map.removeExpunged(this.expungedSince(f.id, map.modseq));
      if (map.hasFlags) {
        const changed = this.statements.get(CHANGED_FLAG_ROWS).raw(true).all(f.id, map.modseq) as ChangedRow[];
        if (!map.applyChanged(changed)) map = undefined;
      } else {
        map.appendUids(this.statements.get(`SELECT uid AS new_uid FROM messages WHERE folder_id = ? AND uid >= ? ORDER BY uid`).pluck().all(f.id, map.uidNext) as number[]);
      }
      if (map) {
        map.modseq = f.highest_modseq;
        map.uidNext = f.uid_next;
      }
    }
    if (!map || map.length !== f.messages) {
      map = withFlags
        ? FolderMap.withFlags(this.statements.get(`SELECT uid, modseq, flags AS map_flags FROM messages WHERE folder_id = ? ORDER BY uid`).raw(true).all(f.id) as ChangedRow[],
          f.uid_validity, f.uid_next, f.highest_modseq)
        : new FolderMap(this.statements.get(`SELECT uid AS map_uid FROM messages WHERE folder_id = ? ORDER BY uid`).pluck().all(f.id) as number[],
          f.uid_validity, f.uid_next, f.highest_modseq);
    }
    this.folderMaps.set(f.id, map);
    if (this.folderMaps.size > FOLDER_MAPS) this.folderMaps.delete(this.folderMaps.keys().next().value!);
    return map;
  }

  async receivedDateRange(folderId: number): Promise<{ oldest: Date; newest: Date } | undefined> {
    const row = this.statements.get(`SELECT MIN(internal_date) AS oldest, MAX(internal_date) AS newest FROM messages WHERE folder_id = ?`).get(folderId) as
      | { oldest: number | null; newest: number | null }
      | undefined;
    if (!row || row.oldest === null || row.newest === null) return undefined;
    return { oldest: new Date(row.oldest), newest: new Date(row.newest) };
  }

  // ── Messages ───────────────────────────────────────────────────────────────

  private async quotaLimit(mailboxId: string): Promise<number | 'unlimited'> {
    return this.options.quotaLimit ? this.options.quotaLimit(mailboxId) : 'unlimited';
  }

  private checkQuota(mailboxId: string, limit: number | 'unlimited', needed: number): void {
    if (limit === 'unlimited' || needed === 0) return;
    const usage = this.statements.get(`SELECT bytes FROM usage WHERE mailbox_id = ?`).get(mailboxId) as { bytes: number } | undefined;
    const used = usage?.bytes ?? 0;
    if (used + needed > limit) throw new QuotaExceededError(used, limit, needed);
  }

  private addUsage(mailboxId: string, bytes: number, messages: number, recoverable: number): void {
    this.statements.get(
        `INSERT INTO usage (mailbox_id, bytes, messages, recoverable_bytes) VALUES (?, ?, ?, ?)
         ON CONFLICT (mailbox_id) DO UPDATE SET bytes = bytes + excluded.bytes, messages = messages + excluded.messages,
         recoverable_bytes = recoverable_bytes + excluded.recoverable_bytes`,
      )
      .run(mailboxId, bytes, messages, recoverable);
  }

  private adjustCounters(folder: FolderRow, messages: number, unseen: number, recent: number, size: number): void {
    this.statements.get(`UPDATE folders SET messages = messages + ?, unseen = unseen + ?, recent = recent + ?, size = size + ? WHERE id = ?`)
      .run(messages, unseen, recent, size, folder.id);
  }

  /** Counts the keywords of `flags` in (delta 1) or out (-1) of the folder's folder_keywords rows. */
  private countKeywords(folderId: number, flags: readonly Flag[], delta: 1 | -1): void {
    for (const f of flags) {
      if (f.startsWith('\\')) continue;
      if (delta > 0) {
        this.statements.get(
          `INSERT INTO folder_keywords (folder_id, keyword, name, messages) VALUES (?, ?, ?, 1)
           ON CONFLICT (folder_id, keyword) DO UPDATE SET messages = messages + 1`,
        ).run(folderId, f.toLowerCase(), f);
      } else {
        const row = this.statements.get(`UPDATE folder_keywords SET messages = messages - 1 WHERE folder_id = ? AND keyword = ? RETURNING messages`)
          .get(folderId, f.toLowerCase()) as { messages: number } | undefined;
        if (row && row.messages <= 0) this.statements.get(`DELETE FROM folder_keywords WHERE folder_id = ? AND keyword = ?`).run(folderId, f.toLowerCase());
      }
    }
  }

  /** Inserts a message row with the next UID, and queues its full-text index entry. */
  private insertMessage(
    folder: FolderRow, blobId: string, size: number, internalDate: number, flags: Flag[], modseq: number,
    headers: { subject: string; sender: string; sentDay: number | null },
    keys: SortKeys | { copiedFrom: number },
    kept: { uid?: number; pop3Uidl?: string } = {},
  ): number {
    const uid = kept.uid ?? folder.uid_next;
    // UIDs only ascend within a UIDVALIDITY (RFC 3501 §2.3.1.1): a kept UID below UIDNEXT may
    // have been handed out already.
    if (uid < folder.uid_next) throw new FolderError(`UID ${uid} is below the folder's UIDNEXT ${folder.uid_next}.`, 'exists');
    folder.uid_next = uid + 1;
    this.statements.get(`UPDATE folders SET uid_next = ? WHERE id = ?`).run(folder.uid_next, folder.id);
    const seen = hasSeen(flags);
    const columns = `folder_id, uid, modseq, blob_id, size, internal_date, flags, seen, recent, subject, sender, sent_day, pop3_uidl, ${SORT_KEY_NAMES}`;
    const values = [folder.id, uid, modseq, blobId, size, internalDate, JSON.stringify(flags), seen ? 1 : 0, headers.subject, headers.sender, headers.sentDay, kept.pop3Uidl ?? null];
    // A copy takes the keys from the row it copies: the same message has the same keys.
    const info = 'copiedFrom' in keys
      ? this.statements.get(`INSERT INTO messages (${columns}) SELECT ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ${SORT_KEY_NAMES} FROM messages WHERE id = ?`)
        .run(...values, keys.copiedFrom)
      : this.statements.get(`INSERT INTO messages (${columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ${SORT_KEY_COLUMNS.map(() => '?').join(', ')})`)
        .run(...values, ...sortKeyValues(keys));
    this.queueIndex(Number(info.lastInsertRowid), 'add');
    this.adjustCounters(folder, 1, seen ? 0 : 1, 1, size);
    this.countKeywords(folder.id, flags, 1);
    return uid;
  }

  /** Adds a reference to a blob, creating its row; `inline` is the content when it lives in the database. */
  private retainBlob(blobId: string, size: number, inline: Buffer | null): void {
    const updated = this.statements.get(`UPDATE blobs SET refs = refs + 1 WHERE id = ?`).run(blobId);
    if (updated.changes === 0) {
      // A purge may have removed the file between our write and this transaction (it saw the
      // same bytes already on disk and skipped writing); check inside the transaction.
      if (inline === null && !this.blobs.exists(blobId)) throw new BlobFileMissing(blobId);
      this.statements.get(`INSERT INTO blobs (id, size, refs, data) VALUES (?, ?, 1, ?)`).run(blobId, size, inline);
    }
  }

  /** Drops a reference; returns the blob ids whose files can go once the transaction commits. */
  private releaseBlob(blobId: string): string[] {
    this.statements.get(`UPDATE blobs SET refs = refs - 1 WHERE id = ?`).run(blobId);
    const row = this.statements.get(`SELECT refs, data IS NULL AS external FROM blobs WHERE id = ?`).get(blobId) as { refs: number; external: number } | undefined;
    if (row && row.refs <= 0) {
      this.statements.get(`DELETE FROM blobs WHERE id = ?`).run(blobId);
      return row.external ? [blobId] : [];
    }
    return [];
  }

  async append(folderId: number, input: AppendInput): Promise<AppendResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.appendOnce(folderId, input);
      } catch (err) {
        if (!(err instanceof BlobFileMissing) || attempt >= 3) throw err;
      }
    }
  }

  private async appendOnce(folderId: number, input: AppendInput): Promise<AppendResult> {
    try {
      return await this.prepareAndQueueAppend(folderId, input);
    } finally {
      // Queued is said as soon as it is (below); this is for an append that failed before it
      // was, which must not hold up the next one's turn.
      input.order?.queued();
    }
  }

  private async prepareAndQueueAppend(folderId: number, input: AppendInput): Promise<AppendResult> {
    const folder0 = this.folderRow(folderId);
    const raw = input.raw;
    const blobId = BlobFiles.idOf(raw);
    const inline = raw.length <= INLINE_BLOB_LIMIT;
    // Large bodies reach the disk before the transaction that makes them visible; if the
    // process dies in between, the file is an orphan that the next open removes.
    if (!inline) await this.blobs.write(blobId, raw);
    const limit = await this.quotaLimit(folder0.mailbox_id);
    const flags = normalizeFlags(input.flags ?? []);
    const internalDate = (input.internalDate ?? this.now()).getTime();
    const headers = summarizeHeaders(raw);
    const keys = messageSortKeys(raw, new Date(internalDate));
    if (input.uid !== undefined && (!Number.isInteger(input.uid) || input.uid < 1 || input.uid >= 0xffffffff)) {
      throw new RangeError(`UID ${input.uid} is not a 32-bit UID.`);
    }
    if (input.order) await input.order.after.catch(() => undefined);
    // Queued in this same step, with nothing awaited in between: the order's turn is kept.
    const committed = this.enqueueWrite(() => {
      const folder = this.folderRow(folderId);
      if (input.importKey !== undefined) {
        const recorded = this.statements.get(`INSERT INTO import_keys (mailbox_id, key) VALUES (?, ?) ON CONFLICT DO NOTHING`).run(folder.mailbox_id, input.importKey);
        if (recorded.changes === 0) return { uid: 0, modseq: 0, uidValidity: folder.uid_validity, duplicate: true };
      }
      this.checkQuota(folder.mailbox_id, limit, raw.length);
      const modseq = this.nextModseq(folder);
      this.retainBlob(blobId, raw.length, inline ? raw : null);
      const kept = { ...(input.uid === undefined ? {} : { uid: input.uid }), ...(input.pop3Uidl === undefined ? {} : { pop3Uidl: input.pop3Uidl }) };
      const uid = this.insertMessage(folder, blobId, raw.length, internalDate, flags, modseq, headers, keys, kept);
      this.addUsage(folder.mailbox_id, raw.length, 1, 0);
      return { uid, modseq, uidValidity: folder.uid_validity };
    });
    input.order?.queued();
    return committed;
  }

  async messages(folderId: number, range: { fromUid?: number; toUid?: number } = {}): Promise<MessageSummary[]> {
    const rows = this.statements.get(`SELECT ${ROW_COLUMNS} FROM messages WHERE folder_id = ? AND uid >= ? AND uid <= ? ORDER BY uid`)
      .all(folderId, range.fromUid ?? 1, range.toUid ?? Number.MAX_SAFE_INTEGER) as MessageRow[];
    return rows.map(toSummary);
  }

  async flagColumns(folderId: number, range: { fromUid: number; toUid: number }): Promise<FlagColumns> {
    // From the folder's map, brought forward from the change log: a resync of a large folder
    // reads no row (FETCH 1:* asks slice by slice, each slice a binary search and a copy).
    return this.folderMap(this.folderRow(folderId), true).flagColumns(range.fromUid, range.toUid);
  }

  async sortedUids(folderId: number, order: readonly { column: SortColumn; reverse: boolean }[], uids: ArrayLike<number>): Promise<Uint32Array> {
    if (uids.length === 0) return new Uint32Array(0);
    // Ties go by UID, ascending even under REVERSE (RFC 5256 §3: REVERSE applies to its key).
    const orderBy = (table: string) => [...order.map((o) => `${table}${ORDER_COLUMNS[o.column]}${o.reverse ? ' DESC' : ''}`), `${table}uid`].join(', ');
    if (uids.length <= SMALL_UID_SET) {
      // CROSS JOIN: SQLite looks the UIDs up one by one and sorts those rows, rather than walk
      // a key index over the whole folder.
      const found = this.statements.get(
        `SELECT m.uid FROM json_each(?) j CROSS JOIN messages m ON m.folder_id = ? AND m.uid = j.value ORDER BY ${orderBy('m.')}`,
      ).pluck().all(JSON.stringify(Array.from(uids)), folderId) as number[];
      return Uint32Array.from(found);
    }
    // The folder's whole order, kept (read as the UID column alone, in key order, by a walk of
    // the key's index; REVERSE too: SQLite then sorts only the UIDs of each run of equal keys),
    // and the UIDs asked taken from it.
    return this.keptSortOrder(this.folderRow(folderId), orderBy('')).among(uids);
  }

  async threadKeys(folderId: number, uids: readonly number[]): Promise<ThreadColumns> {
    if (uids.length === 0) return new ThreadKeys().columns([]);
    const f = this.folderRow(folderId);
    // A few messages of a folder whose keys are not kept are read by UID; anything larger
    // from the folder's kept keys, read whole the first time.
    if (uids.length <= SMALL_UID_SET && !this.threadKeysKept.has(folderId)) {
      const keys = new ThreadKeys();
      keys.append(this.statements.get(`SELECT ${THREAD_KEY_COLUMNS} FROM json_each(?) j CROSS JOIN messages m ON m.folder_id = ? AND m.uid = j.value ORDER BY m.uid`)
        .raw(true).all(JSON.stringify(uids), folderId) as ThreadKeyRow[]);
      return keys.columns(uids);
    }
    return this.keptThreadKeys(f).columns(uids);
  }

  /**
   * A folder's thread keys (src/store/thread-keys.ts), kept for the folders THREAD read last,
   * and brought forward as the folder map is (folderMap()): expunged UIDs dropped, UIDs from
   * its UIDNEXT on read and appended. A message's keys never change, so no other row is read.
   */
  private keptThreadKeys(f: FolderRow): ThreadKeys {
    let keys = this.threadKeysKept.take(f.id);
    if (keys && (keys.uidValidity !== f.uid_validity || keys.modseq > f.highest_modseq || keys.uidNext > f.uid_next)) keys = undefined;
    if (keys && keys.modseq < f.highest_modseq) {
      keys.removeExpunged(this.expungedSince(f.id, keys.modseq));
      keys.append(this.statements.get(`SELECT ${THREAD_KEY_COLUMNS} FROM messages WHERE folder_id = ? AND uid >= ? ORDER BY uid`)
        .raw(true).all(f.id, keys.uidNext) as ThreadKeyRow[]);
      keys.modseq = f.highest_modseq;
      keys.uidNext = f.uid_next;
    }
    if (!keys || keys.length !== f.messages || keys.wasteful) {
      keys = new ThreadKeys(f.uid_validity, f.uid_next, f.highest_modseq);
      keys.append(this.statements.get(`SELECT ${THREAD_KEY_COLUMNS} FROM messages WHERE folder_id = ? ORDER BY uid`).raw(true).all(f.id) as ThreadKeyRow[]);
    }
    this.threadKeysKept.put(f.id, keys);
    return keys;
  }

  /**
   * The folder's UIDs in the order `orderBy` names (src/store/sort-order.ts), kept for the
   * orders SORT used last. Brought forward across flag changes and expunges from the change
   * log; read again, by a walk of the key's index, when a message has arrived since.
   */
  private keptSortOrder(f: FolderRow, orderBy: string): SortOrder {
    const key = `${f.id} ${orderBy}`;
    let order = this.sortOrdersKept.take(key);
    if (order && (order.uidValidity !== f.uid_validity || order.uidNext !== f.uid_next || order.modseq > f.highest_modseq)) order = undefined;
    if (order && order.modseq < f.highest_modseq) {
      order.removeExpunged(this.expungedSince(f.id, order.modseq));
      order.modseq = f.highest_modseq;
    }
    if (!order || order.length !== f.messages) {
      const uids = this.statements.get(`SELECT uid FROM messages WHERE folder_id = ? ORDER BY ${orderBy}`).pluck().all(f.id) as number[];
      order = new SortOrder(Uint32Array.from(uids), f.uid_validity, f.uid_next, f.highest_modseq);
    }
    this.sortOrdersKept.put(key, order);
    return order;
  }

  /** UIDs expunged from the folder after `modseq`, ascending (the change log). */
  private expungedSince(folderId: number, modseq: number): number[] {
    return this.statements.get(`SELECT uid AS expunged_uid FROM expunged WHERE folder_id = ? AND modseq > ? ORDER BY uid`).pluck().all(folderId, modseq) as number[];
  }

  async message(folderId: number, uid: number): Promise<MessageSummary | undefined> {
    const row = this.statements.get(`SELECT ${ROW_COLUMNS} FROM messages WHERE folder_id = ? AND uid = ?`).get(folderId, uid) as MessageRow | undefined;
    return row && toSummary(row);
  }

  async readBlob(blobId: string, range?: { start: number; end: number }): Promise<Buffer> {
    const { data, start, end } = this.storedRange(blobId, range);
    if (data) return data.subarray(start, end);
    return this.blobs.read(blobId, start, end);
  }

  async *blobChunks(blobId: string, range?: { start: number; end: number }, reusable?: () => boolean): AsyncGenerator<Buffer> {
    const { data, start, end } = this.storedRange(blobId, range);
    // A message kept in the database is at most INLINE_BLOB_LIMIT: one piece.
    if (data) yield data.subarray(start, end);
    else yield* this.blobs.chunks(blobId, start, end, BLOB_CHUNK, reusable);
  }

  /** A blob's bytes when kept in the database (else null: a file), and `range` cut to its size. */
  private storedRange(blobId: string, range?: { start: number; end: number }): { data: Buffer | null; start: number; end: number } {
    const row = this.statements.get(`SELECT size, data FROM blobs WHERE id = ?`).get(blobId) as { size: number; data: Buffer | null } | undefined;
    if (!row) throw new Error(`No stored message ${blobId}`);
    const start = Math.max(0, Math.min(range?.start ?? 0, row.size));
    const end = Math.max(start, Math.min(range?.end ?? row.size, row.size));
    return { data: row.data, start, end };
  }

  private selectRows(folderId: number, uids: number[]): MessageRow[];
  private selectRows<Row extends { uid: number }>(folderId: number, uids: number[], columns: string): Row[];
  private selectRows(folderId: number, uids: number[], columns = ROW_COLUMNS): { uid: number }[] {
    if (uids.length === 0) return [];
    if (uids.length >= 64) {
      // Many UIDs close together (STORE 1:27000): one range read instead of a lookup each, as
      // long as the range holds not many more messages than were asked for.
      let min = uids[0]!;
      let max = uids[0]!;
      for (const uid of uids) (min = Math.min(min, uid)), (max = Math.max(max, uid));
      const inRange = this.statements.get(`SELECT COUNT(*) AS in_range FROM messages WHERE folder_id = ? AND uid BETWEEN ? AND ?`).pluck().get(folderId, min, max) as number;
      if (inRange <= uids.length * 4) {
        const wanted = new Set(uids);
        const rows = this.statements.get(`SELECT ${columns} FROM messages WHERE folder_id = ? AND uid >= ? AND uid <= ? ORDER BY uid`).all(folderId, min, max) as { uid: number }[];
        return rows.filter((r) => wanted.has(r.uid));
      }
    }
    const out: { uid: number }[] = [];
    const stmt = this.statements.get(`SELECT ${columns} FROM messages WHERE folder_id = ? AND uid = ?`);
    for (const uid of [...new Set(uids)].sort((a, b) => a - b)) {
      const row = stmt.get(folderId, uid) as { uid: number } | undefined;
      if (row) out.push(row);
    }
    return out;
  }

  async storeFlags(folderId: number, uids: number[], op: FlagOperation, flags: Flag[], unchangedSince?: number): Promise<StoreFlagsResult> {
    const wanted = normalizeFlags(flags);
    // Flag changes from many sessions share a commit (and its fsync), like appends.
    return this.enqueueWrite(() => {
      const folder = this.folderRow(folderId);
      // The columns a flag change reads, not whole rows: STORE 1:27000 reads 27,000 of them.
      const rows = this.selectRows<FlagChangeRow>(folderId, uids, 'id, uid, modseq, flags, seen');
      const failed: number[] = [];
      const changes: { row: FlagChangeRow; before: Flag[]; next: Flag[] }[] = [];
      for (const row of rows) {
        // RFC 7162 §3.1.3: a message changed after UNCHANGEDSINCE is not touched.
        if (unchangedSince !== undefined && row.modseq > unchangedSince) {
          failed.push(row.uid);
          continue;
        }
        const before = JSON.parse(row.flags) as Flag[];
        const next = applyFlagOperation(before, op, wanted);
        if (next.join(' ') !== before.join(' ')) changes.push({ row, before, next });
      }
      if (changes.length === 0) return { changed: [], failedUnchangedSince: failed };
      const modseq = this.nextModseq(folder);
      const update = this.statements.get(`UPDATE messages SET flags = ?, seen = ?, modseq = ? WHERE id = ?`);
      let unseenDelta = 0;
      for (const { row, before, next } of changes) {
        const seen = hasSeen(next);
        unseenDelta += (row.seen === 1 ? 0 : 1) - (seen ? 0 : 1);
        update.run(JSON.stringify(next), seen ? 1 : 0, modseq, row.id);
        // Only keywords are counted (folder_keywords); most changes are of system flags alone.
        if (!before.some(isKeyword) && !next.some(isKeyword)) continue;
        const had = new Set(before.map((f) => f.toLowerCase()));
        const has = new Set(next.map((f) => f.toLowerCase()));
        this.countKeywords(folderId, before.filter((f) => !has.has(f.toLowerCase())), -1);
        this.countKeywords(folderId, next.filter((f) => !had.has(f.toLowerCase())), 1);
      }
      if (unseenDelta !== 0) this.adjustCounters(folder, 0, -unseenDelta, 0, 0);
      return { changed: changes.map(({ row, next }) => ({ uid: row.uid, modseq, flags: next })), failedUnchangedSince: failed };
    });
  }

  private copyRows(rows: MessageRow[], target: FolderRow, modseq: number, retain: boolean): [number, number][] {
    const mapping: [number, number][] = [];
    for (const row of rows) {
      if (retain) this.retainBlob(row.blob_id, row.size, null);
      const meta = { subject: row.subject, sender: row.sender, sentDay: row.sent_day };
      const uid = this.insertMessage(target, row.blob_id, row.size, row.internal_date, JSON.parse(row.flags) as Flag[], modseq, meta, { copiedFrom: row.id });
      mapping.push([row.uid, uid]);
    }
    return mapping;
  }

  async copy(folderId: number, uids: number[], targetFolderId: number): Promise<CopyResult> {
    const target0 = this.folderRow(targetFolderId);
    const limit = await this.quotaLimit(target0.mailbox_id);
    return this.safeWrite(() => {
      const source = this.folderRow(folderId);
      const target = this.folderRow(targetFolderId);
      const rows = this.selectRows(folderId, uids);
      if (rows.length === 0) return { uidValidity: target.uid_validity, mapping: [] };
      const bytes = rows.reduce((n, r) => n + r.size, 0);
      // A copy inside one mailbox still counts: the quota is per mailbox, not per blob.
      this.checkQuota(target.mailbox_id, limit, bytes);
      const modseq = this.nextModseq(target);
      const mapping = this.copyRows(rows, target, modseq, true);
      this.addUsage(target.mailbox_id, bytes, rows.length, 0);
      void source;
      return { uidValidity: target.uid_validity, mapping };
    });
  }

  /** Moves rows between folders inside a transaction: expunged from the source, new UIDs in the target. */
  private moveRows(source: FolderRow, uids: number[], target: FolderRow): [number, number][] {
    const rows = this.selectRows(source.id, uids);
    if (rows.length === 0) return [];
    const targetModseq = this.nextModseq(target);
    const mapping = this.copyRows(rows, target, targetModseq, false);
    const sourceModseq = this.nextModseq(source);
    this.removeRows(source, rows, sourceModseq);
    if (source.mailbox_id !== target.mailbox_id) {
      const bytes = rows.reduce((n, r) => n + r.size, 0);
      this.addUsage(source.mailbox_id, -bytes, -rows.length, 0);
      this.addUsage(target.mailbox_id, bytes, rows.length, 0);
    }
    return mapping;
  }

  private removeRows(folder: FolderRow, rows: MessageRow[], modseq: number): void {
    const del = this.statements.get(`DELETE FROM messages WHERE id = ?`);
    const log = this.statements.get(`INSERT INTO expunged (folder_id, uid, modseq) VALUES (?, ?, ?) ON CONFLICT (folder_id, uid) DO UPDATE SET modseq = excluded.modseq`);
    let unseen = 0;
    let recent = 0;
    let size = 0;
    for (const row of rows) {
      del.run(row.id);
      this.queueIndex(row.id, 'remove');
      this.countKeywords(folder.id, JSON.parse(row.flags) as Flag[], -1);
      log.run(folder.id, row.uid, modseq);
      unseen += row.seen ? 0 : 1;
      recent += row.recent;
      size += row.size;
    }
    this.adjustCounters(folder, -rows.length, -unseen, -recent, -size);
  }

  async move(folderId: number, uids: number[], targetFolderId: number): Promise<CopyResult> {
    const target0 = this.folderRow(targetFolderId);
    const source0 = this.folderRow(folderId);
    const limit = source0.mailbox_id === target0.mailbox_id ? 'unlimited' : await this.quotaLimit(target0.mailbox_id);
    return this.safeWrite(() => {
      const source = this.folderRow(folderId);
      const target = this.folderRow(targetFolderId);
      const bytes = this.selectRows(folderId, uids).reduce((n, r) => n + r.size, 0);
      this.checkQuota(target.mailbox_id, limit, bytes);
      return { uidValidity: target.uid_validity, mapping: this.moveRows(source, uids, target) };
    });
  }

  /** Moves rows into Recoverable Items. Returns the UIDs removed. */
  private expungeRows(folder: FolderRow, uids: number[], reason: string): number[] {
    const rows = this.selectRows(folder.id, uids);
    if (rows.length === 0) return [];
    const modseq = this.nextModseq(folder);
    const now = this.now().getTime();
    const keep = this.statements.get(
      `INSERT INTO recoverable (mailbox_id, folder_name, blob_id, size, internal_date, flags, deleted_at, purge_after, reason, subject, sender)
       SELECT ?, ?, blob_id, size, internal_date, flags, ?, ?, ?, subject, sender FROM messages WHERE id = ?`,
    );
    let bytes = 0;
    for (const row of rows) {
      keep.run(folder.mailbox_id, folder.name, now, now + this.retentionSeconds * 1000, reason, row.id);
      bytes += row.size;
    }
    this.removeRows(folder, rows, modseq);
    this.addUsage(folder.mailbox_id, -bytes, -rows.length, bytes);
    return rows.map((r) => r.uid);
  }

  async expunge(folderId: number, uids: number[], reason: 'expunge' | 'pop3' = 'expunge'): Promise<number[]> {
    return this.enqueueWrite(() => this.expungeRows(this.folderRow(folderId), uids, reason));
  }

  async flagChangesSince(folderId: number, modseq: number): Promise<FlagChangesSince> {
    const folder = this.folderRow(folderId);
    // Every change to the folder (flags, a message in or out) takes a new HIGHESTMODSEQ in the
    // same transaction: at the caller's MODSEQ nothing changed, and the sync after each command
    // (usually this) reads the folder's row alone.
    if (folder.highest_modseq <= modseq) return { highestModseq: folder.highest_modseq, changed: [], expunged: [] };
    const rows = this.statements.get(CHANGED_FLAG_ROWS).raw(true).all(folderId, modseq) as [number, number, string][];
    // Rows with the same flags share one parsed list (a STORE gives thousands the same).
    const lists = new Map<string, readonly Flag[]>();
    const changed = rows.map(([uid, rowModseq, json]): FlagRow => {
      let flags = lists.get(json);
      if (!flags) lists.set(json, (flags = Object.freeze(JSON.parse(json) as Flag[])));
      return { uid, modseq: rowModseq, flags };
    });
    const expunged = this.statements.get(`SELECT uid AS expunged_uid FROM expunged WHERE folder_id = ? AND modseq > ? ORDER BY uid`).pluck().all(folderId, modseq) as number[];
    return { highestModseq: folder.highest_modseq, changed, expunged };
  }

  async changesSince(folderId: number, modseq: number): Promise<ChangesSince> {
    const folder = this.folderRow(folderId);
    const changed = (this.statements.get(`SELECT ${ROW_COLUMNS} FROM messages INDEXED BY messages_by_modseq WHERE folder_id = ? AND modseq > ? ORDER BY uid`).all(folderId, modseq) as MessageRow[]).map(toSummary);
    const expunged = (this.statements.get(`SELECT uid FROM expunged WHERE folder_id = ? AND modseq > ? ORDER BY uid`).all(folderId, modseq) as { uid: number }[]).map((r) => r.uid);
    return { highestModseq: folder.highest_modseq, changed, expunged };
  }

  async claimRecent(folderId: number): Promise<number[]> {
    // Sessions claim each time new messages reach them; usually another has claimed them already,
    // and a read of the folder's counter spares the write (and its fsync).
    if (!this.statements.get(`SELECT recent FROM folders WHERE id = ?`).pluck().get(folderId)) return [];
    return this.enqueueWrite(() => {
      const rows = this.statements.get(`SELECT uid FROM messages WHERE folder_id = ? AND recent = 1 ORDER BY uid`).all(folderId) as { uid: number }[];
      if (rows.length > 0) {
        this.statements.get(`UPDATE messages SET recent = 0 WHERE folder_id = ? AND recent = 1`).run(folderId);
        this.statements.get(`UPDATE folders SET recent = 0 WHERE id = ?`).run(folderId);
      }
      return rows.map((r) => r.uid);
    });
  }

  // ── Search ─────────────────────────────────────────────────────────────────

  /**
   * SEARCH compiles to one SQL statement: flags, dates, sizes and UIDs are column tests; a text
   * key checks each message's decoded text, after narrowing the folder to the messages the
   * trigram index (3+ characters) or the CJK bigram index (two CJK characters) gives.
   */
  async search(folderId: number, key: SearchKey, options: { now?: Date; timezoneOffsetMinutes?: number } = {}): Promise<number[]> {
    // Flags alone (UNSEEN, FLAGGED, UNSEEN UNDELETED…), in a folder whose map holds its flag
    // columns (a FETCH of flags read them): one test per distinct flag list and a pass over the
    // map, after it is brought forward from the change log, instead of rows from an index.
    if (testsFlagsOnly(key) && this.folderMaps.get(folderId)?.hasFlags) {
      const f = this.folderRow(folderId);
      if (!partialIndexReadsFewer(key, f)) return this.folderMap(f, true).uidsWhere((flags) => flagsMatch(key, flags));
    }
    const params: unknown[] = [folderId];
    const size = (this.statements.get(`SELECT messages FROM folders WHERE id = ?`).pluck().get(folderId) as number | undefined) ?? 0;
    const perRow = size <= (this.options.textScanLimit ?? DEFAULT_TEXT_SCAN_LIMIT);
    const ctx: SearchContext = { now: (options.now ?? this.now()).getTime(), tz: options.timezoneOffsetMinutes ?? 0, params, perRow };
    const sql = searchSql(key, ctx);
    if (!sql.includes('ix.message_')) return this.statements.get(sql).pluck().all(...params) as number[];
    // Text keys read index.db: first every message of this folder committed so far must be in
    // it. (Only this folder's: other mailboxes' mail arriving meanwhile need not be waited for.)
    const queued = (this.statements.get(
      `SELECT max(q.seq) FROM index_queue q JOIN messages m ON m.id = q.message_id WHERE q.seq > ? AND q.op = 1 AND m.folder_id = ?`,
    ).pluck().get(this.textIndex.indexed, folderId) as number | null) ?? 0;
    await this.textIndex.caughtUp(queued);
    return this.readerStatements.get(sql).pluck().all(...params) as number[];
  }

  /** SQLite's plan for a search (EXPLAIN QUERY PLAN, a line a step): for tests and diagnosis. */
  searchPlan(folderId: number, key: SearchKey, options: { now?: Date; timezoneOffsetMinutes?: number } = {}): string[] {
    const params: unknown[] = [folderId];
    const ctx: SearchContext = { now: (options.now ?? this.now()).getTime(), tz: options.timezoneOffsetMinutes ?? 0, params, perRow: false };
    const sql = `EXPLAIN QUERY PLAN ${searchSql(key, ctx)}`;
    // On the connection search() uses for it.
    const statements = sql.includes('ix.message_') ? this.readerStatements : this.statements;
    const rows = statements.get(sql).all(...params) as { detail: string }[];
    return rows.map((r) => r.detail);
  }

  // ── Usage and Recoverable Items ────────────────────────────────────────────

  async usage(mailboxId: string): Promise<MailboxUsage> {
    const row = this.statements.get(`SELECT bytes, messages, recoverable_bytes FROM usage WHERE mailbox_id = ?`).get(mailboxId) as
      | { bytes: number; messages: number; recoverable_bytes: number }
      | undefined;
    return { bytes: row?.bytes ?? 0, messages: row?.messages ?? 0, recoverableBytes: row?.recoverable_bytes ?? 0 };
  }

  async recoverableItems(mailboxId: string): Promise<RecoverableItem[]> {
    const rows = this.statements.get(`SELECT * FROM recoverable WHERE mailbox_id = ? ORDER BY deleted_at, id`).all(mailboxId) as RecoverableRow[];
    return rows.map((r) => ({
      id: r.id, mailboxId: r.mailbox_id, folderName: r.folder_name, size: r.size,
      internalDate: new Date(r.internal_date), deletedAt: new Date(r.deleted_at), purgeAfter: new Date(r.purge_after),
      reason: r.reason, subject: r.subject, from: r.sender,
    }));
  }

  async restoreRecoverableItems(mailboxId: string, ids: number[]): Promise<number> {
    // Recoverable Items keep subject and sender but not the Date field nor the sort keys; read them again.
    const sentDays = new Map<number, number | null>();
    const sortKeys = new Map<number, SortKeys>();
    for (const id of ids) {
      const row = this.statements.get(`SELECT blob_id, internal_date FROM recoverable WHERE id = ? AND mailbox_id = ?`).get(id, mailboxId) as { blob_id: string; internal_date: number } | undefined;
      if (!row) continue;
      const raw = await this.readBlob(row.blob_id);
      sentDays.set(id, summarizeHeaders(raw).sentDay);
      sortKeys.set(id, messageSortKeys(raw, new Date(row.internal_date)));
    }
    return this.safeWrite(() => {
      let restored = 0;
      const byFolder = new Map<string, RecoverableRow[]>();
      for (const id of ids) {
        const row = this.statements.get(`SELECT * FROM recoverable WHERE id = ? AND mailbox_id = ?`).get(id, mailboxId) as RecoverableRow | undefined;
        if (row) byFolder.set(row.folder_name, [...(byFolder.get(row.folder_name) ?? []), row]);
      }
      for (const [name, rows] of byFolder) {
        let folder = this.folderByName(mailboxId, name);
        if (!folder) {
          this.ensureParents(mailboxId, name);
          folder = this.insertFolder(mailboxId, name, null, false);
        }
        const modseq = this.nextModseq(folder);
        let bytes = 0;
        for (const row of rows) {
          const keys = sortKeys.get(row.id) ?? messageSortKeys(Buffer.alloc(0), new Date(row.internal_date));
          this.insertMessage(folder, row.blob_id, row.size, row.internal_date, JSON.parse(row.flags) as Flag[], modseq, { subject: row.subject, sender: row.sender, sentDay: sentDays.get(row.id) ?? null }, keys);
          this.statements.get(`DELETE FROM recoverable WHERE id = ?`).run(row.id);
          bytes += row.size;
          restored++;
        }
        this.addUsage(mailboxId, bytes, rows.length, -bytes);
      }
      return restored;
    });
  }

  async purgeExpired(now: Date = this.now()): Promise<number> {
    const freed: string[] = [];
    const count = this.safeWrite(() => {
      const rows = this.statements.get(`SELECT id, mailbox_id, blob_id, size FROM recoverable WHERE purge_after <= ?`).all(now.getTime()) as RecoverableRow[];
      for (const row of rows) {
        this.statements.get(`DELETE FROM recoverable WHERE id = ?`).run(row.id);
        freed.push(...this.releaseBlob(row.blob_id));
        this.addUsage(row.mailbox_id, 0, 0, -row.size);
      }
      return rows.length;
    });
    this.blobs.removeNow(freed);
    return count;
  }

  /** Blob files no row refers to: left by a process that died between writing and committing. */
  private async removeOrphanBlobFiles(): Promise<void> {
    const known = this.statements.get(`SELECT 1 FROM blobs WHERE id = ? AND data IS NULL`);
    await this.blobs.sweep((id) => known.get(id) !== undefined);
  }
}

interface SearchContext {
  now: number;
  tz: number;
  params: unknown[];
  /**
   * Text keys tested on each message of the folder (its stored text read by rowid) instead of
   * through the index. The index is one per database: a query for a string made of common
   * trigrams ("sender5@fabrikam.com") reads posting lists for every mailbox's mail, which for a
   * folder of a few hundred messages costs far more than reading those messages' text.
   */
  perRow: boolean;
}

const TEXT_COLUMNS: Record<string, string> = { from: 'sender', to: 'recipients_to', cc: 'recipients_cc', bcc: 'recipients_bcc', subject: 'subject' };

/** Start of the day `YYYY-MM-DD` in the given timezone, as epoch milliseconds. */
function dayStart(day: string, tzMinutes: number): number {
  return Date.parse(`${day}T00:00:00Z`) - tzMinutes * 60_000;
}

function dayTest(column: string, op: DateOp, day: string, tz: number, ctx: SearchContext): string {
  const start = dayStart(day, tz);
  const end = start + 86_400_000;
  if (op === 'on') {
    ctx.params.push(start, end);
    return `(${column} >= ? AND ${column} < ?)`;
  }
  ctx.params.push(start);
  return op === 'before' ? `${column} < ?` : `${column} >= ?`;
}

/** A string as an FTS5 query term. */
function ftsString(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/** At most this many trigrams of a searched string are looked up; the check of each candidate does the rest. */
const MAX_QUERY_TRIGRAMS = 16;

/**
 * The FTS5 query for messages that hold trigrams of `chars` (3 or more characters): the ones
 * starting every third character and the last, which between them cover the whole string.
 */
function trigramQuery(chars: string[]): string {
  const trigrams = new Set<string>();
  for (let i = 0; i + 3 <= chars.length && trigrams.size < MAX_QUERY_TRIGRAMS - 1; i += 3) trigrams.add(chars.slice(i, i + 3).join(''));
  trigrams.add(chars.slice(-3).join(''));
  return [...trigrams].map(ftsString).join(' AND ');
}

/**
 * How an index narrows a text test on `columns` to the messages that may hold `value`: an
 * "m.id IN (…)" condition, or null — in folders answered message by message
 * (SearchContext.perRow), and for strings no index covers (one or two characters, but for two
 * CJK characters). `exact` when the index's answer needs no check against the text: a CJK
 * bigram is one token, and the bigram index knows whether it is in the header fields or the body.
 */
function indexCandidates(columns: readonly string[], value: string, ctx: SearchContext): { candidates: string | null; exact: boolean } {
  if (ctx.perRow) return { candidates: null, exact: false };
  const chars = [...value];
  if (chars.length === 2 && chars.every(isCjk)) {
    // The headers hold every field SUBJECT, FROM, TO, CC and BCC look in, decoded the same way.
    const body = columns.includes('body');
    const headers = columns.some((c) => c !== 'body');
    ctx.params.push(body && headers ? ftsString(value) : `${body ? 'body' : 'headers'} : ${ftsString(value)}`);
    const exact = body || (columns.length === 1 && columns[0] === 'headers');
    return { candidates: `m.id IN (SELECT rowid FROM ix.message_bigrams WHERE message_bigrams MATCH ?)`, exact };
  }
  if (chars.length < 3) return { candidates: null, exact: false };
  ctx.params.push(trigramQuery(chars));
  return { candidates: `m.id IN (SELECT rowid FROM ix.message_trigrams WHERE message_trigrams MATCH ?)`, exact: false };
}

/**
 * The message's decoded fields `columns` hold `value` (RFC 3501 §6.4.4: a substring,
 * case-insensitively). message_text holds the text in lower case (JavaScript's toLowerCase, as
 * the value here), so the check is a plain instr() inside SQLite: a common word can make every
 * message of a large folder a candidate, and that check is then most of the search's time.
 */
function textTest(columns: readonly string[], value: string, ctx: SearchContext): string {
  if (value.length === 0) return '1';
  const { candidates, exact } = indexCandidates(columns, value, ctx);
  if (candidates && exact) return `(${candidates})`;
  const needle = value.toLowerCase();
  const check = columns.map((c) => {
    ctx.params.push(needle);
    if (c !== 'body') return `instr(t.${c}, ?) > 0`;
    return `(instr(t.body, ?) > 0 OR (t.raw_start IS NOT NULL AND ${verbatimTest(needle, ctx)}))`;
  }).join(' OR ');
  return `(${candidates ? `${candidates} AND ` : ''}EXISTS (SELECT 1 FROM ix.message_text t WHERE t.id = m.id AND (${check})))`;
}

/** The query for the UIDs of a folder's messages that match `key`; its parameters go to ctx.params. */
function searchSql(key: SearchKey, ctx: SearchContext): string {
  return `SELECT uid FROM messages m WHERE m.folder_id = ? AND (${compileSearch(key, ctx)}) ORDER BY uid`;
}

/**
 * The body's part kept only in the message itself (message_text.raw_blob, raw_start, raw_end:
 * its UTF-8 bytes as stored) holds the lower-case `needle`. An ASCII needle is found by SQLite's LIKE,
 * which folds ASCII letters only: for such a part that is what JavaScript's toLowerCase gives
 * (its characters outside ASCII fold to characters outside ASCII, mime/text.ts makes sure), and
 * LIKE needs no lower-case copy of the bytes (twice as fast as instr(lower(…)) measured). Any
 * other needle needs the text folded whole, by verbatim_has. Message bytes are read only for
 * the candidates that get this far.
 */
function verbatimTest(needle: string, ctx: SearchContext): string {
  // By rowid (one b-tree descent); the content hash must still be the message's.
  const bytes = `substr((SELECT data FROM blobs WHERE rowid = t.raw_blob AND id = m.blob_id), t.raw_start + 1, t.raw_end - t.raw_start)`;
  if (/^[\x00-\x7f]*$/.test(needle)) {
    // SQLite refuses LIKE patterns over 50,000 bytes; a search string that long is checked the slow way.
    if (needle.length <= MAX_LIKE_NEEDLE) {
      ctx.params.push(`%${escapeLike(needle)}%`);
      return `CAST(${bytes} AS TEXT) LIKE ? ESCAPE '\\'`;
    }
    ctx.params.push(needle);
    return `instr(lower(CAST(${bytes} AS TEXT)), ?) > 0`;
  }
  ctx.params.push(needle);
  return `verbatim_has(${bytes}, ?)`;
}

const MAX_LIKE_NEEDLE = 10_000;

/** verbatim_has(bytes, needle): the UTF-8 bytes, lower-cased as SEARCH folds text, hold needle. */
function verbatimHas(bytes: unknown, needle: unknown): number {
  if (!Buffer.isBuffer(bytes)) return 0;
  return bytes.toString('utf8').toLowerCase().includes(String(needle)) ? 1 : 0;
}

function compileSearch(k: SearchKey, ctx: SearchContext): string {
  switch (k.type) {
    case 'all': return '1';
    case 'flag':
      if (k.flag.toLowerCase() === '\\seen') return k.present ? 'm.seen = 1' : 'm.seen = 0';
      {
        // \Flagged and \Deleted: the test their partial indexes are made with (schema.ts).
        const indexed = SYSTEM_FLAG_INDEXES.find(([flag]) => flag.toLowerCase() === k.flag.toLowerCase());
        if (indexed) return k.present ? systemFlagTest(indexed[0], 'm.flags') : `NOT ${systemFlagTest(indexed[0], 'm.flags')}`;
      }
      // Flags are a JSON array; a flag is present when its JSON string appears in it.
      ctx.params.push(JSON.stringify(k.flag).toLowerCase());
      return `instr(lower(m.flags), ?) ${k.present ? '>' : '='} 0`;
    case 'recent': return k.present ? 'm.recent = 1' : 'm.recent = 0';
    case 'uid': {
      if (k.ranges.length === 0) return '0';
      const parts = k.ranges.map(([a, b]) => {
        ctx.params.push(Math.min(a, b), Math.max(a, b));
        return '(m.uid BETWEEN ? AND ?)';
      });
      return `(${parts.join(' OR ')})`;
    }
    case 'internaldate': return dayTest('m.internal_date', k.op, k.date, ctx.tz, ctx);
    case 'sentdate': {
      // RFC 3501 §6.4.4: the Date field's day as written, "disregarding time and timezone". A
      // message without a readable Date field counts as sent on 1 January 1970, as in Dovecot
      // (so SENTBEFORE finds it, SENTSINCE does not).
      ctx.params.push(dayNumber(k.date));
      return `IFNULL(m.sent_day, 0) ${k.op === 'on' ? '=' : k.op === 'before' ? '<' : '>='} ?`;
    }
    case 'size':
      ctx.params.push(k.bytes);
      return k.op === 'larger' ? 'm.size > ?' : 'm.size < ?';
    case 'modseq':
      ctx.params.push(k.modseq);
      return 'm.modseq >= ?';
    case 'age':
      ctx.params.push(ctx.now - k.seconds * 1000);
      return k.op === 'older' ? 'm.internal_date <= ?' : 'm.internal_date > ?';
    case 'header': {
      const signature = SIGNATURE_FIELDS.has(k.field.toLowerCase());
      const text = signature ? 'signatures' : 'headers';
      // RFC 3501 §6.4.4: HEADER with an empty string matches every message that has the field.
      // FROM, TO, CC, BCC and SUBJECT "" are answered the same way, as Dovecot does. No index
      // can say which messages lack a field, so this reads each message's stored fields.
      if (k.value === '') {
        ctx.params.push(k.field);
        return `EXISTS (SELECT 1 FROM ix.message_text t WHERE t.id = m.id AND header_has(t.${text}, ?, ''))`;
      }
      const column = TEXT_COLUMNS[k.field.toLowerCase()];
      if (column) return textTest([column], k.value, ctx);
      // Any other field: narrow with the index, then check the field itself. Signature fields
      // are stored but not indexed, so they are only checked.
      const candidates = signature ? null : indexCandidates(['headers'], k.value, ctx).candidates;
      ctx.params.push(k.field, k.value);
      return `(${candidates ? `${candidates} AND ` : ''}EXISTS (SELECT 1 FROM ix.message_text t WHERE t.id = m.id AND header_has(t.${text}, ?, ?)))`;
    }
    case 'body': return textTest(['body'], k.value, ctx);
    case 'text': return textTest(['headers', 'body'], k.value, ctx);
    case 'not': return `NOT (${compileSearch(k.key, ctx)})`;
    case 'or': return `((${compileSearch(k.left, ctx)}) OR (${compileSearch(k.right, ctx)}))`;
    case 'and': return k.keys.length === 0 ? '1' : k.keys.map((x) => `(${compileSearch(x, ctx)})`).join(' AND ');
  }
}

/**
 * header_has(headers, field, value): the decoded "name: value" lines (stored in lower case) hold
 * that field containing value.
 */
function headerHas(headers: unknown, field: unknown, value: unknown): number {
  const name = String(field).toLowerCase();
  const needle = String(value).toLowerCase();
  for (const line of String(headers ?? '').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim() === name && line.includes(needle, colon + 1)) return 1;
  }
  return 0;
}

class BlobFileMissing extends Error {
  constructor(readonly blobId: string) {
    super(`blob file ${blobId} vanished before its first reference was committed`);
  }
}

function checkUidValidity(value: number): void {
  // A non-zero 32-bit number (RFC 3501 §2.3.1.1).
  if (!Number.isInteger(value) || value < 1 || value > 0xffffffff) throw new RangeError(`UIDVALIDITY ${value} is not a non-zero 32-bit number.`);
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
