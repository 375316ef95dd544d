// The front end's way to the back end after a logon (Exchange's Client Access proxying): the
// mailbox locator says which server has the mailbox's database mounted. On this server, with
// the back end in this process, the session goes to it in-process as always. Anywhere else (or
// on this server when the back end runs in its own process, `mailroom start --role frontend`)
// the front end connects to that server's proxy port (ImapSettings/PopSettings ProxyTargetPort,
// the port its heartbeat reports), proves it is a server of the organization with its
// certificate, pins the other server's certificates, sends the hand-off (auth/handoff.ts) and,
// once accepted, relays bytes both ways. Everything after the logon (IDLE, COMPRESS, APPEND
// literals, QRESYNC) is the back end's; the front end only copies bytes, with back-pressure.
//
// A mailbox on this server whose back end runs in another process of it goes over the local
// link instead when the back end offers one: a Unix socket in the data folder's private run
// folder (backend/proxy-listener.ts), the same hand-off without TLS.
//
// Failures are short and temporary: a back end that is down, refuses, or does not answer in
// time gives IMAP4 `NO [UNAVAILABLE]` / POP3 `-ERR [SYS/TEMP]` to the logon, and the client
// stays connected and unauthenticated. A back end that goes away mid-session ends an IMAP4
// session with `* BYE [UNAVAILABLE]`, a POP3 one with `-ERR [SYS/TEMP]` unless it broke in the
// middle of a reply; then the connection closes.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import {
  decodeAnswer, encodeHandoff, encodeStart, ANSWER_LINE_LIMIT, PENDING_LIMIT, type Handoff, type HandoffProtocol,
} from '../auth/handoff.ts';
import type { BackendOpenRequest, BackendOpenResult, SessionBackend } from '../auth/session-logon.ts';
import type { Certificate, Directory, Server } from '../directory/directory.ts';
import { MailboxLocator } from '../directory/mailbox-locator.ts';
import { serverTarget, thumbprintOf, type ServerTarget } from '../directory/server-trust.ts';
import type { DetachedConnection } from '../lib/line-reader.ts';
import type { Logger } from '../lib/log.ts';
import { readSocketLine } from '../lib/socket-line.ts';

/** Connecting and the TLS handshake with the back end. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** The back end's answer to the hand-off (it opens the mailbox first). */
export const ANSWER_TIMEOUT_MS = 15_000;

const SERVICE: Record<HandoffProtocol, string> = { imap: 'imap4-backend', pop: 'pop3-backend' };
/** Client writes longer than this are not looked at for QUIT and COMPRESS. */
const SHORT_COMMAND = 512;
/** TLS sessions kept for resumption (one per server, port and client certificate). */
const MAX_CACHED_SESSIONS = 256;
/** How much of the back end's last output is kept to tell its own end of a session from a loss. */
const TAIL_BYTES = 512;

/**
 * Whether the back end's last POP3 reply is complete: a multi-line one ended with its dot line,
 * or the last line is a status line (a single-line reply).
 */
function popReplyComplete(tail: string): boolean {
  if (tail === '' || tail.endsWith('\r\n.\r\n')) return true;
  if (!tail.endsWith('\r\n')) return false;
  const start = tail.lastIndexOf('\r\n', tail.length - 3);
  const last = tail.slice(start < 0 ? 0 : start + 2);
  return last.startsWith('+OK') || last.startsWith('-ERR');
}

/** Whether an IMAP4 session ended with the back end's own BYE (and perhaps the tagged reply to LOGOUT after it). */
function endedWithBye(tail: string): boolean {
  if (!tail.endsWith('\r\n')) return false;
  const lines = tail.slice(0, -2).split('\r\n');
  const last = lines[lines.length - 1]!;
  if (last.startsWith('* BYE ')) return true;
  return lines.length >= 2 && lines[lines.length - 2]!.startsWith('* BYE ') && last.includes(' OK ');
}

