// The MailStore interface: one mailbox database (many mailboxes) behind one async API, with a
// SQLite engine for one machine and room for a PostgreSQL engine. The IMAP4 and POP3 back ends
// and local delivery use only this interface; the conformance suite in test/store/ runs it
// against every engine.
import type { SearchKey } from './search.ts';
import type { ThreadColumns } from './thread-keys.ts';

/** Roles of the folders created with every mailbox (RFC 6154 special-use where one exists). */
export type FolderRole = 'inbox' | 'sent' | 'trash' | 'drafts' | 'junk' | 'archive';

export interface Folder {
  id: number;
  mailboxId: string;
  /** Full name with '/' as the hierarchy delimiter, e.g. `寄件備份/2026`. The Inbox is `INBOX`. */
  name: string;
  role: FolderRole | null;
  hidden: boolean;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
}

export interface FolderStatus {
  messages: number;
  unseen: number;
  /** Messages that arrived since a session last took the folder's \Recent (RFC 3501). */
  recent: number;
  size: number;
  uidNext: number;
  uidValidity: number;
  highestModseq: number;
}

/** System flags and keywords, as IMAP spells them: `\Seen`, `\Flagged`, `$Forwarded`, `Junk`. */
export type Flag = string;

export interface MessageSummary {
  uid: number;
  modseq: number;
  flags: Flag[];
  size: number;
  internalDate: Date;
  /** Content hash of the raw message; the key for reading its bytes. */
  blobId: string;
  /**
   * The POP3 unique-id listing carried over from another server (an import from Dovecot keeps
   * `%08Xu%08Xv`), so "leave a copy" clients do not download the message again. Absent for
   * Mailroom's own messages, whose UIDL is derived from UIDVALIDITY and UID (src/pop3/maildrop.ts).
   */
  pop3Uidl?: string;
}

/** What SELECT needs of a folder, read at one instant (MailStore.snapshot). */
export interface FolderSnapshot {
  /** UIDs of the folder's messages, ascending: a copy the caller may keep and change. */
  uids: Uint32Array;
  status: FolderStatus;
  /** The lowest UID of a message without \Seen; 0 when every message is seen. */
  firstUnseenUid: number;
  /** Keywords some message of the folder holds, in the order they first appeared. */
  keywords: Flag[];
}

/** A message's UID, MODSEQ and flags: what FETCH (UID FLAGS MODSEQ) needs, and no more. */
export interface FlagRow {
  uid: number;
  modseq: number;
  /** Shared between rows with the same flags: read only. */
  flags: readonly Flag[];
}

/**
 * UID, MODSEQ and flags of messages in UID order, as columns: what FETCH (UID FLAGS MODSEQ)
 * needs, with no object per message. Message i's flags are lists[listIds[i]].
 */
export interface FlagColumns {
  readonly length: number;
  readonly uids: Uint32Array;
  readonly modseqs: Float64Array;
  readonly listIds: Uint32Array;
  /**
   * Each distinct flag list once, read only. The same array (its entries only ever added to)
   * for as long as the engine keeps the folder's map: a caller may keep what it made of each
   * list id while `lists` is the same array.
   */
  readonly lists: readonly (readonly Flag[])[];
}

export interface AppendInput {
  raw: Buffer;
  flags?: Flag[];
  internalDate?: Date;
  /**
   * Migration only: the UID the message had at the source. It must be at least the folder's
   * UIDNEXT (UIDs only ascend, RFC 3501 §2.3.1.1); UIDNEXT becomes uid + 1.
   */
  uid?: number;
  /** Migration only: the POP3 UIDL the source gave this message (see MessageSummary.pop3Uidl). */
  pop3Uidl?: string;
  /**
   * Migration only: the message's identity at the source. A key already recorded for the
   * mailbox makes the append a no-op answered `duplicate`; checked and recorded in the same
   * transaction as the message, so an import run again or resumed after a crash never adds a
   * message twice, even when it was moved to another folder since.
   */
  importKey?: string;
  /**
   * Appends that must take UIDs in a given order although they are started before the last
   * committed (one client's pipelined APPENDs, which then share a commit): this one is queued
   * for its commit only after `after` settles, and calls `queued` once it is (or has failed
   * before). The work before queueing (a large message's file, the quota lookup) overlaps.
   */
  order?: { after: Promise<unknown>; queued: () => void };
}

export interface AppendResult {
  uid: number;
  modseq: number;
  uidValidity: number;
  /** The importKey was already recorded: nothing was added (uid and modseq are 0). */
  duplicate?: boolean;
}

export type FlagOperation = 'add' | 'remove' | 'replace';

export interface StoreFlagsResult {
  /**
   * Messages whose flags changed, with their new MODSEQ and flags. An operation takes one new
   * MODSEQ for all of them, which no other operation on the folder shares: a session that sees
   * it is the one after its view's knows nothing else changed in between (noteOwnWrite).
   */
  changed: { uid: number; modseq: number; flags: Flag[] }[];
  /** UIDs refused by UNCHANGEDSINCE (RFC 7162 §3.1.3): changed after the given MODSEQ. */
  failedUnchangedSince: number[];
}

