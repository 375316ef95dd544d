// What the protocol test clients (IMAP4, POP3, SMTP/LMTP, the front-end line client) share: a
// real socket, waiting for what the server sends until it has arrived, STARTTLS on the same
// socket, and telling when the server closed the connection. Each client keeps its own framing
// (lines, literals, multi-line answers) in received().
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Socket } from 'node:net';

export abstract class SocketTestClient {
  private waiter: (() => void) | null = null;
  private ended = false;
  private readonly onData = (chunk: Buffer) => {
    this.received(chunk);
    this.wake();
  };

  protected constructor(public socket: Socket) {
    this.listen();
  }

  /** Takes bytes from the server into the client's own buffer. */
  protected abstract received(chunk: Buffer): void;

  /** What is still unread, for error messages. */
  protected abstract unread(): string;

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

  /** Waits until `ready()` holds; fails when the connection closes first or time runs out. */
  protected async waitFor(ready: () => boolean, timeoutMs: number, what = 'the server'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (this.ended) throw new Error(`connection closed; unread: ${JSON.stringify(this.unread().slice(0, 200))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply from ${what} within ${timeoutMs} ms; unread: ${JSON.stringify(this.unread().slice(0, 200))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /**
   * The client side of STARTTLS/STLS once the server said yes: its next bytes are the TLS
   * handshake. `options` adds, for example, a client certificate.
   */
  protected async upgrade(options: ConnectionOptions = {}): Promise<void> {
    this.socket.removeListener('data', this.onData);
    this.socket.removeAllListeners('close');
    const secure = tlsConnect({ socket: this.socket, rejectUnauthorized: false, ...options });
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

  async waitClosed(timeoutMs = 5000): Promise<void> {
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
