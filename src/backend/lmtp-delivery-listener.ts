// The smtp-backend service: the back end's mail delivery port. Other Mailroom servers whose smtp
// service took a message for a mailbox in a database mounted here hand it over by LMTP (RFC 2033)
// on 2525 (+ MAILROOM_PORT_OFFSET), and it goes into the store through MailboxDelivery, as an
// in-process delivery would.
//
//   - TLS is required (STARTTLS with this server's certificate) and so is direct trust: the
//     client must present, as its TLS client certificate, a certificate the directory holds for
//     one of the organization's servers (Exchange: the "Default <server>" connector on 2525 with
//     TLS and ExchangeServer authentication). Anybody else is refused right after the handshake;
//     MAIL, RCPT and XQUOTA before STARTTLS get 530 5.7.0.
//   - RCPT TO names a mailbox in a database mounted on this server: 550 5.1.1 for an unknown
//     address, 451 4.4.0 for one whose database is on another server (the sender's view of the
//     directory is behind), 452 4.2.2 when the mailbox is over ProhibitSendReceiveQuota, counting
//     the SIZE of the message.
//   - After DATA there is one reply per recipient, each given once that recipient's copy is
//     committed: 250 2.1.5 … UID=n, 452 4.2.2 when the append hits the quota, 451 4.3.0 when the
//     store fails. Each recipient is delivered on its own; one failure does not stop the others.
//   - The bytes stored are the bytes sent (the sending front end has already added Return-Path
//     and Received), checked against SIZE; see lmtp-wire.ts for XFOLDER, XENCODING and XQUOTA.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { SettingsDocument } from '../config/model.ts';
import type { Certificate, Directory, Mailbox, Server } from '../directory/directory.ts';
import { MailboxLocator, MailboxUnavailable } from '../directory/mailbox-locator.ts';
import type { Logger } from '../lib/log.ts';
import { overLimit, type DeliveryFolder, type LocalDelivery } from '../smtp/delivery.ts';
import { ConnectorListeners, stopSmtpServers } from '../smtp/listeners.ts';
import { resolveRecipient } from '../smtp/recipients.ts';
import {
  decodeBase64Lines, DELIVERY_BINDINGS, ENCODING_PARAM, FOLDER_PARAM, LmtpReplies, LmtpReply, QUOTA_COMMAND, serverOfCertificate, thumbprintOf,
} from './lmtp-wire.ts';

const MB = 1024 * 1024;
/** Room for the fields the sending front end prepends (Return-Path, Received, Authentication-Results). */
const HEADROOM = MB;
/** Largest message when the organization's MaxReceiveSize is unlimited (the setting's own maximum). */
const UNLIMITED_SIZE = 2048 * MB;
const IDLE_TIMEOUT_MS = 5 * 60_000;
const CLOSE_GRACE_MS = 5000;
const MAX_CONNECTIONS = 5000;

/** The part of the host's configuration snapshot the service reads. */
export interface LmtpSnapshot {
  server: Server;
  certificates: Certificate[];
  transportConfig: SettingsDocument;
}

export interface LmtpListenerDeps {
  directory: Directory;
  /** The in-process delivery into this server's mailbox databases (MailboxDelivery). */
  delivery: LocalDelivery;
  log: Logger;
  portOffset: number;
  pickCertificate(certificates: Certificate[], service: 'SMTP', name: string | null): Certificate | undefined;
  /** Where to listen; DELIVERY_BINDINGS ([::]:2525 and 0.0.0.0:2525) when absent. */
  bindings?: readonly string[];
}

interface Transaction {
  folder: DeliveryFolder;
  base64: boolean;
  /** SIZE= of MAIL FROM: the exact length of the message to store. */
  size: number | undefined;
  /** Resolved recipients, by lower-cased address. */
  recipients: Map<string, Mailbox>;
}

interface SessionState {
  /** The organization's server the client proved to be (its certificate), once TLS is up. */
  peer?: string;
  transaction?: Transaction;
}

/** The part of smtp-server's SMTPConnection used here: replies with their own enhanced code, and XQUOTA. */
interface ConnectionInternals {
  id: string;
  session: SMTPServerSession;
  send(code: number, data?: string | string[], context?: string | false): void;
  [handler: `handler_${string}`]: ((command: Buffer, callback: () => void) => void) | undefined;
}

function connectionOf(server: SMTPServer, session: SMTPServerSession): ConnectionInternals | undefined {
  for (const connection of server.connections as Set<unknown>) {
    const c = connection as Partial<ConnectionInternals>;
    if (c.id === session.id && typeof c.send === 'function') return c as ConnectionInternals;
  }
  return undefined;
}

