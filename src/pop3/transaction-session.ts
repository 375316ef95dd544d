// A POP3 session after logon (RFC 1939 §5–6): the TRANSACTION state over the Inbox snapshot in
// a Maildrop, then the UPDATE state after QUIT. The back end creates it with the mailbox
// already locked for this session; the lock is released once, when UPDATE is done or the
// connection ends, whichever comes first.
//
// Nothing is removed from the mailbox except in UPDATE: a connection that drops, times out or
// is cut by a service stop leaves every message where it was (§6: "the POP3 server ... MUST
// NOT enter the UPDATE state" unless QUIT was received).

import type { Socket } from 'node:net';
import { loginTypeOf, type BackendSession } from '../auth/session-logon.ts';
import type { SettingsDocument } from '../config/model.ts';
import { LineConnection, type DetachedConnection, type LineReaderItem } from '../lib/line-reader.ts';
import type { Logger } from '../lib/log.ts';
import { REDACTED, type ProtocolLogEntry, type ProtocolLogSession } from '../lib/protocol-log.ts';
import type { MailStore } from '../store/types.ts';
import { capabilities } from './capabilities.ts';
import { COMMANDS, type TransactionContext } from './commands/index.ts';
import type { Maildrop, MaildropMessage } from './maildrop.ts';
import { DotStuffer, TopCutter } from './message-stream.ts';
import { parseCommand, type ParsedCommand, type PopState } from './protocol.ts';
import { commandSeconds } from '../lib/metrics.ts';
import { renditions } from '../mime/rendition-cache.ts';

/** Bytes read from the store per step of RETR/TOP: big enough for few round trips, small enough to bound memory. */
const CHUNK_BYTES = 256 * 1024;

export const LOGGED_ON = '+OK User successfully logged on.';
export const SIGN_OFF = '+OK Mailroom POP3 server signing off.';
const UPDATE_FAILED = '-ERR [SYS/TEMP] Some deleted messages were not removed; they are still in the mailbox.';
const TEMPORARY_FAILURE = '-ERR [SYS/TEMP] Temporary server error; try again later.';

export interface TransactionSessionOptions {
  store: MailStore;
  inboxId: number;
  maildrop: Maildrop;
  /** The live PopSettings: read per command. */
  settings: () => SettingsDocument;
  log: Logger;
  /** Who is logged on to which mailbox, for logs. */
  label: string;
  protocolLog?: ProtocolLogSession;
  /**
   * Runs each command under the user's budget (throttling policy): it may wait before the command
   * runs, and is charged the time the command took.
   */
  throttle?: <T>(command: () => Promise<T>) => Promise<T>;
  /** Gives the mailbox back; called exactly once. */
  release: () => void;
}

/** The client went away while a reply was being streamed: the command just stops. */
class ConnectionGone extends Error {}

export class PopTransactionSession implements BackendSession, TransactionContext {
  private conn: LineConnection | null = null;
  private state: PopState = 'TRANSACTION';
  private tls = false;
  private released = false;
  private closeReason = 'connection closed by client';
  /** The protocol log line of the command being run. */
  private entry: ProtocolLogEntry | null = null;
  /** Messages sent whole by RETR: marked \Seen in UPDATE, as IMAP clients expect of read mail. */
  private readonly retrieved = new Set<number>();

  constructor(private readonly options: TransactionSessionOptions) {}

  get maildrop(): Maildrop {
    return this.options.maildrop;
  }

