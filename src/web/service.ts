// The `web` service (Exchange's W3SVC): HTTP and HTTPS listeners for the settings pages, the
// admin center, automatic client setup, /healthz and /metrics.
//
// Bindings are fixed for now, [::]:80 and 0.0.0.0:80 for HTTP and the same on 443 for HTTPS
// (plus MAILROOM_PORT_OFFSET), because there is no web settings object in the directory yet.
// HTTPS uses the certificate enabled for IIS (Enable-ExchangeCertificate -Services IIS),
// chosen again at every connection, so a new certificate applies without a restart.
import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import { ListenerSet, type ListenerSpec } from '../service/listeners.ts';
import type { MailboxDatabases } from '../backend/mailbox-databases.ts';
import type { CommonServiceDeps, ConfigSnapshot, RunningService } from '../service/contracts.ts';
import { pickCertificate } from '../certificates/choice.ts';
import { acmeAlpnChallenges } from '../certificates/acme.ts';
import { portOffset as environmentPortOffset } from '../lib/env.ts';
import { buildApp } from './app.ts';
import type { WebContext } from './context.ts';
import { WebMetrics } from './metrics.ts';
import { SessionStore } from './sessions.ts';
import { NetworkDelivery } from '../backend/delivery-router.ts';
import { MailboxLocator } from '../directory/mailbox-locator.ts';

export const WEB_HTTP_BINDINGS = ['[::]:80', '0.0.0.0:80'] as const;
export const WEB_HTTPS_BINDINGS = ['[::]:443', '0.0.0.0:443'] as const;
const ALPN_POLL_MS = 1000;
/** How often expired and revoked sign-in sessions are deleted from the directory. */
const SESSION_SWEEP_MS = 60_000;

/** What the web service is handed: every service's dependencies and the open mailbox databases. */
export interface WebServiceDeps extends CommonServiceDeps {
  databases: MailboxDatabases;
}

export class WebService implements RunningService {
  private snapshot: ConfigSnapshot;
  private readonly listeners: ListenerSet;
  private readonly app: FastifyInstance;
  private readonly server: Server;
  private readonly metrics: WebMetrics;
  private readonly webSessions: SessionStore;
  /** XQUOTA to the server holding a mailbox, for the usage figures; made on first use. */
  private network: NetworkDelivery | undefined;
  private readonly sessionSweep: NodeJS.Timeout;
  /** Whether HTTPS was open after the last reconfiguration; undefined before the first. */
  private httpsOpen: boolean | undefined;

  private constructor(snapshot: ConfigSnapshot, private readonly deps: WebServiceDeps, portOffset: number) {
    this.snapshot = snapshot;
    this.webSessions = new SessionStore(deps.directory);
    this.metrics = new WebMetrics(deps.authenticator, () => this.webSessions.count(), () => deps.liveSessions?.() ?? []);
    this.sessionSweep = setInterval(() => void this.sweepSessions(), SESSION_SWEEP_MS);
    this.sessionSweep.unref();
    const serverName = snapshot.server.name;
    const ctx: WebContext = {
      directory: deps.directory,
      databases: deps.databases,
      authenticator: deps.authenticator,
      log: deps.log,
      metrics: this.metrics,
      sessions: this.webSessions,
      serverName: () => this.snapshot.server.name,
      locator: new MailboxLocator(deps.directory, serverName, deps.opensMailboxes ?? true),
      remoteQuota: (mailbox) => {
        this.network ??= new NetworkDelivery({ directory: deps.directory, serverName, log: deps.log, portOffset, pickCertificate });
        return this.network.quota(mailbox);
      },
      httpsPort: 443 + portOffset,
      liveSessions: async () => {
        const here = deps.liveSessions?.() ?? [];
        if (!deps.backendStatus) return here;
        try {
          return [...here, ...(await deps.backendStatus()).sessions];
        } catch (err) {
          deps.log.warn({ err: (err as Error).message }, 'web: the back-end process did not say which sessions it serves');
          return here;
        }
      },
      ...(deps.backendStatus ? { backendStatus: deps.backendStatus } : {}),
      listenerKind: (socket) => this.monitoringDoor(socket),
    };
    ({ app: this.app, server: this.server } = buildApp(ctx));
    this.listeners = new ListenerSet({
      log: deps.log,
      portOffset,
      secureContext: () => this.secureContext()!,
      alpn: (socket, hello) => this.chooseAlpn(socket, hello),
      onConnection: (socket: Socket) => this.server.emit('connection', socket),
    });
    this.alpnPoll = setInterval(() => void this.readAlpnChallenges(), ALPN_POLL_MS);
    this.alpnPoll.unref();
    // Set-WebSettings -MetricsBindings: a separate plain-HTTP door for monitoring only.
    this.metricsListeners = new ListenerSet({
      log: deps.log,
      portOffset,
      secureContext: () => this.secureContext()!,
      onConnection: (socket: Socket) => {
        this.metricsSockets.add(socket);
        this.server.emit('connection', socket);
      },
    });
  }

