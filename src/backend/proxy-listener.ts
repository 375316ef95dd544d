// The back end's proxy port (Exchange: the back-end IMAP4 and POP3 services on 1993 and 1995):
// front ends on other servers, or in another process of this one, hand logged-on sessions over
// here. ImapSettings/PopSettings ProxyTargetPort (+ MAILROOM_PORT_OFFSET), changed live.
//
//   - TLS with this server's certificate, and direct trust: the client must present, as its TLS
//     client certificate, a certificate the directory holds for one of the organization's
//     servers (the delivery port's rule, directory/server-trust.ts). Anybody else, another
//     organization's server included, is refused right after the handshake.
//   - Then one hand-off line (auth/handoff.ts). The back end trusts the front end's password
//     check but nothing else: it re-reads the user and the mailbox from the directory, checks the
//     logon rules again, and opens the mailbox only if its database is mounted here (the
//     locator). The local back end (ImapBackend/Pop3Backend) opens it with the real client
//     address, so throttling and the protocol log see the client, and the log goes on with the
//     front end's session id.
//   - ACCEPT or REFUSE <reply>; after ACCEPT the START line (the client's TLS state and
//     pipelined bytes), and the session runs over this connection as over a client's.
//   - Bounded: the hand-off and START lines, a deadline for everything before the session
//     starts, and the number of connections.
//
// The local link: a front end in another process of this same server (`mailroom start --split`,
// or `--role frontend` beside `--role backend` on one data folder) comes through a Unix socket
// in the data folder's run folder instead (lib/running-servers.ts localLinkPath). The folder is
// 0700 and the socket 0600, so the operating system has already said the peer runs as the
// server's own account: no TLS and no certificate, and the hand-off must name this server as
// its front end. Same hand-off, same checks of the directory after it; it saves the handshake
// on each logon, the encryption of every byte twice more, and the TLS buffers on both ends.
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import {
  answerSafe, decodeHandoff, decodeStart, encodeAnswer, HANDOFF_LINE_LIMIT, START_LINE_LIMIT, type Handoff, type HandoffProtocol,
} from '../auth/handoff.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import type { ProtocolSessionContext, SessionBackend } from '../auth/session-logon.ts';
import type { SettingsDocument } from '../config/model.ts';
import type { Certificate, Directory, Server } from '../directory/directory.ts';
import { MailboxLocator, MailboxUnavailable } from '../directory/mailbox-locator.ts';
import { serverOfCertificate, thumbprintOf } from '../directory/server-trust.ts';
import type { Logger } from '../lib/log.ts';
import { startProtocolLog } from '../lib/protocol-log.ts';
import { listenPrivateSocket } from '../lib/running-servers.ts';
import { readSocketLine, SocketLineError } from '../lib/socket-line.ts';

/** Everything before the session starts (TLS, the certificate check, the hand-off, START) must be done within this. */
export const HANDOFF_DEADLINE_MS = 15_000;
/** Connections on one proxy port; each is a client session, so this is well above MaxConnections. */
export const MAX_PROXY_CONNECTIONS = 20_000;

const SERVICE: Record<HandoffProtocol, string> = { imap: 'imap4-backend', pop: 'pop3-backend' };
const LOG_KIND: Record<HandoffProtocol, { prefix: string; logType: string }> = {
  imap: { prefix: 'IMAP4', logType: 'IMAP4 Protocol Log' },
  pop: { prefix: 'POP3', logType: 'POP3 Protocol Log' },
};

/** The client's temporary error (RFC 5530 UNAVAILABLE, RFC 3206 SYS/TEMP). */
export function unavailableReply(protocol: HandoffProtocol, tag: string | undefined, detail: string): string {
  return protocol === 'imap' ? `${tag ?? '*'} NO [UNAVAILABLE] ${detail}` : `-ERR [SYS/TEMP] ${detail}`;
}

/** The part of the host's configuration snapshot the proxy port reads. */
export interface ProxySnapshot {
  server: Server;
  certificates: Certificate[];
  imapSettings: SettingsDocument;
  popSettings: SettingsDocument;
}

export interface ProxyListenerDeps {
  directory: Directory;
  authenticator: Authenticator;
  log: Logger;
  portOffset: number;
  pickCertificate(certificates: Certificate[], service: 'IMAP' | 'POP', name: string | null): Certificate | undefined;
  secureContext(certificate: Certificate): SecureContext;
  /** The local back end that opens the sessions (ImapBackend/Pop3Backend). */
  backend: SessionBackend;
  /** Where to listen, with `{port}` for ProxyTargetPort + offset; every IPv4 and IPv6 address when absent. */
  addresses?: readonly string[];
  /** The local link's Unix socket (lib/running-servers.ts localLinkPath); none when absent. */
  localPath?: string;
}