  start(connection: DetachedConnection): void {
    const { socket, tls, pending } = connection;
    this.tls = tls;
    // The client may have left while the mailbox was being opened.
    if (socket.destroyed) return this.ended();
    // Commands pipelined after the logon command are read first, in order.
    if (pending.length > 0) socket.unshift(pending);
    const conn = new LineConnection(socket, {
      maxLineLength: this.maxCommandSize(),
      tls,
      idleTimeoutMs: () => Math.max(1, Number(this.options.settings().AuthenticatedConnectionTimeout) * 1000),
    });
    this.conn = conn;
    socket.once('close', () => this.ended());
    // This answers the logon command, whose log line the front end left open for us.
    this.entry = this.options.protocolLog?.current ?? null;
    this.reply(LOGGED_ON);
    this.entry?.finish();
    this.entry = null;
    conn.start({
      onItem: (item) => this.onItem(item),
      // RFC 1939 §3: the autologout timer closes the connection without a reply and without
      // entering UPDATE.
      onIdle: () => this.close('AuthenticatedConnectionTimeout'),
      onError: (err) => {
        this.options.log.error({ err, session: this.options.label }, 'POP3 command failed');
        this.reply(TEMPORARY_FAILURE);
      },
    });
  }

  /** Ends the session without UPDATE (service stopping). */
  stop(reason: string): void {
    this.closeReason = reason;
    this.conn?.socket.destroy();
  }

  // --- TransactionContext -------------------------------------------------------------------

  reply(line: string): void {
    this.send(`${line}\r\n`);
  }

  replyLines(status: string, lines: Iterable<string>): void {
    let text = `${status}\r\n`;
    for (const line of lines) text += `${line}\r\n`;
    this.send(`${text}.\r\n`);
  }

  capabilities(): string[] {
    return capabilities(loginTypeOf(this.options.settings()), this.tls);
  }

  async sendMessage(status: string, message: MaildropMessage, bodyLines?: number): Promise<void> {
    const stuffer = new DotStuffer();
    const cutter = bodyLines === undefined ? null : new TopCutter(bodyLines);
    const statusLine = `${status}\r\n`;
    this.entry?.addResponse(statusLine);
    // The status line goes out with the first piece of the message: one write for most messages.
    let head: Buffer | null = Buffer.from(statusLine);
    // A converted message (MessageRetrievalMimeFormat) is made whole, then sent in the same chunks.
    let converted: Buffer | null = null;
    try {
      for (let start = 0; start < message.size && !cutter?.done; start += CHUNK_BYTES) {
        const end = Math.min(message.size, start + CHUNK_BYTES);
        let chunk: Buffer;
        try {
          if (message.format !== 'BestBodyFormat') {
            converted ??= await renditions.render(message.blobId, message.format, () => this.options.store.readBlob(message.blobId));
            chunk = converted.subarray(start, end);
          } else {
            chunk = await this.options.store.readBlob(message.blobId, { start, end });
          }
        } catch (err) {
          // Before the first byte the client can still be told; after it, only cutting the
          // connection keeps it from taking a partial message for a whole one.
          this.options.log.error({ err, session: this.options.label, uid: message.uid }, 'reading a message failed');
          if (head) return this.reply(TEMPORARY_FAILURE);
          this.conn?.socket.destroy();
          throw new ConnectionGone();
        }
        const body = stuffer.push(cutter ? cutter.take(chunk) : chunk);
        const tail = end >= message.size || cutter?.done === true ? stuffer.finish() : null;
        this.entry?.addResponse(body.length + (tail?.length ?? 0));
        await this.write([head, body, tail]);
        head = null;
      }
      // An empty message never entered the loop: status line and terminator only.
      if (head) {
        const tail = stuffer.finish();
        this.entry?.addResponse(tail.length);
        await this.write([head, tail]);
      }
    } catch (err) {
      if (err instanceof ConnectionGone) return;
      throw err;
    }
    if (!cutter) this.retrieved.add(message.uid);
  }

  async quit(): Promise<void> {
    this.state = 'UPDATE';
    const { store, inboxId, maildrop } = this.options;
    const deleted = maildrop.deletedUids();
    const seen = [...this.retrieved].filter((uid) => !deleted.includes(uid));
    let ok = true;
    try {
      if (seen.length > 0) await store.storeFlags(inboxId, seen, 'add', ['\\Seen']);
      // Into Recoverable Items, from where an admin can bring them back for DeletedItemRetention.
      if (deleted.length > 0) await store.expunge(inboxId, deleted, 'pop3');
    } catch (err) {
      ok = false;
      this.options.log.error({ err, session: this.options.label }, 'POP3 UPDATE failed');
    }
    this.release();
    const text = `${ok ? SIGN_OFF : UPDATE_FAILED}\r\n`;
    this.entry?.addResponse(text);
    this.closeReason = ok ? `quit; ${deleted.length} deleted` : 'quit; update failed';
    this.conn?.close(text);
  }

