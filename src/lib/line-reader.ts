// Line-oriented protocol input (POP3, IMAP4, later SMTP and the back ends).
//
// LineReader is pure: bytes in, items out. It yields complete lines (CRLF or a bare LF, which
// some clients send despite RFC 3501 §2.2 / RFC 1939 §3), literals of a size announced by the
// caller (IMAP `{n}`), and an "overflow" item when a line is longer than allowed. An over-long
// line is dropped as soon as next() sees it and its tail is discarded as it arrives, so while a
// consumer keeps calling next() the reader holds at most maxLineLength + 1 bytes of a partial
// line (or the longer limit `lineLimit` gives that line) plus the last chunk pushed (or the
// literal the consumer asked for).
//
// LineConnection drives a LineReader over a socket: it hands items to an async handler one at a
// time (so pipelined commands run in order), stops reading while the handler is behind, keeps an
// idle timer that only complete commands restart and an optional absolute deadline, and performs
// the STARTTLS/STLS upgrade.

import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';

const LF = 0x0a;
const CR = 0x0d;
/** Bytes of an over-long line kept for the caller, e.g. to recover an IMAP tag. */
const OVERFLOW_HEAD_BYTES = 64;

export type LineReaderItem =
  /** A line without its CRLF or LF. */
  | { type: 'line'; data: Buffer }
  /** Literal bytes; `final` is false only for the pieces of a chunked literal but its last. */
  | { type: 'literal'; data: Buffer; final: boolean }
  /**
   * A line longer than maxLineLength began. `head` holds its first bytes; everything else up to
   * and including the next LF is discarded without being buffered.
   */
  | { type: 'overflow'; head: Buffer };

export interface LiteralOptions {
  /** Deliver the literal as it arrives instead of in one piece (large IMAP APPENDs). */
  chunked?: boolean;
}

export interface LineReaderOptions {
  maxLineLength: number;
  /**
   * The limit of a line that has outgrown maxLineLength, judged by its first bytes: a command
   * whose own grammar bounds it higher (IMAP ID, RFC 2971 §3.3) may have more. Never below
   * maxLineLength.
   */
  lineLimit?: (head: Buffer) => number;
}

export class LineReader {
  /** Longest line accepted, terminator excluded. May be changed between items (live settings). */
  maxLineLength: number;
  private readonly lineLimit: ((head: Buffer) => number) | undefined;
  private pending: Buffer = Buffer.alloc(0);
  // Bytes of `pending` already searched for LF, so a line trickling in byte by byte is not
  // rescanned from the start each time.
  private scanned = 0;
  private discarding = false;
  private literal: { remaining: number; chunked: boolean } | null = null;

  constructor(options: LineReaderOptions) {
    this.maxLineLength = options.maxLineLength;
    this.lineLimit = options.lineLimit;
  }

  /** Bytes held and not yet returned. */
  get buffered(): number {
    return this.pending.length;
  }

