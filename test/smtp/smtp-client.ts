// A bare SMTP (and LMTP) client for transcript tests: it sends exactly the bytes it is given (so tests can
// send what no library would, such as bare LF sequences) and reads whole replies, multi-line
// ones included.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { SocketTestClient } from '../support/socket-client.ts';

export interface Reply {
  code: number;
  lines: string[];
  /** All lines joined with \n, codes included: for regex checks. */
  text: string;
}

export class SmtpTestClient extends SocketTestClient {
  private buffer = '';

  private constructor(socket: Socket | TLSSocket) {
    super(socket);
  }

  protected received(chunk: Buffer): void {
    this.buffer += chunk.toString('utf8');
  }

  protected unread(): string {
    return this.buffer;
  }

  /** `localAddress`: the client's own address (127.0.0.2, …) for tests of RemoteIPRanges. */
  static connect(port: number, options: { tls?: boolean; host?: string; localAddress?: string } = {}): Promise<SmtpTestClient> {
    const host = options.host ?? '127.0.0.1';
    const local = options.localAddress ? { localAddress: options.localAddress } : {};
    return new Promise((resolve, reject) => {
      const socket = options.tls
        ? tlsConnect({ host, port, rejectUnauthorized: false, servername: 'mail01.contoso.com', ...local }, () => resolve(new SmtpTestClient(socket)))
        : netConnect({ host, port, ...local }, () => resolve(new SmtpTestClient(socket)));
      socket.once('error', reject);
    });
  }

  get encrypted(): boolean {
    return 'encrypted' in this.socket && (this.socket as TLSSocket).encrypted === true;
  }

  /** The next complete reply (RFC 5321 §4.2.1: lines "code-text" until "code text"). */
  async read(timeoutMs = 10_000): Promise<Reply> {
    let reply: Reply | undefined;
    await this.waitFor(() => (reply = this.take()) !== undefined, timeoutMs);
    return reply!;
  }

  private take(): Reply | undefined {
    const lines = this.buffer.split('\r\n');
    for (let i = 0; i < lines.length - 1; i++) {
      if (/^\d{3}( |$)/.test(lines[i]!)) {
        const taken = lines.slice(0, i + 1);
        this.buffer = lines.slice(i + 1).join('\r\n');
        return { code: Number(taken[i]!.slice(0, 3)), lines: taken, text: taken.join('\n') };
      }
    }
    return undefined;
  }

  /** Sends a command line (CRLF added) and reads its reply. */
  async command(line: string): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.read();
  }

  /** STARTTLS, then the handshake, with `identity` as the client certificate when given (LMTP between servers). */
  async starttls(identity?: { certPem: string; keyPem: string }): Promise<Reply> {
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) return reply;
    await this.upgrade({ servername: 'mail01.contoso.com', ...(identity ? { cert: identity.certPem, key: identity.keyPem } : {}) });
    return reply;
  }
}

export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
export const plainAuth = (user: string, password: string) => b64(`\0${user}\0${password}`);

/** One message over plain SMTP on port 25 as another mail server sends it; the reply to its data. */
export async function deliverInbound(port: number, from: string, raw: Buffer | string, to = 'bob@contoso.com'): Promise<string> {
  const c = await SmtpTestClient.connect(port);
  await c.read();
  await c.command('EHLO mx.sender.example');
  const mail = await c.command(`MAIL FROM:<${from}>`);
  if (mail.code !== 250) throw new Error(`MAIL FROM: ${mail.text}`);
  const rcpt = await c.command(`RCPT TO:<${to}>`);
  if (rcpt.code !== 250) throw new Error(`RCPT TO: ${rcpt.text}`);
  const data = await c.command('DATA');
  if (data.code !== 354) throw new Error(`DATA: ${data.text}`);
  c.write(raw);
  c.write('.\r\n');
  const reply = await c.read();
  c.close();
  return reply.text;
}

