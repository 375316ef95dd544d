// The load: one POP3 session per user doing what a mail client does on a full download:
// logon, STAT, UIDL, RETR of every message one after the other, QUIT. It counts bytes and
// finds each answer's end without un-stuffing, so the client costs as little as possible.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface SessionResult {
  messages: number;
  /** Message bytes received (the answers to RETR, terminators excluded). */
  bytes: number;
}

const CRLF = Buffer.from('\r\n');
const TERMINATOR = Buffer.from('\r\n.\r\n');

class Reader {
  private chunks: Buffer[] = [];
  private length = 0;
  private wake: (() => void) | null = null;
  private failure: Error | null = null;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
      this.wake?.();
    });
    const fail = (err?: Error) => {
      this.failure = err ?? new Error('connection closed');
      this.wake?.();
    };
    socket.on('close', () => fail());
    socket.on('error', fail);
  }

  private async more(): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = null;
  }

  private flat(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.length)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private take(n: number): Buffer {
    const all = this.flat();
    this.chunks = n < all.length ? [all.subarray(n)] : [];
    this.length -= n;
    return all.subarray(0, n);
  }

  async line(): Promise<string> {
    for (;;) {
      const at = this.flat().indexOf(CRLF);
      if (at >= 0) return this.take(at + 2).subarray(0, at).toString('latin1');
      await this.more();
    }
  }

  /**
   * Reads up to the end of a multi-line answer and returns the size of its data. Each chunk is
   * searched once, with the last bytes of the one before, never the whole answer again.
   */
  async body(): Promise<number> {
    let size = 0;
    // As if a CRLF came first, so an empty answer (just "." CRLF) is found the same way.
    let tail = CRLF;
    for (;;) {
      for (let chunk = this.chunks.shift(); chunk; chunk = this.chunks.shift()) {
        this.length -= chunk.length;
        const window = Buffer.concat([tail, chunk]);
        const at = window.indexOf(TERMINATOR);
        if (at < 0) {
          size += chunk.length;
          tail = Buffer.from(window.subarray(Math.max(0, window.length - 4)));
          continue;
        }
        const used = at + TERMINATOR.length - tail.length; // bytes of this chunk through the terminator
        if (used < chunk.length) {
          this.chunks.unshift(chunk.subarray(used));
          this.length += chunk.length - used;
        }
        return size + used - 3;
      }
      await this.more();
    }
  }
}

export async function downloadAll(options: { port: number; tls: boolean; user: string; password: string }): Promise<SessionResult> {
  const socket = options.tls
    ? tlsConnect({ host: '127.0.0.1', port: options.port, rejectUnauthorized: false })
    : netConnect({ host: '127.0.0.1', port: options.port });
  await new Promise<void>((resolve, reject) => {
    socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
    socket.once('error', reject);
  });
  const reader = new Reader(socket);
  const expectOk = async (what: string) => {
    const line = await reader.line();
    if (!line.startsWith('+OK')) throw new Error(`${what}: ${line}`);
    return line;
  };
  const command = (line: string) => socket.write(`${line}\r\n`);
  try {
    await expectOk('greeting');
    command(`USER ${options.user}`);
    await expectOk('USER');
    command(`PASS ${options.password}`);
    await expectOk('PASS');
    command('STAT');
    const count = Number((await expectOk('STAT')).split(' ')[1]);
    command('UIDL');
    await expectOk('UIDL');
    await reader.body();
    let bytes = 0;
    for (let n = 1; n <= count; n++) {
      command(`RETR ${n}`);
      await expectOk(`RETR ${n}`);
      bytes += await reader.body();
    }
    command('QUIT');
    await expectOk('QUIT');
    return { messages: count, bytes };
  } finally {
    socket.destroy();
  }
}
