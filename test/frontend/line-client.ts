// A line-based test client over real sockets and TLS, shared by the IMAP4 and POP3 front-end
// tests, and the loopback addresses that keep their failed logons apart.
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { SocketTestClient } from '../support/socket-client.ts';

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

export class LineClient extends SocketTestClient {
  protected text = '';
  private readonly lines: string[] = [];

  constructor(socket: Socket) {
    super(socket);
  }

  protected received(chunk: Buffer): void {
    this.text += chunk.toString('latin1');
    let at: number;
    while ((at = this.text.indexOf('\r\n')) >= 0) {
      this.lines.push(this.text.slice(0, at));
      this.text = this.text.slice(at + 2);
    }
  }

  protected unread(): string {
    return this.text;
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

  async line(timeoutMs = 5000): Promise<string> {
    await this.waitFor(() => this.lines.length > 0, timeoutMs);
    return this.lines.shift()!;
  }

  send(line: string): void {
    this.write(`${line}\r\n`);
  }

  /** The client side of STARTTLS/STLS: the server's next bytes are the TLS handshake. */
  async startTls(): Promise<void> {
    assert.equal(this.text, '', 'nothing may follow the STARTTLS/STLS reply in clear text');
    await this.upgrade();
  }
}
