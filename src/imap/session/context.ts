// What an IMAP command sees of the session it runs in: the session's options, the shapes of a
// selection and a folder target, and SessionContext, the session's surface for commands. The
// command modules and the capability list depend on this module, not on session.ts, and
// session.ts (which holds the command table) implements it, so imports run one way.
import type { Socket } from 'node:net';
import type { SettingsDocument } from '../../config/model.ts';
import type { Mailbox } from '../../directory/directory.ts';
import type { LineConnection } from '../../lib/line-reader.ts';
import type { Logger } from '../../lib/log.ts';
import type { ProtocolLogSession } from '../../lib/protocol-log.ts';
import type { Folder, MailStore } from '../../store/types.ts';
import type { Command, NumberRanges, SavedSet, SequenceSet } from '../protocol/index.ts';
import type { SelectedView, ViewUpdate } from '../selected-view.ts';
import type { UidSet } from './uid-set.ts';

export type SessionState = 'authenticated' | 'selected';

export interface ImapSessionOptions {
  store: MailStore;
  /** The mailbox opened (the user's own, or one it has FullAccess to). */
  mailbox: Mailbox;
  /** Who logged on. */
  user: Mailbox;
  settings: () => SettingsDocument;
  /** Largest APPEND the server accepts (APPENDLIMIT, RFC 7889). */
  appendLimit: () => number;
  /** The mailbox's ProhibitSendReceiveQuota in bytes (QUOTA, RFC 9208). */
  quotaLimit: (mailboxId: string) => Promise<number | 'unlimited'>;
  log: Logger;
  clientAddress: string;
  /** Called once when the session ends, for connection accounting. */
  onClose?: () => void;
  /** The connection's protocol log, carried over from the front end. */
  protocolLog?: ProtocolLogSession;
  /**
   * Runs each command under the user's budget (throttling policy): it may wait before the command
   * runs, and is charged the time the command took.
   */
  throttle?: <T>(command: () => Promise<T>) => Promise<T>;
  /** Mailboxes the user has FullAccess to, shown under "Other Users/<alias>/". */
  sharedMailboxes?: () => Promise<MailboxAccess[]>;
}

/** A mailbox this session may open, with the store that holds it. */
export interface MailboxAccess {
  mailbox: Mailbox;
  store: MailStore;
}

/** Where a client's mailbox name points: a folder of the user's own or of a shared mailbox. */
export interface FolderTarget extends MailboxAccess {
  /** The folder's name inside that mailbox ('' for the namespace levels themselves). */
  folderName: string;
  shared: boolean;
}

export interface Selection {
  folder: Folder;
  view: SelectedView;
  readOnly: boolean;
  /** The mailbox and store the folder belongs to (the user's own, or a shared one). */
  target: FolderTarget;
}

/** Extensions a client turned on with ENABLE (RFC 5161). */
export type Enabled = 'CONDSTORE' | 'QRESYNC' | 'UTF8=ACCEPT' | 'IMAP4REV2';