export class BackendProxyListener {
  private snapshot!: ProxySnapshot;
  private servers: NetServer[] = [];
  private localServer: NetServer | undefined;
  private listeningPort = 0;
  private readonly sockets = new Set<Socket>();
  private readonly locator: MailboxLocator;
  /** The proxy port's own TLS contexts, by certificate thumbprint (see portContext). */
  private readonly contexts = new Map<string, SecureContext>();

  private constructor(private readonly protocol: HandoffProtocol, private readonly deps: ProxyListenerDeps, serverName: string) {
    this.locator = new MailboxLocator(deps.directory, serverName);
  }

  static async start(protocol: HandoffProtocol, snapshot: ProxySnapshot, deps: ProxyListenerDeps): Promise<BackendProxyListener> {
    const listener = new BackendProxyListener(protocol, deps, snapshot.server.name);
    await listener.reconfigure(snapshot);
    if (deps.localPath) await listener.listenLocal(deps.localPath);
    return listener;
  }

  private settings(): SettingsDocument {
    return this.protocol === 'imap' ? this.snapshot.imapSettings : this.snapshot.popSettings;
  }

  /** The addresses listened on, for Get-Service and the heartbeat the front ends read the port from. */
  describe(): string {
    return this.servers.map((s) => {
      const a = s.address();
      return a && typeof a === 'object' ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : '';
    }).filter(Boolean).join(', ');
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** Follows ProxyTargetPort: a new port is listened on at once; sessions on the old one go on. */
  async reconfigure(snapshot: ProxySnapshot): Promise<void> {
    this.snapshot = snapshot;
    const port = Number(this.settings().ProxyTargetPort) + this.deps.portOffset;
    if (port === this.listeningPort && this.servers.length > 0) return;
    const previous = this.servers;
    this.servers = [];
    for (const s of previous) s.close();
    this.listeningPort = port;
    for (const address of this.deps.addresses ?? ['::', '0.0.0.0']) {
      try {
        this.servers.push(await this.listen(address, port));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (address.includes(':') && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) continue;
        // A port taken by another program must not stop the other services of the host.
        this.deps.log.error({ err, port }, `${SERVICE[this.protocol]}: the proxy port ${port} cannot listen: ${(err as Error).message}`);
      }
    }
  }

  private listen(address: string, port: number): Promise<NetServer> {
    const server = createServer({ noDelay: true }, (raw) => this.accept(raw));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port, ipv6Only: address.includes(':') }, () => {
        server.removeListener('error', reject);
        server.on('error', (err) => this.deps.log.error({ err }, `${SERVICE[this.protocol]}: proxy listener error`));
        resolve(server);
      });
    });
  }

  /** The local link (see the top of this file). */
  private async listenLocal(path: string): Promise<void> {
    const server = createServer({ noDelay: true }, (raw) => this.acceptLocal(raw));
    try {
      await listenPrivateSocket(server, path);
    } catch (err) {
      // The proxy port still works: the front ends fall back to it.
      this.deps.log.error({ err, path }, `${SERVICE[this.protocol]}: the local link ${path} cannot listen: ${(err as Error).message}`);
      server.close();
      return;
    }
    server.on('error', (err) => this.deps.log.error({ err }, `${SERVICE[this.protocol]}: local link error`));
    this.localServer = server;
  }

  /** Counts the connection against the limit; false when it was refused. */
  private admit(raw: Socket): boolean {
    raw.on('error', () => raw.destroy());
    if (this.sockets.size >= MAX_PROXY_CONNECTIONS) {
      this.deps.log.warn({ peer: raw.remoteAddress ?? 'local link', limit: MAX_PROXY_CONNECTIONS }, `${SERVICE[this.protocol]}: proxy connection refused: too many connections`);
      raw.destroy();
      return false;
    }
    this.sockets.add(raw);
    raw.once('close', () => this.sockets.delete(raw));
    return true;
  }

  private startDeadline(socket: Socket): NodeJS.Timeout {
    const deadline = setTimeout(() => {
      this.deps.log.warn({ peer: socket.remoteAddress ?? 'local link' }, `${SERVICE[this.protocol]}: proxy hand-off not completed in time`);
      socket.destroy();
    }, HANDOFF_DEADLINE_MS);
    deadline.unref();
    socket.once('close', () => clearTimeout(deadline));
    return deadline;
  }

  private acceptLocal(socket: Socket): void {
    if (!this.admit(socket)) return;
    socket.setNoDelay(true);
    const deadline = this.startDeadline(socket);
    this.serve(socket, this.snapshot.server.name, 'local', deadline).catch((err: unknown) => {
      this.deps.log.error({ err }, `${SERVICE[this.protocol]}: proxy hand-off failed`);
      socket.destroy();
    });
  }

  private accept(raw: Socket): void {
    if (!this.admit(raw)) return;
    const certificate = this.certificate();
    if (!certificate) {
      this.deps.log.error({ server: this.snapshot.server.name }, `${SERVICE[this.protocol]}: no certificate for the proxy port; run New-ExchangeCertificate`);
      raw.destroy();
      return;
    }
    const socket = new TLSSocket(raw, {
      isServer: true,
      secureContext: this.portContext(certificate),
      // Direct trust: the client certificate is checked against the directory below, not against a CA.
      requestCert: true,
      rejectUnauthorized: false,
    });
    socket.on('error', () => raw.destroy());
    const deadline = this.startDeadline(socket);
    socket.once('secure', () => {
      this.authenticatePeer(socket).then((peer) => {
        if (!peer) return this.refuse(socket, 'Not authorized: present the certificate of a server of this organization.');
        return this.serve(socket, peer, socket.isSessionReused() ? 'tls-resumed' : 'tls', deadline);
      }).catch((err: unknown) => {
        this.deps.log.error({ err }, `${SERVICE[this.protocol]}: proxy hand-off failed`);
        socket.destroy();
      });
    });
  }

  /**
   * A context of the proxy port's own, so that front ends can resume their TLS sessions (the
   * tickets are the context's, made with a key that lives as long as this process). OpenSSL
   * resumes a session whose client presented a certificate only under a session id context;
   * the session keeps the client's certificate, so a resumed peer is checked as a new one.
   */
  private portContext(certificate: Certificate): SecureContext {
    let context = this.contexts.get(certificate.thumbprint);
    if (!context) {
      context = createSecureContext({ cert: certificate.certPem, key: certificate.keyPem, minVersion: 'TLSv1.2' });
      (context.context as { setSessionIdContext(id: string): void }).setSessionIdContext(`mailroom-${SERVICE[this.protocol]}`);
      this.contexts.set(certificate.thumbprint, context);
    }
    return context;
  }

  private certificate(): Certificate | undefined {
    return this.deps.pickCertificate(this.snapshot.certificates, this.protocol === 'imap' ? 'IMAP' : 'POP', this.snapshot.server.fqdn);
  }

  /** The server of the organization whose certificate the TLS client presented, if any. */
  private async authenticatePeer(socket: TLSSocket): Promise<string | undefined> {
    const thumbprint = thumbprintOf(socket.getPeerCertificate());
    const peer = await serverOfCertificate(this.deps.directory, thumbprint);
    if (!peer) this.deps.log.warn({ peer: socket.remoteAddress, thumbprint: thumbprint ?? null }, `${SERVICE[this.protocol]}: client without a server certificate of this organization refused`);
    return peer ?? undefined;
  }

  private refuse(socket: Socket, response: string): void {
    socket.end(encodeAnswer({ accepted: false, response: answerSafe(response) }));
  }

  /** The hand-off from `peer`, a server of the organization (this one itself over the local link). */
  private async serve(socket: Socket, peer: string, link: 'local' | 'tls' | 'tls-resumed', deadline: NodeJS.Timeout): Promise<void> {
    const local = link === 'local';
    let handoff: Handoff;
    let rest: Buffer;
    try {
      const read = await readSocketLine(socket, HANDOFF_LINE_LIMIT, HANDOFF_DEADLINE_MS);
      handoff = decodeHandoff(read.line);
      rest = read.rest;
    } catch (err) {
      if (err instanceof SocketLineError && err.code === 'closed') return;
      this.deps.log.warn({ peer, err: (err as Error).message }, `${SERVICE[this.protocol]}: hand-off refused`);
      return this.refuse(socket, `The hand-off was refused: ${(err as Error).message}`);
    }
    const log = this.deps.log.child({ session: handoff.sessionId, frontEnd: handoff.frontEnd, client: handoff.client.address });
    const temporary = (detail: string) => unavailableReply(this.protocol, handoff.tag, detail);
    if (handoff.protocol !== this.protocol) return this.refuse(socket, temporary(`This is the ${SERVICE[this.protocol]} proxy port, not the ${SERVICE[handoff.protocol]} one.`));
    if (local && handoff.frontEnd.toLowerCase() !== peer.toLowerCase()) {
      log.warn({ frontEnd: handoff.frontEnd }, `${SERVICE[this.protocol]}: a hand-off on the local link from another server refused`);
      return this.refuse(socket, temporary(`The local link of ${peer} serves ${peer}'s own front ends only.`));
    }
    if (rest.length > 0) return this.refuse(socket, temporary('Bytes arrived before the answer to the hand-off.'));

    // The directory, not the front end, says who this is and which mailbox it may open.
    const logon = await this.deps.authenticator.authorizeHandoff(this.protocol, handoff.user.id, handoff.mailbox.id);
    if (!logon.ok) {
      log.warn({ user: handoff.user.upn, reason: logon.reason }, `${SERVICE[this.protocol]}: a handed-over logon no longer holds`);
      return this.refuse(socket, this.protocol === 'imap' ? `${handoff.tag} NO [AUTHENTICATIONFAILED] Logon failed.` : '-ERR [AUTH] Logon failed.');
    }
    try {
      await this.locator.requireLocal(logon.mailbox);
    } catch (err) {
      if (!(err instanceof MailboxUnavailable)) throw err;
      log.info({ mailbox: logon.mailbox.primarySmtpAddress, database: err.database, reason: err.reason }, `${SERVICE[this.protocol]}: hand-off for a mailbox not mounted here`);
      return this.refuse(socket, temporary(`The mailbox database of ${logon.mailbox.primarySmtpAddress} is not available on this server now; try again later.`));
    }

    const settings = () => this.settings();
    const ctx: ProtocolSessionContext = {
      settings,
      // Sessions after logon start no TLS of their own (the client's TLS, if any, ends at the
      // front end); this is for the context's shape only.
      secureContext: () => {
        const certificate = this.certificate();
        if (!certificate) throw new Error(`${this.snapshot.server.name} has no certificate`);
        return this.deps.secureContext(certificate);
      },
      authenticator: this.deps.authenticator,
      log,
      clientAddress: handoff.client.address,
      implicitTls: false,
    };
    // The protocol log goes on with the front end's session id and the client's endpoint.
    const protocolLog = startProtocolLog(LOG_KIND[this.protocol], {
      localAddress: socket.localAddress, localPort: socket.localPort, remoteAddress: handoff.client.address, remotePort: handoff.client.port,
    }, settings, (err) => log.error({ err }, `the ${LOG_KIND[this.protocol].prefix} protocol log cannot be written`), handoff.sessionId);
    protocolLog.user = logon.user.id === logon.mailbox.id ? logon.user.userPrincipalName : `${logon.user.userPrincipalName}\\${logon.mailbox.alias}`;
    // The logon command's reply comes from this back end; its line here says where it came from.
    protocolLog.begin('handoff', `from=${handoff.frontEnd}`);
    const opened = await this.deps.backend.open({ logon, ctx, protocolLog, ...(handoff.tag !== undefined ? { tag: handoff.tag } : {}) });
    if (!opened.ok) {
      protocolLog.current?.addResponse(opened.response);
      protocolLog.current?.finish();
      protocolLog.close('refused');
      return this.refuse(socket, opened.response);
    }
    log.info({ user: logon.user.userPrincipalName, mailbox: logon.mailbox.primarySmtpAddress, peer, link }, `${SERVICE[this.protocol]}: session handed over`);
    socket.write(encodeAnswer({ accepted: true }));
    // The session must start whatever happens now: starting is what gives back the lock and the
    // per-user count the open took. A front end that left gets a session that ends at once.
    let tls = false;
    let pending: Buffer = Buffer.alloc(0);
    try {
      const read = await readSocketLine(socket, START_LINE_LIMIT, HANDOFF_DEADLINE_MS);
      const start = decodeStart(read.line);
      tls = start.tls;
      pending = read.rest.length > 0 ? Buffer.concat([start.pending, read.rest]) : start.pending;
    } catch (err) {
      if (!(err instanceof SocketLineError && err.code === 'closed')) log.warn({ err: (err as Error).message }, `${SERVICE[this.protocol]}: no START after the hand-off`);
      socket.destroy();
    }
    clearTimeout(deadline);
    socket.on('error', () => socket.destroy());
    opened.session.start({ socket, tls, pending });
  }

  /** Stops listening and ends the connections (their sessions end with them). */
  async stop(): Promise<void> {
    for (const s of this.servers) s.close();
    this.servers = [];
    // Closing a listening Unix socket removes its file.
    this.localServer?.close();
    this.localServer = undefined;
    for (const s of this.sockets) s.destroy();
  }
}