export interface RemoteBackendOptions {
  protocol: HandoffProtocol;
  directory: Directory;
  /** This server. */
  serverName: string;
  /** This server's certificates, for the client certificate it proves itself with. */
  identity(): { server: Server; certificates: Certificate[] } | undefined;
  pickCertificate(certificates: Certificate[], service: 'IMAP' | 'POP' | 'SMTP', name: string | null): Certificate | undefined;
  /** The back end in this process while its service runs. */
  local(): SessionBackend | undefined;
  /**
   * Whether a mailbox mounted on this server with no back end in this process is proxied to this
   * server's own proxy port (a front-end-only process); otherwise the client is told the back
   * end is not available.
   */
  proxyLocal: boolean;
  log: Logger;
  /** Added to the ProxyTargetPort setting when the target server reported no port. */
  portOffset: number;
  /** The local link to this server's back-end process (lib/running-servers.ts localLinkPath). */
  localPath?: string;
}

/** Where a session goes: a server's proxy port over TLS, or this server's local link. */
type Upstream = { kind: 'tls'; target: ServerTarget } | { kind: 'local'; server: string; path: string };

function describeUpstream(upstream: Upstream): { server: string; host: string; port?: number } {
  return upstream.kind === 'tls'
    ? { server: upstream.target.server, host: upstream.target.host, port: upstream.target.port }
    : { server: upstream.server, host: upstream.path };
}

function notAvailable(protocol: HandoffProtocol, tag: string | undefined, address: string): string {
  // The same words the front ends use when no back end runs at all.
  return protocol === 'imap'
    ? `${tag ?? '*'} NO [UNAVAILABLE] The mailbox server for ${address} is not available now.`
    : `-ERR [SYS/TEMP] The mailbox server for ${address} is not available yet.`;
}

export class RemoteBackend implements SessionBackend {
  private readonly locator: MailboxLocator;
  private readonly contexts = new Map<string, SecureContext>();
  /** TLS sessions to resume, by target and client certificate, with the server certificate they were checked with. */
  private readonly sessions = new Map<string, { session: Buffer; thumbprint: string }>();

  constructor(private readonly options: RemoteBackendOptions) {
    // A process without the local back end (proxyLocal) opens no mailbox: its own server's are
    // reached through that server's back-end process, like any other server's.
    this.locator = new MailboxLocator(options.directory, options.serverName, !options.proxyLocal);
  }

  async open(request: BackendOpenRequest): Promise<BackendOpenResult> {
    const { protocol, log } = this.options;
    const { mailbox } = request.logon;
    const unavailable = { ok: false as const, response: notAvailable(protocol, request.tag, mailbox.primarySmtpAddress) };
    let target: Upstream;
    try {
      const location = await this.locator.locate(mailbox);
      if (!location.database.mounted) {
        log.info({ mailbox: mailbox.primarySmtpAddress, database: location.database.name }, 'logon for a mailbox whose database is dismounted');
        return unavailable;
      }
      const local = this.options.local();
      if (location.local && local) return local.open(request);
      if (location.local && !this.options.proxyLocal) return unavailable;
      const { localPath } = this.options;
      // This server's own back-end process (location.local is false in a front-end-only process).
      if (this.locator.isLocalServer(location.server.name) && localPath !== undefined && existsSync(localPath)) {
        target = { kind: 'local', server: location.server.name, path: localPath };
      } else {
        const settings = await this.options.directory.settings(protocol === 'imap' ? 'ImapSettings' : 'PopSettings', location.server.name);
        target = { kind: 'tls', target: await serverTarget(this.options.directory, location.server, SERVICE[protocol], Number(settings.ProxyTargetPort) + this.options.portOffset, this.options.serverName) };
      }
    } catch (err) {
      log.error({ err, mailbox: mailbox.primarySmtpAddress }, 'locating a mailbox failed');
      return unavailable;
    }
    const where = describeUpstream(target);
    let socket: Socket | undefined;
    try {
      socket = target.kind === 'tls' ? await this.connect(target.target) : await this.connectLocal(target.path);
      socket.write(encodeHandoff(this.handoffOf(request)));
      const { line, rest } = await readSocketLine(socket, ANSWER_LINE_LIMIT, ANSWER_TIMEOUT_MS);
      const answer = decodeAnswer(line);
      if (!answer.accepted) {
        socket.end();
        log.info({ server: where.server, mailbox: mailbox.primarySmtpAddress, reply: answer.response }, `${SERVICE[protocol]} on ${where.server} refused the logon`);
        return { ok: false, response: answer.response };
      }
      const upstream = socket;
      return { ok: true, session: { start: (connection) => this.relay(request, where.server, upstream, rest, connection) } };
    } catch (err) {
      socket?.destroy();
      log.warn({ ...where, mailbox: mailbox.primarySmtpAddress, err: (err as Error).message }, `the ${SERVICE[protocol]} of ${where.server} cannot be reached`);
      return unavailable;
    }
  }

