// The client side of the connectivity tests: one TCP or TLS connection to a running server, read
// line by line, checking the server's certificate as a mail client does (chain and the name the
// client asked for), with a deadline on every wait. Lines are bounded, so a misbehaving server
// cannot make the admin's command hold unbounded data.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/** Longest response line kept; IMAP and POP3 status lines are far shorter. */
const MAX_LINE = 64 * 1024;

export interface ProbeTarget {
  /** Address or host name to connect to. */
  host: string;
  port: number;
  /** The name the certificate must cover: the server's FQDN, as clients are configured with it. */
  serverName: string;
  /** -TrustAnySSLCertificate: accept any certificate (the check is then skipped). */
  trustAnyCertificate: boolean;
  /** Each wait (connect, handshake, one response) ends with an error after this long. */
  timeoutMs: number;
}

/** Raised for every failure; `certificate` marks problems with the served certificate. */
export class ProbeError extends Error {
  constructor(message: string, readonly certificate = false) {
    super(message);
    this.name = 'ProbeError';
  }
}

/** Names node gives certificate failures; they become "certificate" errors with a hint. */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED', 'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE', 'INVALID_CA',
]);

function describeError(err: unknown, target: ProbeTarget): ProbeError {
  if (err instanceof ProbeError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e.code && CERTIFICATE_CODES.has(e.code)) {
    return new ProbeError(
      `The certificate served on ${target.host}:${target.port} is not valid for ${target.serverName}: ${e.message} (${e.code}). ` +
        'Clients that check certificates refuse it; enable a certificate for the service that a trusted authority issued for this name, or test with -TrustAnySSLCertificate.',
      true,
    );
  }
  if (e.code === 'ECONNREFUSED') return new ProbeError(`Nothing accepts connections on ${target.host}:${target.port} (connection refused). Is the service running? Get-Service shows it.`);
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return new ProbeError(`${target.host} cannot be resolved (${e.code}).`);
  return new ProbeError(`${target.host}:${target.port}: ${e.message ?? String(err)}`);
}

export class ProbeConnection {
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private failure: ProbeError | undefined;
  private ended = false;

  private constructor(private socket: Socket | TLSSocket, private readonly target: ProbeTarget) {
    this.attach(socket);
  }

  /** Connects, with TLS from the first byte when `tls` (POP3 995, IMAP4 993, SMTP 465). */
  static async open(target: ProbeTarget, tls: boolean): Promise<ProbeConnection> {
    const socket = await new Promise<Socket | TLSSocket>((resolve, reject) => {
      const s = tls ? tlsConnect(tlsOptions(target)) : netConnect({ host: target.host, port: target.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ProbeError(`${target.host}:${target.port} did not answer within ${target.timeoutMs} ms.`));
      }, target.timeoutMs);
      s.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(describeError(err, target));
      });
    });
    return new ProbeConnection(socket, target);
  }

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      if (this.buffer.length > MAX_LINE && this.buffer.indexOf(0x0a) < 0) {
        this.failure = new ProbeError(`${this.target.host}:${this.target.port} sent a line longer than ${MAX_LINE} bytes.`);
        socket.destroy();
      }
      this.wake();
    });
    socket.on('error', (err) => {
      this.failure ??= describeError(err, this.target);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /**
   * Waits until more bytes arrive (or the connection fails or ends, or `deadline` passes, each
   * thrown as the reason the read cannot finish).
   */
  private async moreData(deadline: number): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.ended) throw new ProbeError(`${this.target.host}:${this.target.port} closed the connection.`);
    const left = deadline - Date.now();
    if (left <= 0) throw new ProbeError(`${this.target.host}:${this.target.port} did not answer within ${this.target.timeoutMs} ms.`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** The next line without its CRLF. */
  async readLine(): Promise<string> {
    const deadline = Date.now() + this.target.timeoutMs;
    for (;;) {
      const lf = this.buffer.indexOf(0x0a);
      if (lf >= 0) {
        const line = this.buffer.subarray(0, lf > 0 && this.buffer[lf - 1] === 0x0d ? lf - 1 : lf).toString('utf8');
        this.buffer = this.buffer.subarray(lf + 1);
        return line;
      }
      await this.moreData(deadline);
    }
  }

  /** Exactly `n` bytes (an IMAP literal announced as {n}). */
  async readBytes(n: number): Promise<Buffer> {
    if (n > MAX_LINE) throw new ProbeError(`${this.target.host}:${this.target.port} announced a ${n}-byte literal; the test reads at most ${MAX_LINE}.`);
    const deadline = Date.now() + this.target.timeoutMs;
    while (this.buffer.length < n) {
      await this.moreData(deadline);
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  write(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  /** STARTTLS / STLS: the plain socket becomes TLS, with the same certificate check. */
  async upgrade(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('error');
    plain.removeAllListeners('close');
    this.buffer = Buffer.alloc(0);
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ ...tlsOptions(this.target), socket: plain });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ProbeError(`The TLS handshake with ${this.target.host}:${this.target.port} did not finish within ${this.target.timeoutMs} ms.`));
      }, this.target.timeoutMs);
      s.once('secureConnect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(describeError(err, this.target));
      });
    });
    this.socket = secure;
    this.attach(secure);
  }

  close(): void {
    this.socket.destroy();
  }
}

function tlsOptions(target: ProbeTarget) {
  return {
    host: target.host,
    port: target.port,
    // SNI carries a name, never an address (RFC 6066 §3); the name is what the certificate must cover.
    servername: target.serverName,
    rejectUnauthorized: !target.trustAnyCertificate,
    minVersion: 'TLSv1.2' as const,
  };
}