  private readonly metricsListeners: ListenerSet;

  private sweeping = false;

  private async sweepSessions(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const { expired, revoked } = await this.webSessions.sweep();
      if (expired + revoked > 0) this.deps.log.info({ expired, revoked }, 'web: sign-in sessions ended');
    } catch (err) {
      this.deps.log.error({ err }, 'web: deleting ended sign-in sessions failed');
    } finally {
      this.sweeping = false;
    }
  }
  /** ACME TLS-ALPN-01 answers waiting, by host name (RFC 8737), read from the directory every second. */
  private alpnChallenges = new Map<string, { certPem: string; keyPem: string }>();
  private readonly alpnPoll: NodeJS.Timeout;

  private async readAlpnChallenges(): Promise<void> {
    try {
      this.alpnChallenges = await acmeAlpnChallenges(this.deps.directory);
    } catch (err) {
      this.deps.log.error({ err }, 'ACME: reading the TLS-ALPN-01 answers failed');
    }
  }

  /**
   * ALPN on 443: a validation connection (acme-tls/1, RFC 8737 §3) for a name with an answer
   * waiting gets the challenge certificate; everyone else gets HTTP/1.1, or no ALPN at all
   * when they offer neither (the connection is then refused, as Node.js must answer ALPN once
   * it takes part in it).
   */
  private chooseAlpn(socket: TLSSocket, hello: { servername: string; protocols: string[] }): string | undefined {
    if (hello.protocols.includes('acme-tls/1')) {
      const answer = this.alpnChallenges.get((hello.servername ?? '').toLowerCase());
      if (answer) {
        socket.setKeyCert({ cert: answer.certPem, key: answer.keyPem });
        this.deps.log.info({ servername: hello.servername }, 'ACME: answered a TLS-ALPN-01 challenge');
        return 'acme-tls/1';
      }
    }
    return hello.protocols.includes('http/1.1') ? 'http/1.1' : undefined;
  }
  private readonly metricsSockets = new WeakSet<object>();

  /** Where a request may reach /metrics and /healthz, and where only they may be reached. */
  private monitoringDoor(socket: object): 'pages' | 'monitoring' | 'shared' {
    if (this.metricsSockets.has(socket)) return 'monitoring';
    return (this.snapshot.webSettings.MetricsBindings as string[]).length > 0 ? 'pages' : 'shared';
  }

  static async start(snapshot: ConfigSnapshot, deps: WebServiceDeps, portOffset = environmentPortOffset()): Promise<WebService> {
    const service = new WebService(snapshot, deps, portOffset);
    await service.app.ready();
    // The server never listens itself, so its request and header timeouts, which start on
    // 'listening', are switched on here: a slow client cannot hold a connection forever.
    service.server.emit('listening');
    try {
      await service.reconfigure(snapshot);
    } catch (err) {
      await service.stop();
      throw err;
    }
    return service;
  }

  private secureContext(): SecureContext | undefined {
    const cert = pickCertificate(this.snapshot.certificates, 'IIS');
    return cert ? this.deps.tls.get(cert) : undefined;
  }

  describe(): string {
    const metrics = this.metricsListeners.describe();
    return [...this.listeners.describe(), ...metrics.map((m) => `${m} (metrics)`)].join(', ');
  }

  async reconfigure(snapshot: ConfigSnapshot): Promise<void> {
    // Called at every directory change: a password set or an account disabled there ends the
    // rows of its web sessions now, as the back ends end its POP3 and IMAP4 sessions.
    if (this.snapshot !== snapshot) void this.sweepSessions();
    this.snapshot = snapshot;
    const specs: ListenerSpec[] = WEB_HTTP_BINDINGS.map((binding) => ({ binding, implicitTls: false }));
    // Without any certificate there is no HTTPS, and so no sign-in; autoconfig and health still answer.
    const https = this.secureContext() !== undefined;
    if (https) specs.push(...WEB_HTTPS_BINDINGS.map((binding) => ({ binding, implicitTls: true })));
    if (!https && this.httpsOpen !== false) this.deps.log.warn('web: no certificate, so HTTPS stays closed; run New-ExchangeCertificate');
    this.httpsOpen = https;
    await this.listeners.reconcile(specs);
    await this.metricsListeners.reconcile((snapshot.webSettings.MetricsBindings as string[]).map((binding) => ({ binding, implicitTls: false })));
  }

  async stop(): Promise<void> {
    clearInterval(this.alpnPoll);
    clearInterval(this.sessionSweep);
    this.network?.close();
    await this.listeners.closeAll(true);
    await this.metricsListeners.closeAll(true);
    await this.app.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.metrics.dispose();
  }
}