export interface CopyResult {
  uidValidity: number;
  /** Pairs of source UID → new UID, in source order (UIDPLUS COPYUID/MOVE). */
  mapping: [number, number][];
}

/**
 * A key the store can order a folder's messages by (RFC 5256 SORT, RFC 5957 DISPLAYFROM and
 * DISPLAYTO): arrival is INTERNALDATE, date the Date field (else INTERNALDATE), the strings
 * their i;unicode-casemap keys (src/mime/sort-keys.ts).
 */
export type SortColumn = 'arrival' | 'date' | 'size' | 'subject' | 'from' | 'to' | 'cc' | 'displayfrom' | 'displayto';

export interface ChangesSince {
  highestModseq: number;
  changed: MessageSummary[];
  /** UIDs expunged after the given MODSEQ (QRESYNC VANISHED (EARLIER)). */
  expunged: number[];
}

/** ChangesSince cut down to what a session's view follows: UID, MODSEQ and flags. */
export interface FlagChangesSince {
  highestModseq: number;
  changed: FlagRow[];
  expunged: number[];
}

export interface RecoverableItem {
  id: number;
  mailboxId: string;
  folderName: string;
  size: number;
  internalDate: Date;
  deletedAt: Date;
  purgeAfter: Date;
  /** 'expunge' (IMAP), 'pop3' (DELE + QUIT), 'folder-delete'. */
  reason: string;
  subject: string;
  from: string;
}

export interface MailboxUsage {
  bytes: number;
  messages: number;
  recoverableBytes: number;
}

/** Thrown when an append or copy would pass ProhibitSendReceiveQuota; IMAP maps it to [OVERQUOTA], SMTP to 552. */
export class QuotaExceededError extends Error {
  constructor(readonly usage: number, readonly limit: number, readonly needed: number) {
    super(`The mailbox is full: ${usage} of ${limit} bytes used, ${needed} more needed.`);
    this.name = 'QuotaExceededError';
  }
}

/** Folder operations that cannot be done: name taken, not found, Inbox cannot be deleted, … */
export class FolderError extends Error {
  constructor(message: string, readonly code: 'exists' | 'not-found' | 'invalid-name' | 'protected' | 'has-children') {
    super(message);
    this.name = 'FolderError';
  }
}

export type ChangeListener = (event: { mailboxId: string; folderId: number; highestModseq: number }) => void;

export interface MailStore {
  /** Creates the mailbox's default folders (names localized by `language`) if it has none. */
  provisionMailbox(mailboxId: string, language: string): Promise<void>;
  /** Removes every folder, message and recoverable item of a mailbox. */
  removeMailbox(mailboxId: string): Promise<void>;

  folders(mailboxId: string): Promise<Folder[]>;
  folder(mailboxId: string, name: string): Promise<Folder | undefined>;
  /**
   * `uidValidity` (migration) gives the new folder the UIDVALIDITY it had on another server, so
   * clients that synced it there keep their copies; otherwise the store picks a new one.
   */
  createFolder(mailboxId: string, name: string, options?: { role?: FolderRole; hidden?: boolean; uidValidity?: number }): Promise<Folder>;
  /**
   * Migration: gives an EMPTY folder another UIDVALIDITY and starts its UIDs again at 1
   * (refused with FolderError 'exists' when the folder holds messages). A new UIDVALIDITY tells
   * clients that every UID they knew in it is void (RFC 3501 §2.3.1.1), so this is legal.
   */
  adoptUidValidity(folderId: number, uidValidity: number): Promise<Folder>;
  /** Migration: raises UIDNEXT to `uidNext` (never lowers it), as the source server had it. */
  reserveUids(folderId: number, uidNext: number): Promise<Folder>;
  /** Migration: which of these import keys (AppendInput.importKey) the mailbox has recorded. */
  importedKeys(mailboxId: string, keys: string[]): Promise<Set<string>>;
  /** Renames a folder and all its children; renaming INBOX moves its messages (RFC 3501 §6.3.5). */
  renameFolder(mailboxId: string, from: string, to: string): Promise<void>;
  /** Deletes a folder; its messages go to Recoverable Items. Refused for INBOX and for folders with children. */
  deleteFolder(mailboxId: string, name: string): Promise<void>;
  /**
   * The mailbox's subscription list (RFC 3501 §6.3.6), in name order: names, whether or not a
   * folder has them now. The default folders start on it; a folder created later does not.
   */
  subscriptions(mailboxId: string): Promise<string[]>;
  /**
   * Adds a name to the list or takes it off; true when the list changed. A name stays when its
   * folder is deleted (RFC 3501 §6.3.6 forbids dropping it) and follows its folder on a rename.
   */
  setSubscribed(mailboxId: string, name: string, subscribed: boolean): Promise<boolean>;
  status(folderId: number): Promise<FolderStatus>;
  /** status() of every folder of the mailbox in one read, by folder id (LIST RETURN (STATUS)). */
  folderStatuses(mailboxId: string): Promise<Map<number, FolderStatus>>;
  /**
   * The folder as SELECT shows it: its UIDs, counters, first unseen message and keywords, from
   * counters and indexes kept up to date by every change, so the cost does not grow with the
   * number of messages beyond copying the UIDs.
   */
  snapshot(folderId: number): Promise<FolderSnapshot>;
  /** When the folder's oldest and newest messages arrived (INTERNALDATE); undefined when it is empty. */
  receivedDateRange(folderId: number): Promise<{ oldest: Date; newest: Date } | undefined>;

