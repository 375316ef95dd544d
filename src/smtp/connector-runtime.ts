// One receive connector while it runs: its listeners and the smtp-server instance that speaks
// SMTP on the accepted sockets. Settings smtp-server takes at construction (name, TLS, SIZE, the
// EHLO extensions, the idle timeout) get a new instance for new connections when they change;
// sessions already open finish on the instance they started with. Everything else is read per
// command and applies at once.
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { Certificate } from '../directory/directory.ts';
import { tlsCertificateHost } from '../lib/certificates.ts';
import type { Logger } from '../lib/log.ts';
import { serverShapeKey, type ConnectorConfig } from './connector-config.ts';
import type { SmtpContext } from './context.ts';
import { ConnectorListeners, stopSmtpServers, type SharedBindings } from './listeners.ts';
import { MessageIntake } from './message-intake.ts';
import { receiveLogger, type SmtpReceiveLog } from './receive-log.ts';
import { SmtpReply } from './replies.ts';
import { SessionHandlers } from './session-handlers.ts';

/** How long sessions may finish after a connector is stopped before they are cut. */
const CLOSE_GRACE_MS = 5000;

/** The certificate name in -TlsCertificateName (`<I>issuer<S>CN=host` gives `host`), else the FQDN. */
export function certificateNameOf(config: ConnectorConfig): string {
  return tlsCertificateHost(config.tlsCertificateName) ?? config.fqdn;
}

export class ConnectorRuntime {
  private config: ConnectorConfig;
  private certificate: Certificate | undefined;
  private server: SMTPServer | undefined;
  private shape = '';
  /** Instances replaced by a reconfiguration, kept until they are stopped. */
  private readonly retired = new Set<SMTPServer>();
  private readonly listeners: ConnectorListeners;
  private readonly handlers: SessionHandlers;
  private readonly intake: MessageIntake;

  constructor(
    config: ConnectorConfig,
    private readonly ctx: SmtpContext,
    private readonly log: Logger,
    portOffset: number,
    private readonly receiveLog: SmtpReceiveLog,
    bindings: SharedBindings,
  ) {
    this.config = config;
    this.handlers = new SessionHandlers(ctx, () => this.config);
    this.intake = new MessageIntake(ctx, this.handlers, () => this.config);
    this.listeners = new ConnectorListeners({
      log,
      portOffset,
      limits: () => ({ total: this.config.maxInboundConnections, perSource: this.config.maxConnectionsPerSource, implicitTls: this.config.implicitTls }),
      onSocket: (socket: Socket) => this.accept(socket),
      shared: { bindings, identity: config.identity, ranges: () => this.config.remoteIpRanges },
    });
  }

  describe(): string[] {
    return this.listeners.describe();
  }

  get identity(): string {
    return this.config.identity;
  }

  /** Applies new settings and certificate; opens and closes listeners to match Bindings. */
  async update(config: ConnectorConfig, certificate: Certificate | undefined): Promise<void> {
    this.config = config;
    this.certificate = certificate;
    if (config.implicitTls && !certificate) {
      this.log.error({ connector: config.identity }, 'smtp: the connector needs a certificate for implicit TLS; run New-ExchangeCertificate');
      await this.listeners.reconcile([]);
      return;
    }
    const shape = serverShapeKey(config, certificate?.thumbprint);
    for (const old of this.retired) if (old.connections.size === 0) this.retired.delete(old);
    if (!this.server || shape !== this.shape) {
      if (this.server) this.retired.add(this.server);
      this.server = this.createServer(config, certificate);
      this.shape = shape;
    }
    await this.listeners.reconcile(config.bindings);
  }

  private accept(socket: Socket): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    // The instance's own net.Server never listens: sockets arrive from our listeners.
    this.server.server.emit('connection', socket);
  }

  private createServer(config: ConnectorConfig, certificate: Certificate | undefined): SMTPServer {
    const disabled: string[] = [];
    if (!config.startTls || config.implicitTls || !certificate) disabled.push('STARTTLS');
    if (!config.basicAuth) disabled.push('AUTH');
    const handlers = this.handlers;
    const options: SMTPServerOptions = {
      name: config.fqdn,
      heloResponse: '%s Hello %s',
      secure: config.implicitTls,
      ...(certificate ? { key: certificate.keyPem, cert: certificate.certPem } : {}),
      minVersion: 'TLSv1.2',
      ...(config.sizeAdvertisement !== 'Disabled' ? { size: config.maxMessageSize } : {}),
      hideSize: config.sizeAdvertisement === 'EnabledWithoutValue',
      // SCRAM-SHA-256 is answered by scram-auth.ts; the library handles the other two.
      authMethods: ['PLAIN', 'LOGIN', 'SCRAM-SHA-256'],
      // Whether AUTH is required, and when it may be used, is decided per session (session-handlers.ts).
      authOptional: true,
      allowInsecureAuth: true,
      maxAllowedUnauthenticatedCommands: false,
      disabledCommands: disabled,
      hidePIPELINING: !config.pipelining,
      hide8BITMIME: !config.eightBitMime,
      hideSMTPUTF8: !config.smtpUtf8,
      hideENHANCEDSTATUSCODES: !config.enhancedStatusCodes,
      hideDSN: !config.dsn,
      hideREQUIRETLS: true,
      disableReverseLookup: true,
      // smtp-server's own log events feed the receive protocol log (ProtocolLoggingLevel Verbose).
      logger: receiveLogger({
        log: this.receiveLog,
        connector: () => this.config.identity,
        enabled: () => this.config.protocolLogging,
        session: (id) => handlers.sessions.get(id)?.endpoints,
      }),
      socketTimeout: config.inactivityTimeoutMs,
      closeTimeout: CLOSE_GRACE_MS,
      onConnect(session, callback) {
        handlers.onConnect(server, session, callback);
      },
      onSecure: (_socket, session, callback) => handlers.onSecure(session, callback),
      onAuth: (auth, session, callback) => handlers.onAuth(auth, session, callback),
      onMailFrom: (address, session, callback) => handlers.onMailFrom(address, session, callback),
      onRcptTo: (address, session, callback) => handlers.onRcptTo(address, session, callback),
      onData: (stream, session, callback) => this.onData(stream, session, callback),
      onClose: (session) => handlers.onClose(session),
    };
    const server = new SMTPServer(options);
    server.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'SocketError') return;
      this.log.info({ err, connector: config.identity }, 'smtp: connection error');
    });
    return server;
  }

  private onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void): void {
    this.intake.receive(stream, session).then(
      (text) => callback(null, text),
      (err: unknown) => {
        stream.resume();
        if (err instanceof SmtpReply) {
          this.log.info({ client: session.remoteAddress, reply: `${err.responseCode} ${err.message}` }, 'smtp: message refused');
          callback(Object.assign(new Error(err.message), { responseCode: err.responseCode }));
        } else {
          this.log.error({ err }, 'smtp: message handling failed');
          callback(Object.assign(new Error('4.3.0 Temporary server error, try again later'), { responseCode: 451 }));
        }
      },
    );
  }

  /**
   * Stops listening and ends the sessions: each gets 421 at its next command, and whatever is
   * still open after the grace period is cut.
   */
  async stop(graceMs = CLOSE_GRACE_MS): Promise<void> {
    const servers = [...this.retired, ...(this.server ? [this.server] : [])];
    this.retired.clear();
    this.server = undefined;
    await stopSmtpServers(this.listeners, servers, graceMs);
  }
}