/** The session as commands use it; ImapSession (session.ts) is the one implementation. */
export interface SessionContext {
  /** The user's own mailbox and its store. */
  readonly home: MailboxAccess;
  readonly mailbox: Mailbox;
  readonly user: Mailbox;
  readonly log: Logger;
  readonly options: ImapSessionOptions;
  readonly enabled: Set<Enabled>;
  selection: Selection | null;
  /** UIDs saved by SEARCH RETURN (SAVE) for `$` (RFC 5182). */
  savedUids: number[];
  /** Messages this session holds \Recent for (RFC 3501 §2.3.2). */
  recentUids: UidSet;
  /** COMPRESS=DEFLATE is active (RFC 4978). */
  compressed: boolean;
  settings(): SettingsDocument;
  /** MessageRetrievalMimeFormat for this session, fixed at logon. */
  readonly retrievalFormat: string;
  /** The store of the selected folder, or of the user's own mailbox when none is selected. */
  readonly store: MailStore;
  readonly socket: Socket;
  readonly tls: boolean;
  readonly utf8: boolean;
  /** RFC 9051 behaviour was ENABLEd: no \Recent, ESEARCH answers, LIST in SELECT. */
  readonly rev2: boolean;
  readonly state: SessionState;
  /** Flags as shown to this client in a FETCH response (keywords announced first). */
  shownFlags(uid: number, flags: readonly string[]): readonly string[];
  /** Announces the keywords of `flags` the client does not know yet. */
  admitFlags(flags: readonly string[]): void;
  /** FLAGS and PERMANENTFLAGS for the selected folder. */
  sendMailboxFlags(selecting: boolean): void;
  /** How many of the messages the client can see hold \Recent in this session. */
  recentCount(): number;
  /** One response line. */
  send(line: string): void;
  /** Raw bytes (literal contents), or the pieces of one batch of responses, sent in one go. */
  write(data: Buffer | string | readonly (Buffer | string)[]): void;
  /** Waits until the client has read what was sent. */
  drain(): Promise<void>;
  /** The connection is still open (a long response stops early when the client has gone). */
  readonly connected: boolean;
  /** Everything written has left the session's queue: no buffer written is referenced any more. */
  readonly flushed: boolean;
  /**
   * Whether a command may end with finishLater() now: not while the protocol log is on (it
   * pairs each command with the replies that follow it), nor with too many already waiting.
   */
  readonly canFinishLater: boolean;
  /**
   * Lets the session read on while `finish` (the command's last step: its tagged reply) waits
   * for its turn, after every command before it has finished. `heldBytes`: what the command
   * keeps in memory until then (an APPEND's message), counted against a bound. A client's pipelined APPENDs then
   * share one commit (one fsync) instead of each waiting for its own. The session waits for all
   * of them before it runs any command but a single-message APPEND.
   */
  finishLater(command: Command, finish: () => Promise<void>, heldBytes: number): void;
  /** This session's next turn for AppendInput.order: its appends take UIDs in command order. */
  appendTurn(): { after: Promise<unknown>; queued: () => void };
  /** Inserts a stream layer (COMPRESS) after sending `okLine`. */
  layer(okLine: string, wrap: Parameters<LineConnection['layer']>[1]): Promise<void>;
  close(text?: string): void;
  nameFromWire(raw: string): string;
  nameToWire(name: string): string;
  sharedMailboxes(): Promise<MailboxAccess[]>;
  /** Resolves a client's mailbox name to the user's own or a shared mailbox's folder. */
  resolve(name: string): Promise<FolderTarget>;
  /** A selectable folder by client name, or NO [NONEXISTENT]. */
  requireFolder(name: string): Promise<{ folder: Folder; target: FolderTarget }>;
  /** The name a client sees for a folder of `target`'s mailbox. */
  clientName(target: MailboxAccess, folderName: string): string;
  /** The UIDs a message set names in the selected folder, ascending. */
  messageSet(set: SequenceSet | SavedSet, byUid: boolean): number[];
  /** The sequence numbers a message set names in the selected folder, as ascending ranges. */
  messageSeqRanges(set: SequenceSet | SavedSet, byUid: boolean): NumberRanges;
  select(folder: Folder, readOnly: boolean, target: FolderTarget): Promise<SelectedView>;
  enableCondstore(): void;
  unselect(): void;
  /** Sends what changed in the selected folder; `allowExpunge` false holds removals back. */
  sync(allowExpunge: boolean): Promise<void>;
  announce(update: ViewUpdate): void;
  beginIdle(tag: string): void;
  /** An APPEND message's size, whether it is in memory or on disk. */
  literalSize(data: Buffer): number;
  /** An APPEND message's bytes. */
  literalData(data: Buffer): Promise<Buffer>;
  /** Sync, then the tagged OK. */
  complete(command: Command, text: string, code?: string | null, usesSequenceNumbers?: boolean): Promise<void>;
  isIdling(): boolean;
}
