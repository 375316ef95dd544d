// The sending side of the mail delivery port: nodemailer's SMTPConnection in LMTP mode, with
// STARTTLS required, this server's certificate as the TLS client certificate (direct trust, see
// lmtp-wire.ts) and the other server's certificate pinned to the ones the directory holds for it.
// Connections stay open for a while after use so that quota checks and deliveries in a row cost
// one round trip each, not a TLS handshake.
//
// nodemailer has no public hook for three things this needs, so the subclass below uses its
// internals, all named in LmtpConnectionInternals and checked when the class is first used:
// the per-recipient replies after DATA (only the last one is handed back), extra MAIL FROM
// parameters (XFOLDER, XENCODING), and a command of our own (XQUOTA).
// test/backend/lmtp-client.test.ts fails if an upgrade changes them.
import { rootCertificates } from 'node:tls';
import { isIP } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { ServerTarget } from '../directory/server-trust.ts';
import type { Logger } from '../lib/log.ts';
import type { DeliveryFolder } from '../smtp/delivery.ts';
import { dataSafe, encodeBase64Lines, ENCODING_PARAM, FOLDER_PARAM, QUOTA_COMMAND, thumbprintOf } from './lmtp-wire.ts';

/** Where to deliver: a server of the organization, by name, address and port, and the certificates it may present. */
export type LmtpTarget = ServerTarget;

/** Who this server is: the LHLO name and the certificate it proves it with. */
export interface LmtpIdentity {
  name: string;
  certPem: string;
  keyPem: string;
}

export interface LmtpTransaction {
  /** The envelope sender ('' for the null sender). */
  sender: string;
  recipients: readonly string[];
  /** The exact bytes to store. */
  message: Buffer;
  folder: DeliveryFolder;
}

/** What the other server said about one recipient; code 0 when it said nothing (the connection failed). */
export interface RecipientReply {
  address: string;
  code: number;
  line: string;
}

interface SendError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  recipient?: string;
  rejectedErrors?: SendError[];
}

interface SendInfo {
  accepted: string[];
  rejected: string[];
  rejectedErrors?: SendError[];
  response: string;
}

/** The internals of nodemailer's SMTPConnection the subclass relies on. */
interface LmtpConnectionInternals {
  _sendCommand(str: string, logStr?: string): void;
  _actionLMTPStream(recipient: string, final: boolean, str: string, callback: unknown): void;
  _responseActions: ((str: string) => void)[];
}

const BASE = SMTPConnection.prototype as unknown as LmtpConnectionInternals;

let checked = false;
function checkInternals(conn: unknown): void {
  if (checked) return;
  const c = conn as Partial<LmtpConnectionInternals>;
  if (typeof BASE._sendCommand !== 'function' || typeof BASE._actionLMTPStream !== 'function' || !Array.isArray(c._responseActions)) {
    throw new Error('nodemailer SMTPConnection internals have changed: _sendCommand, _actionLMTPStream or _responseActions is missing');
  }
  checked = true;
}

class LmtpConnection extends SMTPConnection {
  /** Extra MAIL FROM parameters for the next transaction. */
  mailParams: string[] = [];
  /** Replies to the last DATA, per recipient. */
  readonly dataReplies = new Map<string, string>();

  _sendCommand(str: string, logStr?: string): void {
    const extra = str.startsWith('MAIL FROM:') && this.mailParams.length > 0 ? ` ${this.mailParams.join(' ')}` : '';
    BASE._sendCommand.call(this, str + extra, logStr === undefined ? undefined : logStr + extra);
  }

  _actionLMTPStream(recipient: string, final: boolean, str: string, callback: unknown): void {
    this.dataReplies.set(recipient.toLowerCase(), str);
    BASE._actionLMTPStream.call(this, recipient, final, str, callback);
  }