  /** True while a literal announced with expectLiteral() is still being read. */
  get inLiteral(): boolean {
    return this.literal !== null;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.discarding) {
      // The tail of an over-long line: drop it here so it is never buffered.
      const lf = chunk.indexOf(LF);
      if (lf < 0) return;
      this.discarding = false;
      chunk = chunk.subarray(lf + 1);
    }
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
  }

  /** The next bytes after the current line are a literal of `size` octets (RFC 3501 §4.3). */
  expectLiteral(size: number, options: LiteralOptions = {}): void {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid literal size ${size}`);
    if (this.literal) throw new Error('a literal is already being read');
    this.literal = { remaining: size, chunked: options.chunked === true };
  }

  /** The next complete item, or null until more bytes arrive. */
  next(): LineReaderItem | null {
    return this.literal ? this.nextLiteral(this.literal) : this.nextLine();
  }

  /**
   * Removes and returns everything buffered: STARTTLS discards it (bytes sent before the TLS
   * handshake must never count as protected commands), a back-end handoff takes it over.
   */
  takeBuffered(): Buffer {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    this.scanned = 0;
    this.discarding = false;
    this.literal = null;
    return rest;
  }

  private nextLiteral(literal: { remaining: number; chunked: boolean }): LineReaderItem | null {
    const available = Math.min(literal.remaining, this.pending.length);
    if (literal.remaining > 0 && (available === 0 || (!literal.chunked && available < literal.remaining))) return null;
    const data = this.take(available);
    literal.remaining -= available;
    const final = literal.remaining === 0;
    if (final) this.literal = null;
    return { type: 'literal', data, final };
  }

  private nextLine(): LineReaderItem | null {
    const lf = this.pending.indexOf(LF, this.scanned);
    if (lf < 0) {
      this.scanned = this.pending.length;
      // The limit + 1 allows for the CR of a line of exactly the limit's length.
      if (this.pending.length <= this.maxLineLength + 1 || this.pending.length <= this.limitOf(this.pending) + 1) return null;
      const head = Buffer.from(this.pending.subarray(0, this.headLength()));
      this.take(this.pending.length);
      this.discarding = true;
      return { type: 'overflow', head };
    }
    const raw = this.take(lf + 1);
    const end = raw.length >= 2 && raw[raw.length - 2] === CR ? raw.length - 2 : raw.length - 1;
    if (end > this.maxLineLength && end > this.limitOf(raw)) return { type: 'overflow', head: Buffer.from(raw.subarray(0, this.headLength())) };
    return { type: 'line', data: raw.subarray(0, end) };
  }

  /** The limit of the line that `line` starts with; asked only once it is over maxLineLength. */
  private limitOf(line: Buffer): number {
    return this.lineLimit ? Math.max(this.maxLineLength, this.lineLimit(line.subarray(0, OVERFLOW_HEAD_BYTES))) : this.maxLineLength;
  }

  /** The same whatever the chunking: an over-long line always has more than this. */
  private headLength(): number {
    return Math.min(OVERFLOW_HEAD_BYTES, this.maxLineLength + 1);
  }

  private take(n: number): Buffer {
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    this.scanned = 0;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// LineConnection
// ---------------------------------------------------------------------------------------------

export interface LineConnectionHandler {
  /** One item at a time: the next is not delivered before the returned promise settles. */
  onItem(item: LineReaderItem): void | Promise<void>;
  /**
   * No complete line or literal arrived for idleTimeoutMs(). Bytes of a line that never ends do
   * not count: a client dripping one byte at a time is as idle as a silent one.
   */
  onIdle(): void;
  /** onItem threw; the connection stays open unless the handler closes it. */
  onError(err: unknown): void;
  /** deadlineMs passed; without this handler onIdle is called. */
  onDeadline?(): void;
}

export interface LineConnectionOptions {
  maxLineLength: number;
  /** See LineReaderOptions.lineLimit. */
  lineLimit?: (head: Buffer) => number;
  /** True when the socket is already TLS (implicit-TLS port). */
  tls: boolean;
  /** Read each time the timer is armed, so a settings change applies to the next wait. */
  idleTimeoutMs: () => number;
  /** Stop reading from the socket when this much input waits (backpressure). */
  highWaterMark?: number;
  /**
   * An absolute limit counted from start() that no traffic extends (the logon phase), ended by
   * detach(). If it passes while a command runs, onDeadline is called when the command is done.
   */
  deadlineMs?: number;
}

/** What a back end receives when it takes over a connection. */
export interface DetachedConnection {
  socket: Socket;
  tls: boolean;
  /** Bytes the client pipelined after the command that caused the handoff. */
  pending: Buffer;
}

// After end(), a client that neither reads nor closes is cut off after this long.
const CLOSE_GRACE_MS = 5_000;

export class LineConnection {
  readonly reader: LineReader;
  private current: Socket;
  private secure: boolean;
  private handler: LineConnectionHandler | null = null;
  private busy = false;
  private ended = false;
  private detached = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** The deadline passed while a command was running. */
  private deadlinePassed = false;
  private readonly highWaterMark: number;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onError = () => this.current.destroy();
  private readonly onClose = () => this.markClosed();

  constructor(socket: Socket, private readonly options: LineConnectionOptions) {
    this.current = socket;
    this.secure = options.tls;
    this.reader = new LineReader({ maxLineLength: options.maxLineLength, lineLimit: options.lineLimit });
    this.highWaterMark = options.highWaterMark ?? Math.max(64 * 1024, 2 * options.maxLineLength);
  }

  get socket(): Socket {
    return this.current;
  }

  get tls(): boolean {
    return this.secure;
  }

  get closed(): boolean {
    return this.ended || this.detached;
  }

  start(handler: LineConnectionHandler): void {
    this.handler = handler;
    this.attach(this.current);
    this.armIdle();
    if (this.options.deadlineMs !== undefined) {
      this.deadlineTimer = setTimeout(() => this.deadlineReached(), this.options.deadlineMs);
      this.deadlineTimer.unref();
    }
  }

  write(text: string): void {
    if (this.closed || this.current.destroyed) return;
    this.current.write(text);
  }

  /** Sends `text` (if any), then closes; a client that does not close in turn is cut off. */
  close(text?: string): void {
    if (this.closed) return;
    this.markClosed();
    const socket = this.current;
    if (socket.destroyed) return;
    if (text !== undefined) socket.end(text);
    else socket.end();
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /**
   * The STARTTLS/STLS upgrade, after the caller decided to accept it. `okLine` is the last
   * plain-text reply. Everything the client sent after the command is thrown away (RFC 3207
   * §4.2's rule, the CVE-2011-0411 class of injection): bytes already buffered are dropped here,
   * and bytes still in flight reach the TLS engine, where they can only break the handshake.
   */
  async startTls(okLine: string, secureContext: SecureContext): Promise<void> {
    const raw = this.current;
    this.reader.takeBuffered();
    raw.removeListener('data', this.onData);
    raw.pause();
    // Wait until the reply has left, so it cannot end up behind the TLS handshake.
    await new Promise<void>((resolve) => raw.write(okLine, () => resolve()));
    if (this.closed || raw.destroyed) return;
    const tls = new TLSSocket(raw, { isServer: true, secureContext });
    // A failed handshake must take the TCP connection down with it.
    tls.on('error', () => raw.destroy());
    this.current = tls;
    this.secure = true;
    this.attach(tls);
  }

  /**
   * Puts a transform between the connection and its socket (IMAP COMPRESS=DEFLATE, RFC 4978):
   * `okLine` leaves uncompressed, then everything in both directions goes through `wrap`.
   * Bytes already buffered came after the command, so they are the transform's input too
   * (RFC 4978 §3: the client compresses from the CRLF of its COMPRESS command on).
   */
  async layer(okLine: string, wrap: (socket: Socket) => Socket): Promise<void> {
    const raw = this.current;
    raw.removeListener('data', this.onData);
    raw.removeListener('error', this.onError);
    raw.removeListener('close', this.onClose);
    raw.pause();
    const early = this.reader.takeBuffered();
    await new Promise<void>((resolve) => raw.write(okLine, () => resolve()));
    if (this.closed || raw.destroyed) return;
    if (early.length > 0) raw.unshift(early);
    this.current = wrap(raw);
    this.attach(this.current);
  }

  /** Stops reading and hands the socket over (back-end sessions); this object is then inert. */
  detach(): DetachedConnection {
    const socket = this.current;
    this.detached = true;
    this.clearIdle();
    this.clearDeadline();
    socket.removeListener('data', this.onData);
    socket.removeListener('error', this.onError);
    socket.removeListener('close', this.onClose);
    socket.pause();
    return { socket, tls: this.secure, pending: this.reader.takeBuffered() };
  }

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.resume();
  }

  private markClosed(): void {
    this.ended = true;
    this.clearIdle();
    this.clearDeadline();
  }

  private receive(chunk: Buffer): void {
    this.reader.push(chunk);
    // Only a handler that is behind makes input pile up; when it is idle the reader holds at
    // most one partial line or the literal the handler asked for.
    if (this.busy && this.reader.buffered > this.highWaterMark) this.current.pause();
    // The handler's own error path failing leaves nothing sensible to say to the client.
    this.pump().catch(() => this.current.destroy());
  }

  /** Hands buffered items to the handler in order, one at a time. */
  private async pump(): Promise<void> {
    if (this.busy || !this.handler) return;
    this.busy = true;
    try {
      while (!this.closed) {
        const item = this.reader.next();
        if (!item) break;
        // Only a complete line or literal is activity; it stops the idle clock while it is
        // answered, and the clock starts again from zero afterwards. The pieces of a chunked
        // literal and an over-long line leave it running.
        const complete = item.type === 'line' || (item.type === 'literal' && item.final);
        if (complete) this.clearIdle();
        try {
          await this.handler.onItem(item);
        } catch (err) {
          this.handler.onError(err);
        }
        // A client that pipelines commands without reading the answers must not make the
        // replies pile up in memory: wait until it has read them.
        if (this.current.writableNeedDrain) await this.drained();
        if (this.deadlinePassed && !this.closed) {
          this.deadlinePassed = false;
          this.expire();
        }
      }
    } finally {
      this.busy = false;
    }
    if (this.closed) return;
    if (this.idleTimer === undefined) this.armIdle();
    if (this.current.isPaused()) this.current.resume();
  }

  /** Resolves once the socket's output buffer has drained; a client that stalls is dropped. */
  private drained(): Promise<void> {
    const socket = this.current;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        socket.removeListener('drain', done);
        socket.removeListener('close', done);
        resolve();
      };
      const timer = setTimeout(() => {
        socket.destroy();
        done();
      }, this.options.idleTimeoutMs());
      socket.once('drain', done);
      socket.once('close', done);
    });
  }

  private armIdle(): void {
    this.clearIdle();
    if (this.closed) return;
    // The clock is stopped while a complete command is answered, so when it runs out the
    // handler is at most busy with bytes of an unfinished one.
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.closed) this.handler?.onIdle();
    }, this.options.idleTimeoutMs());
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private deadlineReached(): void {
    this.deadlineTimer = undefined;
    if (this.closed) return;
    // A command under way (a logon being checked) finishes first; pump() calls expire() then.
    if (this.busy) this.deadlinePassed = true;
    else this.expire();
  }

  private expire(): void {
    const handler = this.handler;
    if (!handler) return;
    if (handler.onDeadline) handler.onDeadline();
    else handler.onIdle();
  }

  private clearDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }
}
