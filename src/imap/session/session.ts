// An IMAP session after logon (RFC 3501 §3: authenticated and selected states, RFC 9051 once a
// client ENABLEs IMAP4rev2). It frames commands with their literals, parses them with the pure
// protocol module, runs the command module registered for the name, and keeps the selected
// mailbox's view in step with the store at the points the protocol allows.
import type { Socket } from 'node:net';
import type { SettingsDocument } from '../../config/model.ts';
import type { Mailbox } from '../../directory/directory.ts';
import { LineConnection, type DetachedConnection, type LineReaderItem } from '../../lib/line-reader.ts';
import type { Logger } from '../../lib/log.ts';
import { UidSet } from './uid-set.ts';
import { commandSeconds } from '../../lib/metrics.ts';
import type { ProtocolLogEntry, ProtocolLogSession } from '../../lib/protocol-log.ts';
import { FolderError, type Folder, type MailStore } from '../../store/types.ts';
import {
  commandLineLimit,
  flagList,
  literalAnnouncement,
  mailboxNameFromWire,
  mailboxNameToWire,
  parseCommand,
  ParseError,
  readTag,
  normalizeRanges,
  rangesFromNumbers,
  resolveSequenceSet,
  type NumberRanges,
  vanished,
  type Command,
  type SavedSet,
  type Segment,
  type SequenceSet,
} from '../protocol/index.ts';
import { SelectedView, type ViewUpdate } from '../selected-view.ts';
import { capabilities } from './capabilities.ts';
import { effectiveRetrievalFormat } from '../../config/pop-imap.ts';
import { IN_MEMORY_LITERAL_BYTES, SpooledLiteral } from './literal-spool.ts';
import { OTHER_USERS } from './namespaces.ts';
import { CommandFailure, no } from './command.ts';
import type { Enabled, FolderTarget, ImapSessionOptions, MailboxAccess, Selection, SessionContext, SessionState } from './context.ts';
import { COMMANDS } from '../commands/index.ts';

export type { Enabled, FolderTarget, ImapSessionOptions, MailboxAccess, Selection } from './context.ts';
export { OTHER_USERS } from './namespaces.ts';

const KEEPALIVE_MS = 2 * 60_000;
const SYSTEM_FLAGS = '\\Answered \\Flagged \\Deleted \\Seen \\Draft';

/** A command's arguments for the protocol log: the text after tag and name, literals as {n}. */
function logParameters(segments: readonly Segment[]): string {
  const text = segments.map((s) => `${s.text.toString('utf8')}${s.literal ? `{${s.literal.length}}` : ''}`).join(' ');
  const rest = text.replace(/^\S+\s+(?:UID\s+)?\S+\s*/i, '');
  return rest.length > 200 ? `${rest.slice(0, 200)}…` : rest;
}
/**
 * Commands waiting to finish (pipelined APPENDs waiting for their commit) before the session
 * stops reading ahead: each holds its message in memory until then.
 */
const MAX_FINISHING_LATER = 64;
/** …and the bytes they may hold together before it stops (a few large messages are enough). */
const MAX_FINISHING_LATER_BYTES = 16 * 1024 * 1024;

/** All the messages of one MULTIAPPEND together, when that is more than APPENDLIMIT. */
const MULTIAPPEND_BYTES = 100 * 1024 * 1024;