  /** Sends one line and resolves with the reply (XQUOTA). */
  command(line: string): Promise<string> {
    const self = this as unknown as LmtpConnectionInternals;
    return new Promise((resolve, reject) => {
      const onGone = (err?: Error) => {
        cleanup();
        reject(err ?? new Error('the connection closed before the reply'));
      };
      const cleanup = () => {
        this.removeListener('error', onGone);
        this.removeListener('end', onGone);
      };
      this.once('error', onGone);
      this.once('end', onGone);
      self._responseActions.push((str) => {
        cleanup();
        resolve(str);
      });
      self._sendCommand(line);
    });
  }
}

interface Pooled {
  conn: LmtpConnection;
  key: string;
  alive: boolean;
  timer?: NodeJS.Timeout;
}

export interface LmtpClientOptions {
  /** This server's name and certificate, read when a connection is opened. */
  identity: () => Promise<LmtpIdentity>;
  log: Logger;
  /** How long an unused connection stays open. */
  idleMs?: number;
  /** Unused connections kept per target. */
  maxIdle?: number;
  timeoutMs?: number;
}

export class LmtpClient {
  private readonly idle = new Map<string, Pooled[]>();
  private readonly open = new Set<Pooled>();
  private closed = false;

  constructor(private readonly options: LmtpClientOptions) {}

  private keyOf(target: LmtpTarget): string {
    return `${target.server.toLowerCase()}|${target.host}|${target.port}|${[...target.thumbprints].sort().join(',')}`;
  }