  /** Durable before it resolves: the UID is acknowledged only after the commit. */
  append(folderId: number, input: AppendInput): Promise<AppendResult>;
  messages(folderId: number, range?: { fromUid?: number; toUid?: number }): Promise<MessageSummary[]>;
  message(folderId: number, uid: number): Promise<MessageSummary | undefined>;
  /** UID, MODSEQ and flags of the messages in [fromUid, toUid], ascending: a lighter messages(). */
  flagColumns(folderId: number, range: { fromUid: number; toUid: number }): Promise<FlagColumns>;
  /**
   * The UIDs among `uids` (ascending) that the folder holds, ordered by the keys in turn, each
   * ascending or reversed, ties in UID order: SORT answered from the key columns kept with each
   * message, without reading a header.
   */
  sortedUids(folderId: number, order: readonly { column: SortColumn; reverse: boolean }[], uids: ArrayLike<number>): Promise<Uint32Array>;
  /**
   * The thread keys (src/store/thread-keys.ts) of the messages among `uids` (ascending) that the
   * folder holds, in UID order. Read only: a large folder's are kept and shared.
   */
  threadKeys(folderId: number, uids: readonly number[]): Promise<ThreadColumns>;
  /** The stored bytes, or a byte range of them. */
  readBlob(blobId: string, range?: { start: number; end: number }): Promise<Buffer>;
  /**
   * The stored bytes, or a byte range of them, in pieces read one after the other as the caller
   * takes them (FETCH of a large message: never held whole). Fails if fewer bytes are stored
   * than the range names. `reusable`: asked before each piece is read, whether the last one is
   * no longer referenced, so that its memory can take the next.
   */
  blobChunks(blobId: string, range?: { start: number; end: number }, reusable?: () => boolean): AsyncIterable<Buffer>;

  storeFlags(folderId: number, uids: number[], op: FlagOperation, flags: Flag[], unchangedSince?: number): Promise<StoreFlagsResult>;
  copy(folderId: number, uids: number[], targetFolderId: number): Promise<CopyResult>;
  move(folderId: number, uids: number[], targetFolderId: number): Promise<CopyResult>;
  /** Removes the messages from the folder into Recoverable Items; returns the UIDs removed. */
  expunge(folderId: number, uids: number[], reason?: 'expunge' | 'pop3'): Promise<number[]>;
  changesSince(folderId: number, modseq: number): Promise<ChangesSince>;
  /** changesSince without the rest of each row: a session's sync after a STORE on 27,000 messages reads three columns of each. */
  flagChangesSince(folderId: number, modseq: number): Promise<FlagChangesSince>;
  /** Takes \Recent for a session: returns the UIDs that were recent and clears them (RFC 3501 §2.3.2). */
  claimRecent(folderId: number): Promise<number[]>;

  usage(mailboxId: string): Promise<MailboxUsage>;
  recoverableItems(mailboxId: string): Promise<RecoverableItem[]>;
  /** Puts items back in their folder (recreated if gone) with new UIDs. */
  restoreRecoverableItems(mailboxId: string, ids: number[]): Promise<number>;
  /** Deletes recoverable items whose retention has passed; returns how many. */
  purgeExpired(now?: Date): Promise<number>;

  /** UIDs of the folder's messages that match (RFC 3501 §6.4.4 semantics), ascending. */
  search(folderId: number, key: SearchKey, options?: { now?: Date; timezoneOffsetMinutes?: number }): Promise<number[]>;

  /** Tells in-process listeners about every committed change of a mailbox; returns an unsubscribe. */
  subscribe(mailboxId: string, listener: ChangeListener): () => void;
  close(): Promise<void>;
}

export interface StoreOptions {
  /**
   * Folders of up to this many messages answer SEARCH text keys by reading each message's
   * indexed text rather than querying the whole database's index (2,000 by default).
   */
  textScanLimit?: number;
  /** Told when the full-text indexer (a worker thread) reports a failure. */
  onIndexError?: (message: string) => void;
  /** Bytes a mailbox may hold (ProhibitSendReceiveQuota), asked at each append and copy. */
  quotaLimit?: (mailboxId: string) => Promise<number | 'unlimited'>;
  /** How long deleted messages stay recoverable, in seconds (DeletedItemRetention). */
  retentionSeconds?: number;
  now?: () => Date;
}
