// A small raw-socket SMTP/LMTP sender for the delivery benchmark. One connection is opened once
// and then carries message after message: MAIL FROM, every RCPT TO and DATA go out in one write
// (PIPELINING, RFC 2920), the replies are read, then the message and its final dot. SMTP answers
// the end of data once; LMTP once per accepted recipient (RFC 2033 §4.2). Each transaction is
// timed from the MAIL FROM write to the last reply after the dot.
import { connect, type Socket } from 'node:net';

export interface Reply {
  code: number;
  text: string;
}

export interface TransactionResult {
  /** Recipients whose delivery the server acknowledged with 2xx. */
  accepted: string[];
  /** The first reply that was not what a successful transaction gets, if any. */
  failure?: string;
  latencyMs: number;
}

/** The message with every line that starts with a dot doubled, ending in CRLF . CRLF (RFC 5321 §4.5.2). */
export function dataPayload(message: Buffer): Buffer {
  const text = message.toString('latin1');
  const stuffed = (text.startsWith('.') ? '.' : '') + text.replace(/\r\n\./g, '\r\n..');
  return Buffer.from(`${stuffed}${stuffed.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1');
}

export class MailSender {
  private buffer = '';
  private readonly replies: Reply[] = [];
  private waiting: ((r: Reply) => void) | null = null;
  private failed: Error | null = null;
  private lines: string[] = [];
  /** The EHLO/LHLO keywords the server offered. */
  extensions = new Set<string>();

  private constructor(
    private readonly socket: Socket,
    readonly lmtp: boolean,
  ) {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    const fail = (err: Error) => {
      this.failed ??= err;
      const w = this.waiting;
      this.waiting = null;
      w?.({ code: 0, text: err.message });
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  /** Connects, reads the greeting and says EHLO (or LHLO). PIPELINING is required. */
  static async open(options: { port: number; host?: string; lmtp?: boolean; helo: string; timeoutMs?: number }): Promise<MailSender> {
    const socket = connect({ port: options.port, host: options.host ?? '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const sender = new MailSender(socket, options.lmtp === true);
    const greeting = await sender.reply();
    if (greeting.code !== 220) throw new Error(`greeting: ${greeting.code} ${greeting.text}`);
    sender.socket.write(`${sender.lmtp ? 'LHLO' : 'EHLO'} ${options.helo}\r\n`);
    const hello = await sender.reply();
    if (hello.code !== 250) throw new Error(`${sender.lmtp ? 'LHLO' : 'EHLO'}: ${hello.code} ${hello.text}`);
    sender.extensions = new Set(hello.text.split('\n').slice(1).map((l) => l.split(' ')[0]!.toUpperCase()));
    if (!sender.extensions.has('PIPELINING')) throw new Error('the server does not offer PIPELINING');
    return sender;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let at: number;
    while ((at = this.buffer.indexOf('\r\n')) >= 0) {
      const line = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 2);
      this.lines.push(line.slice(4));
      // "250-…" continues a reply; "250 …" (or a bare code) ends it.
      if (line.length >= 4 && line[3] === '-') continue;
      const reply: Reply = { code: Number(line.slice(0, 3)), text: this.lines.join('\n') };
      this.lines = [];
      const w = this.waiting;
      if (w) {
        this.waiting = null;
        w(reply);
      } else {
        this.replies.push(reply);
      }
    }
  }

  private reply(): Promise<Reply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failed) return Promise.resolve({ code: 0, text: this.failed.message });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /**
   * One message: MAIL, RCPT… and DATA pipelined, then the payload (already dot-stuffed, ending
   * in CRLF . CRLF) once DATA has its 354.
   */
  async send(from: string, recipients: readonly string[], payload: Buffer): Promise<TransactionResult> {
    const started = performance.now();
    this.socket.write(`MAIL FROM:<${from}>\r\n${recipients.map((r) => `RCPT TO:<${r}>\r\n`).join('')}DATA\r\n`);
    let failure: string | undefined;
    const mail = await this.reply();
    if (mail.code !== 250) failure ??= `MAIL: ${mail.code} ${mail.text}`;
    const rcptOk: string[] = [];
    for (const r of recipients) {
      const reply = await this.reply();
      if (reply.code === 250 || reply.code === 251) rcptOk.push(r);
      else failure ??= `RCPT ${r}: ${reply.code} ${reply.text}`;
    }
    const data = await this.reply();
    const accepted: string[] = [];
    if (data.code === 354) {
      this.socket.write(payload);
      // LMTP: one reply per recipient that RCPT accepted; SMTP: one for all.
      if (this.lmtp) {
        for (const r of rcptOk) {
          const reply = await this.reply();
          if (reply.code === 250) accepted.push(r);
          else failure ??= `DATA for ${r}: ${reply.code} ${reply.text}`;
        }
      } else {
        const reply = await this.reply();
        if (reply.code === 250) accepted.push(...rcptOk);
        else failure ??= `DATA: ${reply.code} ${reply.text}`;
      }
    } else {
      failure ??= `DATA: ${data.code} ${data.text}`;
    }
    return { accepted, latencyMs: performance.now() - started, ...(failure !== undefined ? { failure } : {}) };
  }

  async quit(): Promise<void> {
    if (this.failed) return;
    this.socket.write('QUIT\r\n');
    await Promise.race([this.reply(), new Promise((r) => setTimeout(r, 2000))]);
    this.socket.destroy();
  }
}