export class ImapSession implements SessionContext {
  /** The user's own mailbox and its store. */
  readonly home: MailboxAccess;
  readonly mailbox: Mailbox;
  readonly user: Mailbox;
  readonly log: Logger;
  readonly enabled = new Set<Enabled>();
  selection: Selection | null = null;
  /** UIDs saved by SEARCH RETURN (SAVE) for `$` (RFC 5182). */
  savedUids: number[] = [];
  /**
   * Messages this session holds \Recent for (RFC 3501 §2.3.2): taken from the store at SELECT
   * and whenever a sync finds new messages, so each message is recent in one session only.
   */
  recentUids = new UidSet();
  /** The count last sent in `* n RECENT`. */
  private announcedRecent = 0;
  private conn: LineConnection;
  private segments: Segment[] = [];
  private literalBytes = 0;
  /** Literal bytes of the command being read that are held in memory. */
  private literalBytesInMemory = 0;
  /** The APPEND literal being written to disk, and the segment it belongs to. */
  private spooling: { segment: Segment; file: Promise<SpooledLiteral>; binary: boolean; nul: boolean; failed?: boolean } | null = null;
  /**
   * Why the command being read cannot be run: a literal could not be written to the spool
   * folder (a full disk). The rest of the command is read and dropped, then answered NO, so the
   * session stays in step and goes on.
   */
  private spoolFailure: string | null = null;
  /** Literals of the command being read (or run) that are on disk, by their segment. */
  private spooled = new Map<Segment, { file: SpooledLiteral; nul: boolean }>();
  /** What the parser saw in place of each spooled literal → its file (for APPEND). */
  private spooledData = new Map<Buffer, SpooledLiteral>();
  /** A command is running: its spool files stay until it ends, even if the client leaves. */
  private running = false;
  private idle: { tag: string; unsubscribe: () => void; keepalive: NodeJS.Timeout } | null = null;
  private unsubscribe: (() => void) | null = null;
  private dirty = false;
  /** The IDLE push under way, if any. */
  private idleSync: Promise<void> | null = null;
  private closed = false;
  /** COMPRESS=DEFLATE is active (RFC 4978). */
  compressed = false;
  /** The protocol log line of the command being answered, and its tag. */
  private logEntry: { tag: string; line: ProtocolLogEntry } | null = null;
  /** The last step of the commands finishing later (finishLater), one after the other. */
  private later: Promise<void> = Promise.resolve();
  private finishingLater = 0;
  private finishingLaterBytes = 0;
  /** Settles when this session's last append has been queued for its commit (appendTurn). */
  private lastAppendQueued: Promise<unknown> = Promise.resolve();

  constructor(
    connection: DetachedConnection,
    readonly options: ImapSessionOptions,
  ) {
    this.home = { mailbox: options.mailbox, store: options.store };
    this.mailbox = options.mailbox;
    this.user = options.user;
    this.format = effectiveRetrievalFormat(options.settings(), options.user.settings, 'imap');
    this.log = options.log;
    const { socket, tls, pending } = connection;
    this.conn = new LineConnection(socket, {
      maxLineLength: this.settings().MaxCommandSize as number,
      lineLimit: commandLineLimit,
      tls,
      idleTimeoutMs: () => (this.settings().AuthenticatedConnectionTimeout as number) * 1000,
    });
    // Commands the client pipelined behind its LOGIN go back into the stream, in order.
    if (pending.length > 0) socket.unshift(pending);
    socket.once('close', () => this.ended());
    // A client that left while its logon was being checked: the socket may have closed before
    // this listener was there, and without this its connection would count against
    // MaxConnectionsPerUser for ever.
    if (socket.destroyed) setImmediate(() => this.ended());
  }

  settings(): SettingsDocument {
    return this.options.settings();
  }

  /**
   * MessageRetrievalMimeFormat for this session (the server's, or the user's when
   * ImapUseProtocolDefaults is $false), fixed at logon: a message must not change its size or
   * structure under a client that has already seen them (RFC 3501 §2.3).
   */
  get retrievalFormat(): string {
    this.format ??= effectiveRetrievalFormat(this.settings(), this.user.settings, 'imap');
    return this.format;
  }
  private format: string | undefined;

  /** The store of the selected folder, or of the user's own mailbox when none is selected. */
  get store(): MailStore {
    return this.selection?.target.store ?? this.home.store;
  }

  get socket(): Socket {
    return this.conn.socket;
  }

  get tls(): boolean {
    return this.conn.tls;
  }

  get utf8(): boolean {
    return this.enabled.has('UTF8=ACCEPT') || this.enabled.has('IMAP4REV2');
  }

  /** RFC 9051 behaviour was ENABLEd: no \Recent, ESEARCH answers, LIST in SELECT. */
  get rev2(): boolean {
    return this.enabled.has('IMAP4REV2');
  }

  /**
   * Flags as shown to this client in a FETCH response. A keyword the client has not been told
   * about is announced first with FLAGS (RFC 3501 §7.2.6), so every path that shows flags (FETCH,
   * STORE, a sync, QRESYNC) goes through here. \Recent exists only in IMAP4rev1 (RFC 9051 §2.3.2).
   */
  shownFlags(uid: number, flags: readonly string[]): readonly string[] {
    this.admitFlags(flags);
    return !this.rev2 && this.recentUids.has(uid) ? [...flags, '\\Recent'] : flags;
  }

  /** Announces the keywords of `flags` the client does not know yet, before anything shows them. */
  admitFlags(flags: readonly string[]): void {
    if (this.selection?.view.admitKeywords(flags)) this.sendMailboxFlags(false);
  }

