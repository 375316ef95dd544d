// What the protocol test clients (IMAP4, POP3, SMTP/LMTP, the front-end line client) share: a
// real socket, waiting for what the server sends until it has arrived, STARTTLS on the same
// socket, and telling when the server closed the connection. Each client keeps its own framing
// (lines, literals, multi-line answers) in received().
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Socket } from 'node:net';
import type { Transform } from 'node:stream';

export abstract class SocketTestClient {
  private waiter: (() => void) | null = null;
  private ended = false;
  /** What written bytes go through before the socket (IMAP COMPRESS), if anything. */
  private encoder: Transform | null = null;
  private readonly onData = (chunk: Buffer) => {
    this.received(chunk);
    this.wake();
  };
  private readonly onClose = () => {
    this.ended = true;
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
    this.socket.on('close', this.onClose);
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
    if (this.encoder) this.encoder.write(data);
    else this.socket.write(data);
  }

  /**
   * Puts a transform pair on the connection (IMAP COMPRESS=DEFLATE): what the server sends goes
   * through `decode` before received(), what is written goes to `encode`, whose output the
   * caller sends on to the socket.
   */
  protected layer(decode: Transform, encode: Transform): void {
    const socket = this.socket;
    socket.removeListener('data', this.onData);
    socket.on('data', (chunk: Buffer) => decode.write(chunk));
    decode.on('data', this.onData);
    // The connection counts as closed once the last bytes are decoded (zlib works
    // asynchronously, so they come out after the socket's 'close').
    socket.removeListener('close', this.onClose);
    socket.on('close', () => decode.end());
    decode.on('end', this.onClose);
    // A corrupt or cut-off stream from the server is the end of the conversation.
    decode.on('error', () => {
      socket.destroy();
      this.onClose();
    });
    this.encoder = encode;
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