function sizeLimit(transportConfig: SettingsDocument): number {
  const max = transportConfig.MaxReceiveSize as number | 'unlimited' | undefined;
  return (typeof max === 'number' ? max : UNLIMITED_SIZE) + HEADROOM;
}

/** Reads the whole DATA stream; past `limit` bytes it keeps draining but stops keeping them. */
async function readAll(stream: SMTPServerDataStream, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size > limit || stream.sizeExceeded ? undefined : Buffer.concat(chunks, size);
}

export class LmtpDeliveryService {
  private snapshot: LmtpSnapshot;
  private server: SMTPServer | undefined;
  private shape = '';
  private readonly retired = new Set<SMTPServer>();
  private readonly listeners: ConnectorListeners;
  private readonly states = new Map<string, SessionState>();
  private limit: number;

  private constructor(snapshot: LmtpSnapshot, private readonly deps: LmtpListenerDeps) {
    this.snapshot = snapshot;
    this.limit = sizeLimit(snapshot.transportConfig);
    this.listeners = new ConnectorListeners({
      log: deps.log,
      portOffset: deps.portOffset,
      limits: () => ({ total: MAX_CONNECTIONS, perSource: MAX_CONNECTIONS, implicitTls: false }),
      onSocket: (socket: Socket) => this.accept(socket),
    });
  }

  static async start(snapshot: LmtpSnapshot, deps: LmtpListenerDeps): Promise<LmtpDeliveryService> {
    const service = new LmtpDeliveryService(snapshot, deps);
    await service.reconfigure(snapshot);
    return service;
  }

  describe(): string {
    return this.listeners.describe().join(', ');
  }

  /** Open connections on the delivery port. */
  get connections(): number {
    return this.listeners.connectionCount;
  }