  // --- Command loop -------------------------------------------------------------------------

  private maxCommandSize(): number {
    return Number(this.options.settings().MaxCommandSize);
  }

  private async onItem(item: LineReaderItem): Promise<void> {
    const conn = this.conn!;
    conn.reader.maxLineLength = this.maxCommandSize();
    if (item.type === 'overflow') {
      const entry = this.options.protocolLog?.begin('overlong');
      this.entry = entry ?? null;
      this.reply('-ERR Command line too long.');
      entry?.finish();
      this.entry = null;
      return;
    }
    if (item.type !== 'line') return; // POP3 has no literals
    const parsed = parseCommand(item.data);
    const entry = this.options.protocolLog?.begin(...logFields(parsed.ok ? parsed.command : null), item.data.length + 2);
    this.entry = entry ?? null;
    try {
      if (!parsed.ok) return this.reply(parsed.error === 'unknown' ? '-ERR Unknown command.' : `-ERR ${parsed.message}`);
      const { throttle } = this.options;
      const command = parsed.command;
      await (throttle ? throttle(() => this.run(command)) : this.run(command));
    } finally {
      entry?.finish();
      this.entry = null;
    }
  }

  private async run(command: ParsedCommand): Promise<void> {
    const handler = COMMANDS.get(command.name);
    // USER, PASS, AUTH, STLS and UTF8 are AUTHORIZATION commands (RFC 1939, 2595, 6856).
    if (!handler || !handler.states.includes(this.state) || !('args' in command)) {
      return this.reply('-ERR Command is not valid in this state.');
    }
    const timer = commandSeconds.startTimer({ protocol: 'pop', command: command.name });
    try {
      await handler.run(this, command.args);
    } finally {
      timer();
    }
  }

  // --- Output -------------------------------------------------------------------------------

  private send(text: string): void {
    this.entry?.addResponse(text);
    this.conn?.write(text);
  }

  /**
   * Writes pieces of an answer as one (corked, so they leave in a single writev rather than a
   * copy or a syscall each), then waits while the client is slow to read them (backpressure).
   */
  private async write(pieces: (Buffer | null)[]): Promise<void> {
    const socket = this.conn?.socket;
    if (!socket || socket.destroyed || this.conn?.closed) throw new ConnectionGone();
    socket.cork();
    let flowing = true;
    for (const piece of pieces) if (piece && piece.length > 0) flowing = socket.write(piece);
    socket.uncork();
    if (!flowing) await drained(socket, Number(this.options.settings().AuthenticatedConnectionTimeout) * 1000);
  }

  private close(reason: string): void {
    this.closeReason = reason;
    this.conn?.close();
  }

  // --- The end ------------------------------------------------------------------------------

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.options.release();
  }

  private ended(): void {
    this.release();
    this.options.protocolLog?.close(this.closeReason);
  }
}

/** The command and parameters for the protocol log: numbers as sent, never any text argument. */
function logFields(command: ParsedCommand | null): [string, string] {
  if (!command) return ['unknown', ''];
  const name = command.name.toLowerCase();
  if ('args' in command) return [name, command.args.join(' ')];
  return [name, command.text === null ? '' : REDACTED];
}

/** Resolves once the socket can take more, rejects if it closes; a client that stalls is cut off. */
function drained(socket: Socket, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new ConnectionGone());
    const timer = setTimeout(() => {
      socket.destroy();
      done(new ConnectionGone());
    }, Math.max(1000, timeoutMs));
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}
