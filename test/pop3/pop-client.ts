// A POP3 client for tests: raw lines over a real socket (plain, STLS or implicit TLS), multi-line
// answers with the dots removed byte for byte, and C:/S: transcripts with "*" wildcards.
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { SocketTestClient } from '../support/socket-client.ts';

export interface ConnectOptions {
  port: number;
  tls?: boolean;
  /** A 127.0.0.x address of its own, so the failed-logon throttle sees each test apart. */
  localAddress?: string;
}

export class PopClient extends SocketTestClient {
  /** Received bytes not yet returned, as latin1 text (one char per byte, so nothing is lost). */
  private text = '';
  /** While a multi-line answer is read, data goes here instead of into `text`. */
  private sink: ((chunk: Buffer) => void) | null = null;

  private constructor(socket: Socket) {
    super(socket);
  }

  protected received(chunk: Buffer): void {
    if (this.sink) this.sink(chunk);
    else this.text += chunk.toString('latin1');
  }

  protected unread(): string {
    return this.text;
  }

  static async connect(options: ConnectOptions): Promise<PopClient> {
    const base = { host: '127.0.0.1', port: options.port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) };
    const socket = options.tls ? tlsConnect({ ...base, rejectUnauthorized: false }) : netConnect(base);
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new PopClient(socket);
  }

  /** The next line, without its CRLF. */
  async line(timeoutMs = 10_000): Promise<string> {
    await this.waitFor(() => this.text.includes('\r\n'), timeoutMs);
    const at = this.text.indexOf('\r\n');
    const line = this.text.slice(0, at);
    this.text = this.text.slice(at + 2);
    return line;
  }

  send(line: string): void {
    this.socket.write(Buffer.from(`${line}\r\n`, 'latin1'));
  }

  async command(line: string): Promise<string> {
    this.send(line);
    return this.line();
  }

  /** A multi-line answer's status line and lines (dots removed), up to the terminator. */
  async multiline(line: string): Promise<string[]> {
    this.send(line);
    const status = await this.line();
    if (!status.startsWith('+OK')) return [status];
    const body = await this.readBody();
    const lines = body.length === 0 ? [] : body.toString('latin1').replace(/\r\n$/, '').split('\r\n');
    return [status, ...lines];
  }

  /**
   * The data of a multi-line answer after its status line, un-stuffed exactly as RFC 1939 §3
   * says: CRLF "." CRLF ends it, and a leading "." of a line is dropped. Large answers are
   * collected as buffers and searched once, so a 20 MB message costs what it should.
   */
  async readBody(timeoutMs = 60_000): Promise<Buffer> {
    const TERMINATOR = Buffer.from('\r\n.\r\n');
    // Searching "CRLF + data" finds the terminator at the very start (an empty answer) too.
    let tail = Buffer.from('\r\n');
    let searched = 2; // bytes of "CRLF + data" already searched
    const pieces: Buffer[] = [];
    const body = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error('timed out reading a multi-line answer')), timeoutMs);
      const done = (err: Error | null, result?: Buffer) => {
        clearTimeout(timer);
        this.sink = null;
        this.socket.off('close', onClose);
        if (err) reject(err);
        else resolve(result!);
      };
      const onClose = () => done(new Error('connection closed in a multi-line answer'));
      const feed = (chunk: Buffer) => {
        const window = Buffer.concat([tail, chunk]);
        const at = window.indexOf(TERMINATOR);
        pieces.push(chunk);
        if (at < 0) {
          searched += chunk.length;
          tail = Buffer.from(window.subarray(Math.max(0, window.length - 4)));
          return;
        }
        // The body ends with the terminator's first CRLF; "." CRLF follows it.
        const end = searched - tail.length + at;
        const data = Buffer.concat(pieces);
        this.text = data.subarray(end + 3).toString('latin1') + this.text;
        done(null, data.subarray(0, end));
      };
      this.sink = feed;
      this.socket.once('close', onClose);
      const already = Buffer.from(this.text, 'latin1');
      this.text = '';
      if (already.length > 0) feed(already);
    });
    return Buffer.from(body.toString('latin1').replace(/(^|\n)\./g, '$1'), 'latin1');
  }

  /** RETR: the status line and the message bytes as a client gets them. */
  async retr(n: number): Promise<{ status: string; data: Buffer }> {
    this.send(`RETR ${n}`);
    const status = await this.line();
    if (!status.startsWith('+OK')) return { status, data: Buffer.alloc(0) };
    return { status, data: await this.readBody() };
  }

  async startTls(): Promise<void> {
    assert.equal(this.text, '', 'nothing may follow the STLS reply in clear text');
    await this.upgrade();
  }

  /**
   * Plays a transcript: `C: <line>` is sent, `S: <pattern>` must match the next line received,
   * where `*` matches any run of characters. Blank lines and `#` comments are skipped.
   */
  async transcript(script: string): Promise<void> {
    for (const raw of script.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const [side, rest = ''] = [line.slice(0, 2), line.slice(3)];
      if (side === 'C:') this.send(rest);
      else if (side === 'S:') {
        const got = await this.line();
        assert.match(got, globToRegExp(rest), `transcript line "${line}"`);
      } else throw new Error(`bad transcript line: ${line}`);
    }
  }
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