  /** Follows the snapshot: certificate, name, size limit. Binding failures are logged, and retried at the next change. */
  async reconfigure(snapshot: LmtpSnapshot): Promise<void> {
    this.snapshot = snapshot;
    this.limit = sizeLimit(snapshot.transportConfig);
    const certificate = this.deps.pickCertificate(snapshot.certificates, 'SMTP', snapshot.server.fqdn);
    if (!certificate) {
      this.deps.log.error({ server: snapshot.server.name }, 'smtp-backend: no certificate for TLS, so the delivery port stays closed; run New-ExchangeCertificate');
      this.retire();
      await this.listeners.reconcile([]);
      return;
    }
    const shape = `${certificate.thumbprint}|${snapshot.server.fqdn}|${this.limit}`;
    for (const old of this.retired) if (old.connections.size === 0) this.retired.delete(old);
    if (!this.server || shape !== this.shape) {
      this.retire();
      this.server = this.createServer(snapshot.server.fqdn, certificate);
      this.shape = shape;
    }
    try {
      await this.listeners.reconcile(this.deps.bindings ?? DELIVERY_BINDINGS);
    } catch (err) {
      // A port taken by another program must not stop the other services of the host.
      this.deps.log.error({ err }, `smtp-backend: the delivery port cannot listen: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private retire(): void {
    if (!this.server) return;
    this.retired.add(this.server);
    // The instance never listened itself; close() ends its sessions after the grace period.
    this.server.close();
    this.server = undefined;
  }

  private accept(socket: Socket): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    this.server.server.emit('connection', socket);
  }

  private state(session: SMTPServerSession): SessionState {
    let state = this.states.get(session.id);
    if (!state) {
      state = {};
      this.states.set(session.id, state);
    }
    return state;
  }

  private createServer(fqdn: string, certificate: Certificate): SMTPServer {
    const options: SMTPServerOptions = {
      lmtp: true,
      name: fqdn,
      banner: 'Mailroom mail delivery service ready',
      key: certificate.keyPem,
      cert: certificate.certPem,
      minVersion: 'TLSv1.2',
      // Direct trust: the client's certificate is checked against the directory in onSecure,
      // not against a CA (servers use their self-signed certificates).
      requestCert: true,
      rejectUnauthorized: false,
      // Base64-encoded messages are a third bigger on the wire; the exact limit is checked on the decoded bytes.
      size: Math.ceil(this.limit * 1.4),
      authOptional: true,
      disabledCommands: ['AUTH'],
      hideENHANCEDSTATUSCODES: false,
      hideDSN: true,
      hideREQUIRETLS: true,
      disableReverseLookup: true,
      logger: false,
      socketTimeout: IDLE_TIMEOUT_MS,
      closeTimeout: CLOSE_GRACE_MS,
      onConnect: (session, callback) => {
        try {
          this.installHooks(server, session);
          callback();
        } catch (err) {
          callback(err as Error);
        }
      },
      onSecure: (socket, session, callback) => {
        const thumbprint = thumbprintOf((socket as TLSSocket).getPeerCertificate?.());
        serverOfCertificate(this.deps.directory, thumbprint).then(
          (peer) => {
            if (!peer) {
              this.deps.log.warn({ client: session.remoteAddress, thumbprint: thumbprint ?? null }, 'smtp-backend: client without a server certificate of this organization refused');
              callback(LmtpReplies.notTrusted().error());
              return;
            }
            this.state(session).peer = peer;
            callback();
          },
          (err: unknown) => {
            this.deps.log.error({ err }, 'smtp-backend: certificate check failed');
            callback(Object.assign(new Error('4.3.0 Temporary server error, try again later'), { responseCode: 454 }));
          },
        );
      },
      onMailFrom: (address, session, callback) => this.run(callback, () => this.onMailFrom(address, session)),
      onRcptTo: (address, session, callback) => this.run(callback, () => this.onRcptTo(address, session)),
      onData: (stream, session, callback) => {
        this.onData(stream, session).then(
          (replies) => callback(null, replies.map((r) => (r.code < 300 ? r.line : r.error()))),
          (err: unknown) => {
            stream.resume();
            this.deps.log.error({ err }, 'smtp-backend: delivery failed');
            callback(LmtpReplies.storeFailed('temporary server error').error());
          },
        );
      },
      onClose: (session) => {
        this.states.delete(session.id);
      },
    };
    const server = new SMTPServer(options);
    server.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'SocketError') return;
      this.deps.log.info({ err }, 'smtp-backend: connection error');
    });
    return server;
  }

  /** Replies that carry their own enhanced status code go out as they are, and XQUOTA is a command. */
  private installHooks(server: SMTPServer, session: SMTPServerSession): void {
    const connection = connectionOf(server, session);
    if (!connection) throw new Error(`smtp-server connection ${session.id} not found: the library's internals have changed`);
    const send = connection.send.bind(connection);
    connection.send = (code, data, context) => {
      if (typeof data === 'string' && /^[245]\.\d{1,3}\.\d{1,3} /.test(data)) send(code, data, false);
      else send(code, data, context);
    };
    connection[`handler_${QUOTA_COMMAND}`] = (command, callback) => {
      this.quotaCommand(command.toString('utf8'), connection.session).then(
        (reply) => {
          connection.send(reply.code, reply.line);
          callback();
        },
        (err: unknown) => {
          this.deps.log.error({ err }, 'smtp-backend: XQUOTA failed');
          connection.send(451, '4.3.0 Temporary server error, try again later');
          callback();
        },
      );
    };
  }

  private run(callback: (err?: Error | null) => void, fn: () => Promise<void>): void {
    fn().then(
      () => callback(),
      (err: unknown) => {
        if (err instanceof LmtpReply) {
          callback(err.error());
        } else {
          this.deps.log.error({ err }, 'smtp-backend: command failed');
          callback(Object.assign(new Error('4.3.0 Temporary server error, try again later'), { responseCode: 451 }));
        }
      },
    );
  }

  private requireTrust(session: SMTPServerSession): void {
    if (!session.secure) throw LmtpReplies.tlsRequired();
    if (!this.state(session).peer) throw LmtpReplies.notTrusted();
  }

  private async onMailFrom(address: SMTPServerAddress, session: SMTPServerSession): Promise<void> {
    this.requireTrust(session);
    const state = this.state(session);
    state.transaction = undefined;
    const args = (address.args || {}) as Record<string, string | boolean>;
    const folderArg = args[FOLDER_PARAM];
    const encodingArg = args[ENCODING_PARAM];
    let folder: DeliveryFolder = 'inbox';
    if (folderArg !== undefined) {
      const value = typeof folderArg === 'string' ? folderArg.toUpperCase() : '';
      if (value !== 'INBOX' && value !== 'JUNK') throw LmtpReplies.badFolder();
      folder = value === 'JUNK' ? 'junk' : 'inbox';
    }
    if (encodingArg !== undefined && (typeof encodingArg !== 'string' || encodingArg.toUpperCase() !== 'BASE64')) throw LmtpReplies.badEncoding();
    const size = typeof args.SIZE === 'string' ? Number(args.SIZE) : undefined;
    if (size !== undefined && size > this.limit) throw LmtpReplies.tooBig(this.limit);
    state.transaction = { folder, base64: encodingArg !== undefined, size, recipients: new Map() };
  }

  /** The mailbox an address names, if its database is mounted here; throws the LMTP refusal otherwise. */
  private async localMailbox(address: string): Promise<Mailbox> {
    const resolution = await resolveRecipient(this.deps.directory, address);
    if (resolution.kind !== 'local') throw LmtpReplies.unknown();
    const mailbox = resolution.mailbox;
    // Mounted here, or not taken (the mailbox locator): elsewhere or dismounted is a 451.
    await new MailboxLocator(this.deps.directory, this.snapshot.server.name).requireLocal(mailbox).catch((err: unknown) => {
      throw err instanceof MailboxUnavailable ? LmtpReplies.notHere(err.database) : err;
    });
    return mailbox;
  }

  private async onRcptTo(address: SMTPServerAddress, session: SMTPServerSession): Promise<void> {
    this.requireTrust(session);
    const transaction = this.state(session).transaction;
    if (!transaction) throw LmtpReplies.mailFirst();
    const mailbox = await this.localMailbox(address.address);
    const quota = await this.deps.delivery.quota(mailbox);
    const full = transaction.size !== undefined
      ? quota.prohibitSendReceive !== 'unlimited' && quota.usage + transaction.size > quota.prohibitSendReceive
      : overLimit(quota.usage, quota.prohibitSendReceive);
    if (full) throw LmtpReplies.full();
    transaction.recipients.set(address.address.toLowerCase(), mailbox);
  }

  private async onData(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<LmtpReply[]> {
    const rcptTo = session.envelope.rcptTo;
    const transaction = this.state(session).transaction;
    const all = (reply: LmtpReply) => rcptTo.map(() => reply);
    const data = await readAll(stream, Math.ceil(this.limit * 1.4));
    if (!transaction) return all(LmtpReplies.mailFirst());
    if (!data) return all(LmtpReplies.tooBig(this.limit));
    const message = transaction.base64 ? decodeBase64Lines(data) : data;
    if (!message) return all(LmtpReplies.damaged(transaction.size ?? 0, 0));
    if (message.length > this.limit) return all(LmtpReplies.tooBig(this.limit));
    if (transaction.size !== undefined && message.length !== transaction.size) return all(LmtpReplies.damaged(transaction.size, message.length));
    const replies: LmtpReply[] = [];
    for (const rcpt of rcptTo) {
      const mailbox = transaction.recipients.get(rcpt.address.toLowerCase());
      if (!mailbox) {
        replies.push(LmtpReplies.unknown());
        continue;
      }
      const [result] = await this.deps.delivery.deliver([{ address: rcpt.address, mailbox, message, folder: transaction.folder }]);
      if (result?.ok) replies.push(LmtpReplies.delivered(rcpt.address, result.uid));
      else if (result?.reason === 'quota') replies.push(LmtpReplies.fullAtAppend(result.detail));
      else replies.push(LmtpReplies.storeFailed(result?.detail ?? 'no result'));
    }
    this.deps.log.info({
      peer: this.state(session).peer, client: session.remoteAddress, size: message.length,
      delivered: replies.filter((r) => r.code < 300).length, failed: replies.filter((r) => r.code >= 300).length,
    }, 'smtp-backend: message delivered');
    this.state(session).transaction = undefined;
    return replies;
  }

  private async quotaCommand(line: string, session: SMTPServerSession): Promise<LmtpReply> {
    try {
      this.requireTrust(session);
      if (!session.hostNameAppearsAs) throw LmtpReplies.lhloFirst();
      const m = /^\S+\s+<?([^<>\s]+)>?\s*$/.exec(line.trim());
      if (!m) throw LmtpReplies.quotaSyntax();
      const mailbox = await this.localMailbox(m[1]!);
      return LmtpReplies.quota(await this.deps.delivery.quota(mailbox));
    } catch (err) {
      if (err instanceof LmtpReply) return err;
      throw err;
    }
  }

  async stop(graceMs = CLOSE_GRACE_MS): Promise<void> {
    const servers = [...this.retired, ...(this.server ? [this.server] : [])];
    this.retired.clear();
    this.server = undefined;
    await stopSmtpServers(this.listeners, servers, graceMs);
  }
}
