// A line-based test client over real sockets and TLS, shared by the IMAP4 and POP3 front-end
// tests, and the loopback addresses that keep their failed logons apart.
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

// Each failed logon counts against the client address in the throttle (3 free, then 1 s, 2 s,
// ...). Linux answers on all of 127/8, so every connection comes from an address of its own and
// the tests do not slow each other down. Where only 127.0.0.1 exists (macOS), the tests give the
// throttle room instead.
export const LOOPBACK_ALIASES = process.platform === 'linux';
let nextHost = 2;

export function freshAddress(): string | undefined {
  if (!LOOPBACK_ALIASES) return undefined;
  nextHost = nextHost >= 250 ? 2 : nextHost + 1;
  return `127.0.0.${nextHost}`;
}

export class LineClient {
  protected text = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;
  protected readonly onData = (chunk: Buffer) => {
    this.text += chunk.toString('latin1');
    let at: number;
    while ((at = this.text.indexOf('\r\n')) >= 0) {
      this.lines.push(this.text.slice(0, at));
      this.text = this.text.slice(at + 2);
    }
    this.wake();
  };

  constructor(public socket: Socket) {
    this.listen();
  }

  /** Connects from a fresh loopback address (see freshAddress) over plain TCP or TLS. */
  static async connect(port: number, tls: boolean): Promise<Socket> {
    const from = freshAddress();
    const base = { host: '127.0.0.1', port, ...(from ? { localAddress: from } : {}) };
    const socket = tls ? tlsConnect({ ...base, rejectUnauthorized: false }) : netConnect(base);
    await new Promise<void>((resolve, reject) => {
      socket.once(tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return socket;
  }

  private listen(): void {
    this.socket.on('data', this.onData);
    this.socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    this.socket.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  async line(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.ended) throw new Error(`connection closed; unread: ${JSON.stringify(this.text)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a line');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.lines.shift()!;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  send(line: string): void {
    this.write(`${line}\r\n`);
  }

  /** The client side of STARTTLS/STLS: the server's next bytes are the TLS handshake. */
  async startTls(): Promise<void> {
    assert.equal(this.text, '', 'nothing may follow the STARTTLS/STLS reply in clear text');
    this.socket.removeListener('data', this.onData);
    const secure = tlsConnect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.listen();
  }

  get isClosed(): boolean {
    return this.ended;
  }

  async closed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