  private handoffOf({ logon, tag, ctx, protocolLog }: BackendOpenRequest): Handoff {
    const { user, mailbox } = logon;
    return {
      protocol: this.options.protocol,
      sessionId: protocolLog?.sessionId ?? randomBytes(8).toString('hex').toUpperCase(),
      user: { id: user.id, upn: user.userPrincipalName },
      mailbox: { id: mailbox.id, address: mailbox.primarySmtpAddress },
      logonName: user.id === mailbox.id ? user.userPrincipalName : `${user.userPrincipalName}\\${mailbox.alias}`,
      client: { address: ctx.clientAddress, port: ctx.clientPort ?? 0 },
      frontEnd: this.options.serverName,
      ...(this.options.protocol === 'imap' ? { tag: tag ?? '*' } : {}),
    };
  }

  /**
   * A TLS connection to the target's proxy port: this server's certificate, the target's pinned.
   * The session is resumed when it can be (an abbreviated handshake: no signatures, no
   * certificate checks), with a session from an earlier connection to the same port that was
   * made with the same client certificate and whose server certificate is still one the
   * directory holds for the target. A ticket the server no longer accepts (it restarted) costs
   * nothing: the handshake is then a full one, checked as the first was.
   */
  private connect(target: ServerTarget): Promise<TLSSocket> {
    const me = this.options.identity();
    const cert = me && this.options.pickCertificate(me.certificates, this.options.protocol === 'imap' ? 'IMAP' : 'POP', me.server.fqdn);
    if (!cert) return Promise.reject(new Error(`${this.options.serverName} has no certificate to prove itself to the other servers; run New-ExchangeCertificate`));
    let secureContext = this.contexts.get(cert.thumbprint);
    if (!secureContext) {
      secureContext = createSecureContext({ cert: cert.certPem, key: cert.keyPem, minVersion: 'TLSv1.2' });
      this.contexts.set(cert.thumbprint, secureContext);
    }
    const pinned = new Set(target.thumbprints);
    const key = `${target.server.toLowerCase()} ${target.host} ${target.port} ${cert.thumbprint}`;
    let cached = this.sessions.get(key);
    if (cached && !pinned.has(cached.thumbprint)) {
      this.sessions.delete(key);
      cached = undefined;
    }
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({
        host: target.host,
        port: target.port,
        secureContext,
        // Whatever the name or the issuer, the certificate must be one the directory holds for that server.
        rejectUnauthorized: false,
        ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
        ...(cached ? { session: cached.session } : {}),
      });
      const timer = setTimeout(() => fail(new Error(`no TLS connection within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      // TLS 1.3 sends its tickets after the handshake, TLS 1.2 during it: keep the newest, once
      // the server it came from has been checked.
      let verified: string | undefined;
      let latest: Buffer | undefined;
      socket.on('session', (session: Buffer) => {
        latest = session;
        if (verified) this.rememberSession(key, session, verified);
      });
      socket.once('error', fail);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeListener('error', fail);
        socket.on('error', () => socket.destroy());
        // A resumed session proves the server holds the keys of the session checked before
        // (OpenSSL does not hand the certificate over again).
        const thumbprint = socket.isSessionReused() && cached ? cached.thumbprint : thumbprintOf(socket.getPeerCertificate());
        if (!thumbprint || !pinned.has(thumbprint)) {
          this.sessions.delete(key);
          socket.destroy();
          reject(new Error(`${target.server} presented certificate ${thumbprint ?? '(none)'}, which the directory does not hold for it`));
          return;
        }
        verified = thumbprint;
        if (latest) this.rememberSession(key, latest, thumbprint);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        resolve(socket);
      });
    });
  }

  private rememberSession(key: string, session: Buffer, thumbprint: string): void {
    // One entry per server, port and client certificate: a handful; bounded all the same.
    if (!this.sessions.has(key) && this.sessions.size >= MAX_CACHED_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(key, { session, thumbprint });
  }

  /** A connection to this server's back-end process over the local link. */
  private connectLocal(path: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ path });
      const timer = setTimeout(() => fail(new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', fail);
        socket.on('error', () => socket.destroy());
        resolve(socket);
      });
    });
  }

  /** Sends START and copies bytes both ways until either side closes. */
  private relay(request: BackendOpenRequest, server: string, upstream: Socket, early: Buffer, connection: DetachedConnection): void {
    const { protocol, log } = this.options;
    const client = connection.socket;
    const protocolLog = request.protocolLog;
    // The front end's line for the logon command ends here; the back end writes the reply's.
    const entry = protocolLog?.current;
    entry?.setStatus(`proxied to ${server}`);
    entry?.finish();
    if (client.destroyed) {
      upstream.destroy();
      protocolLog?.close('connection closed');
      return;
    }
    upstream.write(encodeStart({ tls: connection.tls, pending: connection.pending.subarray(0, PENDING_LIMIT) }));
    // More than a START line may carry goes first in the stream, where the back end reads on.
    if (connection.pending.length > PENDING_LIMIT) upstream.write(connection.pending.subarray(PENDING_LIMIT));
    if (early.length > 0) client.write(early);

    // Whether the client is waiting for a reply: it sent bytes after the back end's last ones.
    let awaitingReply = connection.pending.length > 0;
    // The end of what the back end sent: a session it ended itself (LOGOUT, autologout, the
    // service stopping) ended with its own BYE.
    let tail = early.subarray(-TAIL_BYTES).toString('latin1');
    let clientGone = false;
    let upstreamGone = false;
    // After COMPRESS DEFLATE (RFC 4978) nothing can be added to the back end's stream.
    let compressed = false;
    // POP3: QUIT sent and answered, so the back end's close is the session's normal end.
    let quitSent = false;
    let quitAnswered = false;
    const watch = (bytes: Buffer) => {
      const text = bytes.toString('latin1').toUpperCase();
      if (protocol === 'pop' && !quitSent && text.includes('QUIT')) quitSent = true;
      if (protocol === 'imap' && !compressed && text.includes(' COMPRESS DEFLATE')) compressed = true;
    };
    // The commands pipelined behind the logon may hold them too.
    watch(connection.pending.subarray(-SHORT_COMMAND));
    client.on('data', (chunk: Buffer) => {
      awaitingReply = true;
      // Both are short commands a client sends on their own, not inside a large write.
      if (chunk.length <= SHORT_COMMAND) watch(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      awaitingReply = false;
      if (quitSent) quitAnswered = true;
      tail = (tail + chunk.subarray(-TAIL_BYTES).toString('latin1')).slice(-TAIL_BYTES);
    });
    client.pipe(upstream);
    // Not ended with the back end's stream: what the client is told then is decided below.
    upstream.pipe(client, { end: false });
    client.on('error', () => client.destroy());
    client.once('close', () => {
      clientGone = true;
      if (!upstreamGone) upstream.end();
      protocolLog?.close('connection closed');
    });
    upstream.once('close', () => {
      upstreamGone = true;
      if (clientGone) return;
      client.unpipe(upstream);
      // The back end ended the session, or went away (crashed, cut off): then say so, and close.
      const atLineStart = tail === '' || tail.endsWith('\n');
      // POP3: the session is over without a word when the back end answered QUIT; otherwise
      // the client is told, unless the connection broke in the middle of a reply.
      const ended = protocol === 'imap' ? compressed || endedWithBye(tail) : quitAnswered;
      if (!ended) log.warn({ server: server, client: request.ctx.clientAddress, user: request.logon.user.userPrincipalName }, `the ${SERVICE[protocol]} of ${server} closed a proxied session`);
      const text = ended ? ''
        : protocol === 'imap' ? `${atLineStart ? '' : '\r\n'}* BYE [UNAVAILABLE] The connection to the mailbox server was lost; try again later.\r\n`
        : atLineStart && (awaitingReply || popReplyComplete(tail)) ? '-ERR [SYS/TEMP] The connection to the mailbox server was lost; try again later.\r\n' : '';
      protocolLog?.close(`mailbox server ${server} closed the connection`);
      client.end(text);
      setTimeout(() => client.destroy(), 5_000).unref();
    });
    client.resume();
  }
}
