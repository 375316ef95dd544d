// A minimal IMAP client on raw sockets, for load. One command at a time per connection (as mail
// clients do), parsed as the bytes arrive: responses are split at CRLF, literals ({n}) are
// skipped by count rather than kept, so a FETCH of message bodies costs the client little more
// than reading the socket. A general IMAP library spends more per command than the servers do
// and would measure itself.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface Reply {
  status: 'OK' | 'NO' | 'BAD';
  /** The tagged line without the tag. */
  text: string;
  /** Untagged responses, literals replaced by their size ("{n}"). */
  untagged: string[];
  /** Bytes of literal data received with the reply (message bodies). */
  literalBytes: number;
  /** performance.now() when the bytes holding the tagged line arrived. */
  at: number;
}

export interface ConnectOptions {
  port: number;
  tls: boolean;
  /** Connect, TLS handshake and greeting. */
  timeoutMs?: number;
}

const CRLF = Buffer.from('\r\n');
const LITERAL_AT_END = /\{(\d+)\+?\}$/;

interface Pending {
  tag: string;
  reply: Reply;
  resolve(reply: Reply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | null;
}

export class ImapClient {
  private buffer: Buffer | null = null;
  /** Where the search for the next CRLF resumes, so a slowly arriving line is not rescanned. */
  private scanFrom = 0;
  /** Bytes of a literal still to skip, and the response text before it. */
  private literalLeft = 0;
  private partial = '';
  private nextTag = 1;
  private pending: Pending | null = null;
  private continuation: { resolve(): void; reject(err: Error): void } | null = null;
  private failure: Error | null = null;
  /** Sees every untagged response as it is parsed (IDLE pushes), with the time it arrived. */
  onUntagged: ((line: string, at: number) => void) | null = null;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.feed(chunk));
    const fail = (err?: Error) => this.fail(err ?? new Error('connection closed'));
    socket.on('close', () => fail());
    socket.on('error', fail);
  }

  /** Connects and reads the greeting. */
  static async connect(options: ConnectOptions): Promise<ImapClient> {
    const socket = options.tls
      ? tlsConnect({ host: '127.0.0.1', port: options.port, rejectUnauthorized: false })
      : netConnect({ host: '127.0.0.1', port: options.port });
    socket.setNoDelay(true);
    const client = new ImapClient(socket);
    // The greeting is the first response: wait for it as if a command were pending with tag "*".
    const greeting = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error('no greeting in time'));
        socket.destroy();
      }, options.timeoutMs ?? 30_000);
      const previous = client.onUntagged;
      client.onUntagged = (line) => {
        client.onUntagged = previous;
        clearTimeout(timer);
        if (line.startsWith('OK')) resolve(line);
        else reject(new Error(`greeting: ${line}`));
      };
      socket.once('close', () => (clearTimeout(timer), reject(client.failure ?? new Error('closed before the greeting'))));
    });
    await greeting;
    return client;
  }

  get closed(): boolean {
    return this.failure !== null;
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    const pending = this.pending;
    this.pending = null;
    if (pending) {
      if (pending.timer) clearTimeout(pending.timer);
      pending.reject(err);
    }
    this.continuation?.reject(err);
    this.continuation = null;
  }

  private feed(chunk: Buffer): void {
    const at = performance.now();
    let buf = this.buffer && this.buffer.length > 0 ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      if (this.literalLeft > 0) {
        const n = Math.min(this.literalLeft, buf.length);
        this.literalLeft -= n;
        if (this.pending) this.pending.reply.literalBytes += n;
        buf = buf.subarray(n);
        if (this.literalLeft > 0) break;
        continue;
      }
      const end = buf.indexOf(CRLF, this.scanFrom);
      if (end < 0) {
        this.scanFrom = Math.max(0, buf.length - 1);
        break;
      }
      const line = buf.toString('latin1', 0, end);
      buf = buf.subarray(end + 2);
      this.scanFrom = 0;
      const literal = LITERAL_AT_END.exec(line);
      if (literal) {
        // The response goes on after the literal's bytes.
        this.partial += line;
        this.literalLeft = Number(literal[1]);
        continue;
      }
      const response = this.partial + line;
      this.partial = '';
      this.dispatch(response, at);
    }
    this.buffer = buf.length > 0 ? Buffer.from(buf) : null;
  }

  private dispatch(response: string, at: number): void {
    if (response.startsWith('* ')) {
      const untagged = response.slice(2);
      this.pending?.reply.untagged.push(untagged);
      this.onUntagged?.(untagged, at);
      return;
    }
    if (response.startsWith('+')) {
      const waiting = this.continuation;
      this.continuation = null;
      waiting?.resolve();
      return;
    }
    const pending = this.pending;
    if (!pending || !response.startsWith(`${pending.tag} `)) return; // nothing else is expected
    this.pending = null;
    if (pending.timer) clearTimeout(pending.timer);
    const rest = response.slice(pending.tag.length + 1);
    const space = rest.indexOf(' ');
    pending.reply.status = (space < 0 ? rest : rest.slice(0, space)) as Reply['status'];
    pending.reply.text = rest;
    pending.reply.at = at;
    pending.resolve(pending.reply);
  }

  /**
   * Sends one command (with an optional LITERAL+ literal appended after `{n+}`) and resolves
   * with its tagged reply. `timeoutMs` 0 waits without a timer (IDLE, which ends with DONE).
   */
  command(line: string, options: { literal?: Buffer; timeoutMs?: number } = {}): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('a command is already running'));
    const tag = `a${this.nextTag++}`;
    return new Promise<Reply>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 60_000;
      const timer = timeoutMs > 0
        ? setTimeout(() => {
          this.fail(new Error(`${line.split(' ')[0]}: no reply in ${timeoutMs} ms`));
          this.socket.destroy();
        }, timeoutMs)
        : null;
      this.pending = { tag, reply: { status: 'BAD', text: '', untagged: [], literalBytes: 0, at: 0 }, resolve, reject, timer };
      if (options.literal) {
        this.socket.write(`${tag} ${line}{${options.literal.length}+}\r\n`);
        this.socket.write(options.literal);
        this.socket.write('\r\n');
      } else {
        this.socket.write(`${tag} ${line}\r\n`);
      }
    });
  }

  /** A command that must succeed. */
  async ok(line: string, options?: { literal?: Buffer; timeoutMs?: number }): Promise<Reply> {
    const reply = await this.command(line, options);
    if (reply.status !== 'OK') throw new Error(`${line.slice(0, 40)}: ${reply.text}`);
    return reply;
  }

  /** Starts IDLE and resolves at the server's continuation; `done()` ends it. */
  async idle(timeoutMs = 60_000): Promise<void> {
    const continued = new Promise<void>((resolve, reject) => (this.continuation = { resolve, reject }));
    const finished = this.command('IDLE', { timeoutMs: 0 });
    finished.catch(() => undefined); // failures surface through done() or the continuation
    this.idleReply = finished;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      continued,
      finished.then((r) => Promise.reject(new Error(`IDLE: ${r.text}`))),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('IDLE: no continuation in time')), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
  }

  private idleReply: Promise<Reply> | null = null;

  async done(): Promise<Reply> {
    const reply = this.idleReply;
    if (!reply) throw new Error('not idling');
    this.idleReply = null;
    this.socket.write('DONE\r\n');
    return reply;
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** LOGOUT, then close whatever the server does. */
  async logout(): Promise<void> {
    try {
      await this.command('LOGOUT', { timeoutMs: 10_000 });
    } finally {
      this.socket.destroy();
    }
  }
}

/** An IMAP quoted string. */
export const quoted = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** `* n EXISTS` → n, else null. */
export function existsCount(untagged: string): number | null {
  const m = /^(\d+) EXISTS$/i.exec(untagged);
  return m ? Number(m[1]) : null;
}