  /**
   * FLAGS and PERMANENTFLAGS for the selected folder: at SELECT, and again whenever a keyword
   * is new to the client (RFC 3501 §7.1, §7.2.6). A read-only folder's PERMANENTFLAGS () is
   * said once, at SELECT.
   */
  sendMailboxFlags(selecting: boolean): void {
    const selection = this.selection;
    if (!selection) return;
    const flags = [SYSTEM_FLAGS, ...selection.view.keywords()].join(' ');
    this.send(`* FLAGS (${flags})`);
    if (!selection.readOnly) this.send(`* OK [PERMANENTFLAGS (${flags} \\*)] Flags permitted.`);
    else if (selecting) this.send('* OK [PERMANENTFLAGS ()] Read-only folder.');
  }

  /** How many of the messages the client can see hold \Recent in this session. */
  recentCount(): number {
    const view = this.selection?.view;
    if (!view) return 0;
    let n = 0;
    for (const uid of this.recentUids) if (view.seqOf(uid) > 0) n++;
    return n;
  }

  get state(): SessionState {
    return this.selection ? 'selected' : 'authenticated';
  }

  start(tag: string): void {
    this.conn.start({
      onItem: (item) => this.onItem(item),
      onIdle: () => this.close('* BYE Autologout; idle for too long.'),
      onError: (err) => {
        this.log.error({ err }, 'IMAP command failed');
        this.send('* BAD Internal error.');
      },
    });
    // The logon command's log line was begun by the front end; this reply finishes it.
    const logon = this.options.protocolLog?.current;
    if (logon) this.logEntry = { tag, line: logon };
    this.send(`${tag} OK [CAPABILITY ${capabilities(this).join(' ')}] Logon completed.`);
  }

  // ── Output ─────────────────────────────────────────────────────────────────

  /**
   * Response lines not yet written: a command's lines leave in one write when its work for this
   * turn of the event loop is done (setImmediate), not one write (and system call) each. LIST
   * RETURN (STATUS) of 200 folders is 400 lines; written one by one, the writes were half of its
   * time. Raw writes, drain, a layer (COMPRESS) and close write these first.
   */
  private outgoing = '';
  private flushScheduled = false;

  private readonly flushOutgoing = (): void => {
    this.flushScheduled = false;
    if (this.outgoing === '') return;
    const text = this.outgoing;
    this.outgoing = '';
    this.conn.write(text);
  };