  private async connect(target: LmtpTarget): Promise<Pooled> {
    const identity = await this.options.identity();
    const pinned = new Set(target.thumbprints.map((t) => t.toUpperCase()));
    const timeout = this.options.timeoutMs ?? 30_000;
    const conn = new LmtpConnection({
      host: target.host,
      port: target.port,
      lmtp: true,
      name: identity.name,
      requireTLS: true,
      tls: {
        key: identity.keyPem,
        cert: identity.certPem,
        minVersion: 'TLSv1.2',
        // Self-signed server certificates are their own anchors; imported ones chain to a public root.
        ca: [...rootCertificates, ...target.certificates],
        ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
        // Whatever the name, the certificate must be one the directory holds for that server.
        checkServerIdentity: (_host: string, cert: { fingerprint?: string }) => {
          const thumbprint = thumbprintOf(cert);
          return thumbprint && pinned.has(thumbprint)
            ? undefined
            : new Error(`${target.server} presented certificate ${thumbprint ?? '(none)'}, which the directory does not hold for it`);
        },
      },
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: 5 * 60_000,
      logger: false,
    });
    checkInternals(conn);
    const pooled: Pooled = { conn, key: this.keyOf(target), alive: true };
    const gone = () => {
      pooled.alive = false;
      this.forget(pooled);
    };
    conn.on('error', (err: Error) => {
      gone();
      this.options.log.debug({ err, server: target.server }, 'smtp: delivery connection error');
    });
    conn.on('end', gone);
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => reject(err);
      conn.once('error', fail);
      conn.connect(() => {
        conn.removeListener('error', fail);
        resolve();
      });
    });
    if (!conn.secure) {
      conn.close();
      throw new Error(`${target.server} did not start TLS`);
    }
    this.open.add(pooled);
    return pooled;
  }

  private forget(pooled: Pooled): void {
    this.open.delete(pooled);
    if (pooled.timer) clearTimeout(pooled.timer);
    const list = this.idle.get(pooled.key);
    if (list) {
      const at = list.indexOf(pooled);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0) this.idle.delete(pooled.key);
    }
  }

  private async acquire(target: LmtpTarget): Promise<Pooled> {
    const list = this.idle.get(this.keyOf(target));
    while (list && list.length > 0) {
      const pooled = list.pop()!;
      if (pooled.timer) clearTimeout(pooled.timer);
      if (pooled.alive) return pooled;
    }
    return this.connect(target);
  }

  private release(pooled: Pooled, healthy: boolean): void {
    if (!healthy || !pooled.alive || this.closed) {
      this.discard(pooled);
      return;
    }
    const list = this.idle.get(pooled.key) ?? [];
    if (list.length >= (this.options.maxIdle ?? 8)) {
      this.discard(pooled);
      return;
    }
    list.push(pooled);
    this.idle.set(pooled.key, list);
    pooled.timer = setTimeout(() => this.discard(pooled), this.options.idleMs ?? 30_000);
    pooled.timer.unref();
  }

  private discard(pooled: Pooled): void {
    this.forget(pooled);
    pooled.alive = false;
    pooled.conn.quit();
    setTimeout(() => pooled.conn.close(), 1000).unref();
  }

  /** One LMTP transaction; a reply for every recipient, in order. */
  async deliver(target: LmtpTarget, tx: LmtpTransaction): Promise<RecipientReply[]> {
    let pooled: Pooled;
    try {
      pooled = await this.acquire(target);
    } catch (err) {
      const line = `connection to ${target.server} (${target.host}:${target.port}) failed: ${(err as Error).message}`;
      return tx.recipients.map((address) => ({ address, code: 0, line }));
    }
    const conn = pooled.conn;
    const base64 = !dataSafe(tx.message);
    conn.mailParams = [...(tx.folder === 'junk' ? [`${FOLDER_PARAM}=JUNK`] : []), ...(base64 ? [`${ENCODING_PARAM}=BASE64`] : [])];
    conn.dataReplies.clear();
    const body = base64 ? encodeBase64Lines(tx.message) : tx.message;
    let info: SendInfo | undefined;
    let failure: SendError | undefined;
    try {
      info = await new Promise<SendInfo>((resolve, reject) =>
        conn.send({ from: tx.sender, to: [...tx.recipients], size: tx.message.length, use8BitMime: true }, body, (err, result) =>
          err ? reject(err) : resolve(result as unknown as SendInfo)),
      );
    } catch (err) {
      failure = err as SendError;
    } finally {
      conn.mailParams = [];
    }
    const rejected = new Map<string, SendError>();
    for (const e of [...(info?.rejectedErrors ?? []), ...(failure?.rejectedErrors ?? [])]) if (e.recipient) rejected.set(e.recipient.toLowerCase(), e);
    const replies = tx.recipients.map((address): RecipientReply => {
      const key = address.toLowerCase();
      const data = conn.dataReplies.get(key);
      if (data !== undefined) return { address, code: Number(data.slice(0, 3)) || 0, line: data };
      const refused = rejected.get(key);
      if (refused?.response) return { address, code: refused.responseCode ?? (Number(refused.response.slice(0, 3)) || 0), line: refused.response };
      const why = failure ? (failure.response ?? failure.message) : 'no reply';
      return { address, code: failure?.responseCode ?? 0, line: `${target.server}: ${why}` };
    });
    // A session where every recipient was refused still has its transaction open: RSET ends it.
    // One that failed any other way is not used again.
    let healthy = !failure;
    if (failure && failure.code === 'EENVELOPE' && failure.rejectedErrors?.length && pooled.alive) {
      healthy = await new Promise<boolean>((resolve) => {
        const done = (ok: boolean) => {
          conn.removeListener('error', gone);
          conn.removeListener('end', gone);
          resolve(ok);
        };
        const gone = () => done(false);
        conn.once('error', gone);
        conn.once('end', gone);
        conn.reset((err) => done(!err));
      });
    }
    this.release(pooled, healthy);
    return replies;
  }

  /** XQUOTA: the reply line, or a thrown error when the server could not be asked. */
  async quota(target: LmtpTarget, address: string): Promise<string> {
    const pooled = await this.acquire(target);
    let line: string;
    try {
      line = await pooled.conn.command(`${QUOTA_COMMAND} <${address}>`);
    } catch (err) {
      this.release(pooled, false);
      throw err;
    }
    this.release(pooled, !line.startsWith('421'));
    return line;
  }

  /** Closes every connection. */
  close(): void {
    this.closed = true;
    for (const pooled of [...this.open]) this.discard(pooled);
    this.idle.clear();
  }
}