  /** One response line; the protocol writer's helpers already end theirs with CRLF. */
  send(line: string): void {
    const text = line.endsWith('\r\n') ? line : `${line}\r\n`;
    this.outgoing += text;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushOutgoing);
    }
    const entry = this.logEntry;
    if (!entry) return;
    entry.line.addResponse(text.length);
    if (text.startsWith(`${entry.tag} `)) {
      entry.line.setStatus(text.slice(entry.tag.length + 1, -2));
      entry.line.finish();
      this.logEntry = null;
    }
  }

  /**
   * Raw bytes (literal contents); the caller writes the CRLFs the grammar needs. Pieces are
   * written with the socket corked, so that they leave together without being copied into one
   * buffer first (a message of tens of megabytes is not copied at all).
   */
  write(data: Buffer | string | readonly (Buffer | string)[]): void {
    if (this.conn.closed) return;
    this.flushOutgoing();
    if (typeof data === 'string' || Buffer.isBuffer(data)) {
      this.socket.write(data);
      this.logEntry?.line.addResponse(data.length);
      return;
    }
    this.socket.cork();
    for (const piece of data) {
      this.socket.write(piece);
      this.logEntry?.line.addResponse(piece.length);
    }
    this.socket.uncork();
  }

  /**
   * Waits until the client has read what was sent (large FETCH responses). A client that reads
   * nothing for AuthenticatedConnectionTimeout is idle, and its connection is dropped.
   */
  get connected(): boolean {
    return !this.conn.closed;
  }

  get flushed(): boolean {
    return this.outgoing === '' && this.socket.writableLength === 0;
  }

  async drain(): Promise<void> {
    this.flushOutgoing();
    const socket = this.socket;
    if (!socket.writableNeedDrain || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        socket.removeListener('drain', done);
        socket.removeListener('close', done);
        resolve();
      };
      const timer = setTimeout(() => {
        socket.destroy();
        done();
      }, (this.settings().AuthenticatedConnectionTimeout as number) * 1000);
      socket.once('drain', done);
      socket.once('close', done);
    });
  }

  /** Inserts a stream layer (COMPRESS) after sending `okLine`. */
  layer(okLine: string, wrap: Parameters<LineConnection['layer']>[1]): Promise<void> {
    this.flushOutgoing();
    return this.conn.layer(okLine, wrap);
  }

  close(text?: string): void {
    const entry = this.logEntry;
    if (entry && text?.startsWith(`${entry.tag} `)) {
      entry.line.addResponse(text.length + 2);
      entry.line.setStatus(text.slice(entry.tag.length + 1));
      entry.line.finish();
      this.logEntry = null;
    }
    this.flushOutgoing();
    this.conn.close(text === undefined ? undefined : `${text}\r\n`);
    this.ended();
  }

  private ended(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.running) this.discardLiterals();
    this.stopIdle();
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.options.protocolLog?.close('connection closed');
    this.options.onClose?.();
  }

  // ── Mailbox names ─────────────────────────────────────────────────────────

  /**
   * A mailbox name as the client sent it → the stored (Unicode) name. One that is not valid
   * modified UTF-7 is a well-formed astring naming no mailbox that can exist, so NO, not BAD
   * (BAD is for syntax, RFC 3501 §7.1.3).
   */
  nameFromWire(raw: string): string {
    const name = mailboxNameFromWire(raw, this.utf8);
    if (name === null) throw no('The mailbox name is not valid modified UTF-7.', 'CANNOT');
    return name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
  }

  nameToWire(name: string): string {
    return mailboxNameToWire(name, this.utf8);
  }

  async sharedMailboxes(): Promise<MailboxAccess[]> {
    return this.options.sharedMailboxes ? this.options.sharedMailboxes() : [];
  }

  /**
   * Resolves a client's mailbox name: `Other Users/<alias>/<folder>` names a folder of a mailbox
   * the user has FullAccess to; anything else is the user's own.
   */
  async resolve(name: string): Promise<FolderTarget> {
    if (name !== OTHER_USERS && !name.startsWith(`${OTHER_USERS}/`)) return { ...this.home, folderName: name, shared: false };
    const rest = name.slice(OTHER_USERS.length + 1);
    const alias = rest.split('/')[0] ?? '';
    const shared = (await this.sharedMailboxes()).find((m) => m.mailbox.alias.toLowerCase() === alias.toLowerCase());
    if (!shared && name !== OTHER_USERS) throw no(`There is no shared mailbox ${alias} you can open.`, 'NONEXISTENT');
    const folderName = rest.slice(alias.length + 1);
    return { ...(shared ?? this.home), folderName: folderName === '' ? '' : folderName.toUpperCase() === 'INBOX' ? 'INBOX' : folderName, shared: true };
  }

  /** A selectable folder by client name, or NO [NONEXISTENT]. */
  async requireFolder(name: string): Promise<{ folder: Folder; target: FolderTarget }> {
    const target = await this.resolve(name);
    const folder = target.folderName === '' ? undefined : await target.store.folder(target.mailbox.id, target.folderName);
    if (!folder || (folder.hidden && !this.settings().ShowHiddenFoldersEnabled)) {
      throw no(`The folder ${name} does not exist.`, 'NONEXISTENT');
    }
    return { folder, target };
  }

  /** The name a client sees for a folder of `target`'s mailbox. */
  clientName(target: MailboxAccess, folderName: string): string {
    return target.mailbox.id === this.mailbox.id ? folderName : `${OTHER_USERS}/${target.mailbox.alias}/${folderName}`;
  }

  /**
   * The UIDs a message set names in the selected folder, ascending: sequence numbers or UIDs,
   * or `$` (RFC 5182). Numbers that name no message are skipped, as RFC 3501 §6.4.8 allows.
   */
  messageSet(set: SequenceSet | SavedSet, byUid: boolean): number[] {
    const view = this.selection!.view;
    if (set === '$') return this.savedUids.filter((uid) => view.seqOf(uid) > 0);
    if (byUid) {
      const ranges = resolveSequenceSet(set, Math.max(view.maxUid(), 1));
      const out: number[] = [];
      for (const [a, b] of ranges) out.push(...view.uidsInRange(a, b));
      return out;
    }
    const ranges = resolveSequenceSet(set, view.exists);
    const out: number[] = [];
    for (const [a, b] of ranges) for (let seq = a; seq <= Math.min(b, view.exists); seq++) out.push(view.uidAt(seq)!);
    return out;
  }

  messageSeqRanges(set: SequenceSet | SavedSet, byUid: boolean): NumberRanges {
    const view = this.selection!.view;
    if (set === '$') return rangesFromNumbers(this.savedUids.map((uid) => view.seqOf(uid)).filter((seq) => seq > 0));
    if (!byUid) return resolveSequenceSet(set, view.exists);
    const out: NumberRanges = [];
    for (const [a, b] of resolveSequenceSet(set, Math.max(view.maxUid(), 1))) {
      const seqs = view.seqRange(a, b);
      if (seqs) out.push(seqs);
    }
    return normalizeRanges(out);
  }

  // ── Selection and synchronisation ─────────────────────────────────────────

  async select(folder: Folder, readOnly: boolean, target: FolderTarget): Promise<SelectedView> {
    this.unselect();
    const view = new SelectedView(folder.id, readOnly);
    view.load(await target.store.snapshot(folder.id));
    const selection: Selection = { folder, view, readOnly, target };
    this.selection = selection;
    await this.collectRecent(selection, 0);
    this.announcedRecent = this.recentCount();
    // A change made elsewhere only marks the session dirty; the next sync point reads the
    // change log, so a burst of changes never queues up notifications (and none is lost).
    this.unsubscribe = target.store.subscribe(target.mailbox.id, (event) => {
      if (event.folderId !== folder.id) return;
      this.dirty = true;
      if (this.idle) this.syncDuringIdle();
    });
    return view;
  }

  /**
   * A CONDSTORE enabling command (RFC 7162 §3.1: FETCH or SEARCH with MODSEQ, STORE
   * UNCHANGEDSINCE, FETCH CHANGEDSINCE, STATUS HIGHESTMODSEQ): from now on FETCH responses carry
   * MODSEQ. With a folder selected, the client also needs the folder's HIGHESTMODSEQ, which SELECT
   * gave it before it cared: it is sent again, as Dovecot does.
   */
  enableCondstore(): void {
    if (this.enabled.has('CONDSTORE')) return;
    this.enabled.add('CONDSTORE');
    if (this.selection) this.send(`* OK [HIGHESTMODSEQ ${this.selection.view.highestModseq}] Highest MODSEQ.`);
  }

  unselect(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.selection = null;
    this.savedUids = [];
    this.recentUids = new UidSet();
    this.announcedRecent = 0;
  }

  /**
   * \Recent for the messages above `afterUid` that no session has taken yet (RFC 3501 §2.3.2).
   * A read-write session takes them from the store, so no other session will see them as
   * recent; a read-only one (EXAMINE) shows them as recent and leaves them for the next.
   */
  private async collectRecent(selection: Selection, afterUid: number): Promise<void> {
    const { store } = selection.target;
    const folderId = selection.folder.id;
    let uids: number[];
    if (!selection.readOnly) uids = await store.claimRecent(folderId);
    // The folder's count first: a search of a large folder for nothing would read every row.
    else if ((await store.status(folderId)).recent === 0) uids = [];
    else uids = await store.search(folderId, { type: 'and', keys: [{ type: 'recent', present: true }, { type: 'uid', ranges: [[afterUid + 1, Number.MAX_SAFE_INTEGER]] }] });
    // A sync that lost a race with UNSELECT or another SELECT must not touch the new selection.
    if (this.selection !== selection) return;
    for (const uid of uids) this.recentUids.add(uid);
  }

  /** Sends what changed in the selected folder; `allowExpunge` false holds removals back. */
  async sync(allowExpunge: boolean): Promise<void> {
    const selection = this.selection;
    if (!selection) return;
    // Cleared before the read: a change committed while the read is under way marks the
    // session dirty again, so the next sync (or IDLE's next round) picks it up.
    this.dirty = false;
    let changes;
    try {
      changes = await this.store.flagChangesSince(selection.folder.id, selection.view.highestModseq);
    } catch (err) {
      if (!(err instanceof FolderError && err.code === 'not-found')) throw err;
      // Another session deleted the selected folder. IMAP has no way to say so but BYE (as
      // Dovecot does); otherwise every later command would fail.
      this.unselect();
      this.close('* BYE The selected folder was deleted.');
      return;
    }
    if (this.selection !== selection) return;
    const previousMax = selection.view.maxUid();
    const update = selection.view.apply(changes, allowExpunge);
    for (const uid of update.vanished) this.recentUids.delete(uid);
    this.announce(update);
    // New messages are recent in the first session to hear of them. EXISTS has gone out already:
    // taking \Recent is a write, and an IDLE push should not wait for it.
    if (selection.view.maxUid() > previousMax) await this.collectRecent(selection, previousMax);
    if (this.selection !== selection || this.rev2) return;
    // RFC 3501 §7.3.2: the count changes with arrivals and expunges; the client records it.
    // Counted only when the count can have moved: a walk of every recent UID (all of a fresh
    // folder's 100,000 messages) after every command otherwise.
    if (update.exists === null) return;
    const recent = this.recentCount();
    if (recent !== this.announcedRecent) {
      this.announcedRecent = recent;
      this.send(`* ${recent} RECENT`);
    }
  }

  announce(update: ViewUpdate): void {
    if (update.vanished.length > 0 && this.enabled.has('QRESYNC')) this.send(vanished(update.vanished, false));
    else for (const seq of update.expunged) this.send(`* ${seq} EXPUNGE`);
    if (update.keywordsAdded) this.sendMailboxFlags(false);
    if (update.exists !== null) this.send(`* ${update.exists} EXISTS`);
    const condstore = this.enabled.has('CONDSTORE') || this.enabled.has('QRESYNC');
    for (const f of update.flagChanges) {
      const extra = `${this.enabled.has('QRESYNC') ? ` UID ${f.uid}` : ''}${condstore ? ` MODSEQ (${f.modseq})` : ''}`;
      this.send(`* ${f.seq} FETCH (FLAGS ${flagList(this.shownFlags(f.uid, f.flags))}${extra})`);
    }
  }

  // ── IDLE (RFC 2177) ───────────────────────────────────────────────────────

  beginIdle(tag: string): void {
    const keepalive = setInterval(() => this.send('* OK Still here'), KEEPALIVE_MS);
    keepalive.unref();
    this.idle = { tag, unsubscribe: () => undefined, keepalive };
    this.send('+ idling');
    if (this.dirty) this.syncDuringIdle();
  }

  /**
   * One push at a time: changes that commit while a push is being read make the running loop go
   * round again, rather than starting reads that could overtake each other.
   */
  private syncDuringIdle(): void {
    if (this.idleSync) return;
    this.idleSync = (async () => {
      try {
        while (this.idle && this.dirty) await this.sync(true);
      } catch (err) {
        this.log.error({ err }, 'IDLE update failed');
      } finally {
        this.idleSync = null;
      }
    })();
  }

  private stopIdle(): void {
    if (!this.idle) return;
    clearInterval(this.idle.keepalive);
    this.idle.unsubscribe();
    this.idle = null;
  }

  // ── Input ─────────────────────────────────────────────────────────────────

  private async onItem(item: LineReaderItem): Promise<void> {
    if (item.type === 'overflow') {
      this.resetCommand();
      const tag = readTag(item.head);
      this.send(tag ? `${tag} BAD Command line too long.` : '* BAD Command line too long.');
      return;
    }
    if (this.idle) return this.onIdleLine(item);
    if (item.type === 'literal') {
      if (this.spooling) return this.spool(this.spooling, item.data, item.final);
      const last = this.segments[this.segments.length - 1];
      if (last) last.literal = item.data;
      return;
    }
    const line = item.data;
    const announced = literalAnnouncement(line);
    this.segments.push({ text: line });
    if (announced) return this.expectLiteral(announced.size, announced.nonSync, announced.binary);
    const segments = this.segments;
    this.segments = [];
    this.literalBytes = 0;
    this.literalBytesInMemory = 0;
    if (this.spoolFailure !== null) {
      const failure = this.spoolFailure;
      this.spoolFailure = null;
      this.discardLiterals();
      this.send(`${readTag(segments[0]!.text) ?? '*'} NO [UNAVAILABLE] ${failure}`);
      return;
    }
    this.running = true;
    try {
      const throttle = this.options.throttle;
      await (throttle ? throttle(() => this.execute(segments)) : this.execute(segments));
    } finally {
      this.running = false;
      this.discardLiterals();
    }
  }

  /** Drops the command being read, with any of its literals on disk. */
  private resetCommand(): void {
    this.spoolFailure = null;
    this.segments = [];
    this.literalBytes = 0;
    this.literalBytesInMemory = 0;
    this.discardLiterals();
  }

  private discardLiterals(): void {
    const spooling = this.spooling;
    this.spooling = null;
    spooling?.file.then((file) => file.remove(), () => undefined);
    for (const { file } of this.spooled.values()) file.remove();
    this.spooled.clear();
    this.spooledData.clear();
  }

  /** A piece of an APPEND literal that goes to disk; its segment gets the file once complete. */
  private async spool(spooling: NonNullable<ImapSession['spooling']>, data: Buffer, final: boolean): Promise<void> {
    if (spooling.failed) {
      // The rest of a literal that could not be written: read and dropped.
      if (final && this.spooling === spooling) this.spooling = null;
      return;
    }
    try {
      const file = await spooling.file;
      // The tokenizer cannot see these bytes, so the rule it applies to literals is kept here:
      // only literal8 may hold NUL (RFC 3516 §4.1).
      if (!spooling.binary && !spooling.nul && data.includes(0)) spooling.nul = true;
      await file.write(data);
      if (!final) return;
      await file.finish();
      if (this.spooling !== spooling) return file.remove();
      this.spooling = null;
      this.spooled.set(spooling.segment, { file, nul: spooling.nul });
    } catch (err) {
      if (this.spooling !== spooling) return;
      const full = (err as NodeJS.ErrnoException).code === 'ENOSPC' || (err as NodeJS.ErrnoException).code === 'EDQUOT';
      this.log.error({ err }, 'APPEND literal could not be written to the spool folder');
      spooling.failed = true;
      spooling.file.then((file) => file.remove(), () => undefined);
      if (final) this.spooling = null;
      this.spoolFailure = full
        ? 'The server is short of disk space; the message was not stored. Try again later.'
        : 'The message could not be received; try again later.';
    }
  }

  /**
   * The segments as the parser sees them: each literal on disk becomes an empty one (or a lone
   * NUL, when it held one without being literal8, so the parser refuses it as it would the
   * bytes), with its `{n}` rewritten to match. APPEND finds the file by that placeholder.
   */
  private parseable(segments: Segment[]): Segment[] {
    if (this.spooled.size === 0) return segments;
    return segments.map((segment) => {
      const spooled = this.spooled.get(segment);
      const marker = spooled && literalAnnouncement(segment.text);
      if (!spooled || !marker) return segment;
      const placeholder = spooled.nul ? Buffer.from([0]) : Buffer.alloc(0);
      this.spooledData.set(placeholder, spooled.file);
      const announcement = `${marker.binary ? '~' : ''}{${placeholder.length}${marker.nonSync ? '+' : ''}}`;
      return { text: Buffer.concat([segment.text.subarray(0, marker.offset), Buffer.from(announcement)]), literal: placeholder };
    });
  }

  /** An APPEND message's size, whether it is in memory or on disk. */
  literalSize(data: Buffer): number {
    return this.spooledData.get(data)?.size ?? data.length;
  }

  /** An APPEND message's bytes; one on disk is read back now, so only it is in memory. */
  async literalData(data: Buffer): Promise<Buffer> {
    const file = this.spooledData.get(data);
    return file ? file.read() : data;
  }

  /**
   * Bounds a literal before any of it is read: each message of an APPEND may have up to
   * APPENDLIMIT bytes (RFC 7889 limits messages, so MULTIAPPEND may carry several, up to
   * MULTIAPPEND_BYTES in all); ID up to its RFC 2971 maximum; any other command only
   * MaxCommandSize in all. A synchronizing
   * literal that is too big is refused before the client sends it; a non-synchronizing one
   * (LITERAL+) cannot be, so the connection ends.
   */
  private expectLiteral(size: number, nonSync: boolean, binary: boolean): void {
    const first = this.segments[0]!.text.toString('latin1');
    const isAppend = /^\S+\s+APPEND\s/i.test(first);
    const limit = isAppend ? this.options.appendLimit() : Math.max(this.settings().MaxCommandSize as number, commandLineLimit(this.segments[0]!.text));
    this.literalBytes += size;
    const tooBig = isAppend ? size > limit || this.literalBytes > Math.max(limit, MULTIAPPEND_BYTES) : this.literalBytes > limit;
    if (tooBig) {
      const tag = readTag(this.segments[0]!.text) ?? '*';
      this.resetCommand();
      if (nonSync) return this.close(`* BYE [TOOBIG] Literal of ${size} bytes is over the limit of ${limit}.`);
      const why = !isAppend ? 'Literal too large.'
        : size > limit ? `The message is larger than the ${limit}-byte APPENDLIMIT.`
        : `The messages of one APPEND may not exceed ${Math.max(limit, MULTIAPPEND_BYTES)} bytes in all.`;
      this.send(`${tag} NO [TOOBIG] ${why}`);
      return;
    }
    if (isAppend && this.literalBytesInMemory + size > IN_MEMORY_LITERAL_BYTES) {
      const file = SpooledLiteral.create(size);
      // Awaited by the first piece; a failure is handled there.
      file.catch(() => undefined);
      this.spooling = { segment: this.segments[this.segments.length - 1]!, file, binary, nul: false };
      this.conn.reader.expectLiteral(size, { chunked: true });
    } else {
      this.literalBytesInMemory += size;
      this.conn.reader.expectLiteral(size);
    }
    if (!nonSync) this.send('+ Ready for literal data');
  }

  private async onIdleLine(item: LineReaderItem): Promise<void> {
    const idle = this.idle!;
    this.stopIdle();
    // A push still being written goes out before the tagged reply: after it, no command is in
    // progress and an EXPUNGE could no longer be sent (RFC 3501 §7.4.1).
    if (this.idleSync) await this.idleSync;
    if (item.type === 'line' && item.data.toString('latin1').trim().toUpperCase() === 'DONE') {
      this.send(`${idle.tag} OK IDLE terminated.`);
    } else {
      this.send(`${idle.tag} BAD Expected DONE.`);
    }
  }

  private async execute(segments: Segment[]): Promise<void> {
    let command: Command;
    try {
      command = parseCommand(this.parseable(segments), { utf8: this.utf8 });
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      const tag = err.tag ?? readTag(segments) ?? '*';
      const code = err.code ? `[${err.code}] ` : '';
      await this.later;
      return this.send(`${tag} ${err.status} ${code}${err.message}`);
    }
    // Only a single-message APPEND may start while earlier APPENDs still wait for their commit;
    // anything else sees their results (and answers after them).
    const overlaps = command.command === 'APPEND' && command.args.messages.length === 1 && this.canFinishLater;
    if (!overlaps) await this.later;
    if (this.options.protocolLog?.enabled) {
      const size = segments.reduce((n, s) => n + s.text.length + 2 + (this.spooled.get(s)?.file.size ?? s.literal?.length ?? 0), 0);
      this.logEntry = { tag: command.tag, line: this.options.protocolLog.begin(command.command.toLowerCase(), logParameters(segments), size) };
    }
    const handler = COMMANDS.get(command.command);
    if (!handler) return this.send(`${command.tag} BAD Command received in Invalid state.`);
    if (!handler.states.includes(this.state)) {
      return this.send(`${command.tag} BAD ${command.command} is not valid ${this.state === 'selected' ? 'while a folder is selected' : 'before SELECT'}.`);
    }
    const timer = commandSeconds.startTimer({ protocol: 'imap', command: command.command });
    try {
      await handler.run(this, command as never);
    } catch (err) {
      // An APPEND refused before it was queued answers after the ones before it.
      if (overlaps) await this.later;
      await this.failed(command, err);
    } finally {
      timer();
    }
  }

  /** The tagged reply of a command that threw: NO or BAD for a CommandFailure, else a server error. */
  private async failed(command: Command, err: unknown): Promise<void> {
    if (err instanceof CommandFailure) {
      const handler = COMMANDS.get(command.command);
      await this.sync(!(handler?.usesSequenceNumbers && !command.uid)).catch(() => undefined);
      return this.send(`${command.tag} ${err.status} ${err.code ? `[${err.code}] ` : ''}${err.message}`);
    }
    this.log.error({ err, command: command.command }, 'IMAP command failed');
    return this.send(`${command.tag} NO [SERVERBUG] ${command.command} failed on the server; try again.`);
  }

  get canFinishLater(): boolean {
    return !this.options.protocolLog?.enabled && this.finishingLater < MAX_FINISHING_LATER && this.finishingLaterBytes < MAX_FINISHING_LATER_BYTES;
  }

  finishLater(command: Command, finish: () => Promise<void>, heldBytes: number): void {
    this.finishingLater++;
    this.finishingLaterBytes += heldBytes;
    this.later = this.later.then(async () => {
      try {
        await finish();
      } catch (err) {
        await this.failed(command, err);
      } finally {
        this.finishingLater--;
        this.finishingLaterBytes -= heldBytes;
      }
    });
  }

  appendTurn(): { after: Promise<unknown>; queued: () => void } {
    let queued!: () => void;
    const mine = new Promise<void>((resolve) => (queued = resolve));
    const turn = { after: this.lastAppendQueued, queued };
    this.lastAppendQueued = mine;
    return turn;
  }

  /** Sync, then the tagged OK; every command ends through here or a CommandFailure. */
  async complete(command: Command, text: string, code: string | null = null, usesSequenceNumbers = false): Promise<void> {
    await this.sync(!(usesSequenceNumbers && !command.uid));
    this.send(`${command.tag} OK ${code ? `[${code}] ` : ''}${text}`);
  }

  isIdling(): boolean {
    return this.idle !== null;
  }
}
