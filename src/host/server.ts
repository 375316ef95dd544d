// `mailroom start`: the service supervisor. It reads the configuration, runs the services whose
// startup type says so, and re-reads the configuration whenever the directory's revision moves
// (checked several times a second), so an admin command from another process applies within a
// second: new bindings, banners, certificates, services started or stopped.
import { createSecureContext, type SecureContext } from 'node:tls';
import { Authenticator } from '../auth/authenticator.ts';
import type { LiveSession, SessionBackend } from '../auth/session-logon.ts';
import { MailboxDatabases } from '../backend/mailbox-databases.ts';
import { ImapBackend } from '../backend/imap-backend.ts';
import { Pop3Backend } from '../backend/pop3-backend.ts';
import { effectiveStates } from '../config/server-components.ts';
import { SERVICES, shouldRun, withProcessId, type ServiceName } from '../config/services.ts';
import { componentStateEntries } from '../directory/component-states.ts';
import { throttlingDirectory } from '../directory/throttling-policies.ts';
import { Directory, type Certificate, type Server } from '../directory/directory.ts';
import { MailboxUnavailable } from '../directory/mailbox-locator.ts';
import { ProtocolFrontend } from '../frontend/protocol-frontend.ts';
import type { CommonServiceDeps, ConfigSnapshot, FrontendProtocol, RunningService } from '../service/contracts.ts';
import { dataFolder, localLinkEnabled, portOffset } from '../lib/env.ts';
import { dataFolderWarning } from '../lib/private-files.ts';
import { localLinkPath, markRunningServer } from '../lib/running-servers.ts';
import { readProcessStatus, serveProcessStatus } from '../lib/process-status.ts';
import { registerSessionGauge, serviceMetrics } from '../lib/metrics.ts';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Server as NetServer } from 'node:net';
import { createLogger } from '../lib/log.ts';
import { ListenerError } from '../service/listeners.ts';
import { RemoteBackend } from '../frontend/remote-backend.ts';
import { BackendProxyListener } from '../backend/proxy-listener.ts';
import { CertificateWatch } from './certificate-watch.ts';
import { SUPERVISED_ENV, type AppliedMessage, type ChildRole, type ReadyMessage } from './supervisor.ts';
import { AcmeRenewal } from '../certificates/acme.ts';
import { ImportRunner } from '../migration/import-runner.ts';

export type Role = 'all' | 'frontend' | 'backend';

const ROLE_SERVICES: Record<Role, readonly ServiceName[]> = {
  all: SERVICES.map((s) => s.name),
  frontend: ['imap4', 'pop3', 'smtp', 'web'],
  backend: ['imap4-backend', 'pop3-backend', 'smtp-backend'],
};

// The choice itself lives in certificates/choice.ts; the host's services are handed it from here.
export { pickCertificate } from '../certificates/choice.ts';
import { pickCertificate } from '../certificates/choice.ts';

export class SecureContextCache {
  private readonly cache = new Map<string, SecureContext>();
  get(cert: Certificate): SecureContext {
    let ctx = this.cache.get(cert.thumbprint);
    if (!ctx) {
      ctx = createSecureContext({ cert: cert.certPem, key: cert.keyPem, minVersion: 'TLSv1.2' });
      this.cache.set(cert.thumbprint, ctx);
    }
    return ctx;
  }
}

/** What the host hands its services: what every service gets, and the open mailbox databases. */
export interface ServiceDeps extends CommonServiceDeps {
  databases: MailboxDatabases;
  tls: SecureContextCache;
}

type ServiceFactory = (snapshot: ConfigSnapshot, deps: ServiceDeps) => Promise<RunningService>;

function frontendFactory(protocol: FrontendProtocol): ServiceFactory {
  return async (snapshot, deps) => {
    const service = new ProtocolFrontend(protocol, deps, portOffset());
    try {
      await service.reconfigure(snapshot);
    } catch (err) {
      // One binding failed (a port in use): the ones already open must not stay behind, serving
      // sessions for a service the host does not know it runs.
      await service.stop();
      throw err;
    }
    return service;
  };
}

/**
 * The back ends serve the mailbox databases mounted on this server. Front ends in this process
 * reach them in-process; front ends on other servers (or in a front-end-only process of this
 * one) through the proxy port, ProxyTargetPort.
 */
/** A back end's session side, as the host drives it. */
interface LocalBackend extends SessionBackend {
  reconfigure(snapshot: ConfigSnapshot): void | Promise<void>;
  stop(): Promise<void>;
}

function backendFactory(protocol: FrontendProtocol, sessionsFor?: (snapshot: ConfigSnapshot, deps: ServiceDeps) => Promise<LocalBackend>): ServiceFactory {
  return async (snapshot, deps) => {
    const sessions = await sessionsFor?.(snapshot, deps);
    const proxy = sessions
      ? await BackendProxyListener.start(protocol, snapshot, {
        directory: deps.directory, authenticator: deps.authenticator, log: deps.log, portOffset: portOffset(), pickCertificate,
        secureContext: (certificate) => deps.tls.get(certificate), backend: sessions,
        ...(localLinkEnabled() ? { localPath: localLinkPath(dataFolder(), snapshot.server.name, protocol === 'imap' ? 'imap4-backend' : 'pop3-backend') } : {}),
      })
      : undefined;
    // Deleted messages leave Recoverable Items once DeletedItemRetention has passed.
    const purge = () => deps.databases.purgeExpired()
      .then((n) => { if (n > 0) deps.log.info({ purged: n }, 'recoverable items purged'); })
      .catch((err) => deps.log.error({ err }, 'purging recoverable items failed'));
    const timer = setInterval(purge, PURGE_INTERVAL_MS);
    timer.unref();
    void purge();
    return {
      describe: () => proxy?.describe() || 'in-process',
      reconfigure: async (next) => {
        await sessions?.reconfigure(next);
        await proxy?.reconfigure(next);
      },
      stop: async () => {
        clearInterval(timer);
        await sessions?.stop();
        await proxy?.stop();
      },
      ...(sessions ? { sessions } : {}),
    };
  };
}

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

const FACTORIES: Partial<Record<ServiceName, ServiceFactory>> = {
  // Loaded on first start, so hosts that never run the web service skip fastify.
  web: async (snapshot, deps) => (await import('../web/service.ts')).WebService.start(snapshot, deps),
  imap4: frontendFactory('imap'),
  pop3: frontendFactory('pop'),
  'imap4-backend': backendFactory('imap', async (snapshot, deps) => {
    const backend = new ImapBackend(deps, snapshot.imapSettings, snapshot.throttling);
    await backend.reconfigure(snapshot.imapSettings, snapshot.throttling);
    return {
      open: (request) => backend.open(request),
      liveSessions: () => backend.liveSessions(),
      // Every directory change may be a password reset or a removed FullAccess.
      reconfigure: async (next) => {
        await backend.reconfigure(next.imapSettings, next.throttling);
        await backend.endRevokedSessions();
        await backend.endUnmountedSessions();
      },
      stop: () => backend.stop(),
    };
  }),
  // Loaded on first start, so hosts that never run SMTP skip smtp-server, nodemailer and mailauth.
  // Mailboxes in databases mounted here are delivered to in-process; the others go to the mail
  // delivery port (2525) of the server that has their database.
  smtp: async (snapshot, deps) => {
    const [{ SmtpService }, { MailboxDelivery }, { DeliveryRouter }] = await Promise.all([
      import('../smtp/service.ts'), import('../backend/delivery.ts'), import('../backend/delivery-router.ts'),
    ]);
    const delivery = new DeliveryRouter({
      local: new MailboxDelivery(deps.directory, deps.databases), opensMailboxes: deps.opensMailboxes ?? true,
      directory: deps.directory, serverName: snapshot.server.name, log: deps.log, portOffset: portOffset(), pickCertificate,
    });
    const service = await SmtpService.start(snapshot, { ...deps, delivery, portOffset: portOffset(), pickCertificate });
    return {
      describe: () => service.describe(),
      reconfigure: (next) => service.reconfigure(next),
      stop: async () => {
        await service.stop();
        delivery.close();
      },
    };
  },
  // The back end's mail delivery port: LMTP on 2525 from the other servers' smtp services.
  'smtp-backend': async (snapshot, deps) => {
    const [{ LmtpDeliveryService }, { MailboxDelivery }] = await Promise.all([import('../backend/lmtp-delivery-listener.ts'), import('../backend/delivery.ts')]);
    return LmtpDeliveryService.start(snapshot, {
      directory: deps.directory, delivery: new MailboxDelivery(deps.directory, deps.databases), log: deps.log, portOffset: portOffset(), pickCertificate,
    });
  },
  'pop3-backend': backendFactory('pop', async (snapshot, deps) => {
    const backend = new Pop3Backend(deps, snapshot.popSettings, snapshot.throttling);
    return {
      open: (request) => backend.open(request),
      liveSessions: () => backend.liveSessions(),
      reconfigure: async (next) => {
        backend.reconfigure(next.popSettings, next.throttling);
        await backend.endRevokedSessions();
        await backend.endUnmountedSessions();
      },
      stop: () => backend.stop(),
    };
  }),
};

export class ServiceHost {
  private readonly running = new Map<ServiceName, RunningService>();
  private readonly unavailableLogged = new Set<ServiceName>();
  /** The Restart-Service serial each running service was started at. */
  private readonly startedAt = new Map<ServiceName, number>();
  private snapshot: ConfigSnapshot | undefined;
  private readonly certificateWatch: CertificateWatch;
  /** What services get: the host's dependencies, plus the way to the local back ends. */
  private readonly serviceDeps: ServiceDeps;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly serverName: string,
    private readonly role: Role,
  ) {
    this.certificateWatch = new CertificateWatch(deps.log);
    const backendService: Record<FrontendProtocol, ServiceName> = { pop: 'pop3-backend', imap: 'imap4-backend' };
    // After a logon the front ends go to the back end that has the mailbox: the one in this
    // process, or another server's (or this server's back-end process) through its proxy port.
    const routed = (protocol: FrontendProtocol) => new RemoteBackend({
      protocol, directory: deps.directory, serverName, log: deps.log, portOffset: portOffset(), pickCertificate,
      identity: () => this.snapshot && { server: this.snapshot.server, certificates: this.snapshot.certificates },
      local: () => this.running.get(backendService[protocol])?.sessions,
      proxyLocal: !ROLE_SERVICES[role].includes(backendService[protocol]),
      ...(localLinkEnabled() ? { localPath: localLinkPath(dataFolder(), serverName, backendService[protocol]) } : {}),
    });
    const backends: Record<FrontendProtocol, SessionBackend> = { imap: routed('imap'), pop: routed('pop') };
    this.serviceDeps = {
      ...deps,
      backendFor: (protocol) => backends[protocol],
      liveSessions: () => this.liveSessions(),
    };
  }

  async readSnapshot(): Promise<ConfigSnapshot> {
    const { directory } = this.deps;
    const revision = await directory.revision();
    const server = await directory.server(this.serverName);
    return {
      revision,
      server,
      popSettings: await directory.settings('PopSettings', server.name),
      imapSettings: await directory.settings('ImapSettings', server.name),
      certificates: await directory.certificates(server.name),
      webSettings: await directory.settings('WebSettings', server.name),
      receiveConnectors: await directory.receiveConnectors(server.name),
      transportConfig: await directory.settings('TransportConfig'),
      transportService: await directory.settings('TransportService', server.name),
      componentStates: effectiveStates(await componentStateEntries(directory, server.name)),
      throttling: await throttlingDirectory(directory),
      owaVirtualDirectory: await directory.settings('OwaVirtualDirectory', server.name),
    };
  }

  get revision(): number {
    return this.snapshot?.revision ?? -1;
  }

  /** Brings the running services in line with the configuration. */
  async reconcile(): Promise<void> {
    const snapshot = await this.readSnapshot();
    this.snapshot = snapshot;
    const records = await this.deps.directory.services(this.serverName);
    for (const record of records) {
      if (!ROLE_SERVICES[this.role].includes(record.name)) continue;
      const want = shouldRun(record.startupType, record.explicit);
      let current = this.running.get(record.name);
      if (want && current && this.startedAt.get(record.name) !== record.restartSerial) {
        // Restart-Service: stopped as on shutdown (its sessions end), then started afresh below.
        this.running.delete(record.name);
        await current.stop();
        this.deps.log.info({ service: record.name }, `${record.name} stopped for a restart`);
        current = undefined;
      }
      if (want && current) {
        await current.reconfigure(snapshot).catch((err) => this.deps.log.error({ err, service: record.name }, 'reconfiguration failed'));
      } else if (want && !current) {
        const factory = FACTORIES[record.name];
        if (!factory) {
          if (!this.unavailableLogged.has(record.name)) {
            this.unavailableLogged.add(record.name);
            this.deps.log.warn({ service: record.name }, `${record.name} is not part of this build yet; it stays stopped`);
          }
          continue;
        }
        try {
          this.running.set(record.name, await factory(snapshot, this.serviceDeps));
          this.startedAt.set(record.name, record.restartSerial);
          this.deps.log.info({ service: record.name, listening: this.running.get(record.name)!.describe() }, `${record.name} started`);
        } catch (err) {
          if (err instanceof ListenerError) throw err;
          this.deps.log.error({ err, service: record.name }, 'service failed to start');
        }
      } else if (!want && current) {
        this.running.delete(record.name);
        await current.stop();
        this.deps.log.info({ service: record.name }, `${record.name} stopped`);
      }
    }
    this.checkCertificates();
  }

  /** Logs served-certificate changes and warnings (expired, names not covered) of the front ends. */
  checkCertificates(): void {
    if (this.snapshot && this.role !== 'backend') this.certificateWatch.check(this.snapshot);
  }

  /** Every logged-on POP3 and IMAP4 session of the back ends this process runs. */
  liveSessions(): LiveSession[] {
    return [...this.running.values()].flatMap((s) => s.sessions?.liveSessions?.() ?? []);
  }

  status(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, service] of this.running) out[name] = service.describe() || 'running';
    return out;
  }

  async stopAll(): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((s) => s.stop()));
  }
}

/** What the heartbeat says of each running service: where it listens, and this process. */
function heartbeatStatus(host: ServiceHost): Record<string, string> {
  return Object.fromEntries(Object.entries(host.status()).map(([name, where]) => [name, withProcessId(where, process.pid)]));
}

const POLL_MS = 250;
const HEARTBEAT_MS = 1000;
const CERTIFICATE_CHECK_MS = 60 * 60 * 1000;

export async function runServer(options: { role: Role; server?: string }): Promise<number> {
  const log = createLogger({ role: options.role });
  // Checked before anything is created: a folder made by an older version, or copied with
  // another umask, keeps its modes, and only the admin should widen or narrow them.
  const exposed = dataFolderWarning(dataFolder());
  if (exposed) log.warn({ folder: dataFolder() }, exposed);
  const directory = await Directory.open();
  const org = await directory.organization();
  if (!org) {
    console.error('No organization here yet. Run `mailroom setup --organization NAME --domain DOMAIN --admin-password PW`, or `npm start` for the quickstart.');
    await directory.close();
    return 1;
  }
  let server: Server;
  try {
    // --server, MAILROOM_SERVER, the host name or the only server; refused when ambiguous.
    server = options.server === undefined ? await directory.localServer() : await directory.identifyAs(options.server);
    await directory.identifyAs(server.name);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    await directory.close();
    return 1;
  }
  // The mailboxes are opened where the back ends run; a front-end process reaches them there.
  const opensMailboxes = options.role !== 'frontend';
  // A process of one role reports only its services, beside the other role's process.
  const owned = options.role === 'all' ? undefined : ROLE_SERVICES[options.role];
  // restore and doctor --repair refuse to write under a running server (lib/running-servers.ts).
  const unmark = markRunningServer(dataFolder(), options.role);
  // The back-end process tells the front-end process its sessions and metrics (for the web).
  const statusPath = localLinkPath(dataFolder(), server.name, 'status');
  const deps: ServiceDeps = {
    directory, databases: new MailboxDatabases(directory, server.name, opensMailboxes), opensMailboxes, authenticator: new Authenticator(directory, log), log, tls: new SecureContextCache(),
    ...(options.role === 'frontend' && statusPath ? { backendStatus: () => readProcessStatus(statusPath) } : {}),
  };
  const host = new ServiceHost(deps, server.name, options.role);
  try {
    await host.reconcile();
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    await host.stopAll();
    await directory.close();
    unmark();
    return 1;
  }
  await directory.reportServerStatus(server.name, heartbeatStatus(host), owned);
  // Certificates from an ACME CA are renewed where clients are served (the front ends).
  const renewal = options.role === 'backend' ? undefined : new AcmeRenewal(directory, server.name, log);
  await renewal?.refresh().catch((err) => log.error({ err }, 'ACME: reading the managed certificates failed'));
  // Mailbox import requests for the databases mounted here run in this process, with the same
  // open stores as the sessions, so clients see imported mail arrive.
  const imports = options.role === 'frontend' ? null : new ImportRunner({
    directory, log,
    storeFor: (mailbox) => deps.databases.storeFor(mailbox).catch((err: unknown) => {
      if (err instanceof MailboxUnavailable) return null;
      throw err;
    }),
  });
  imports?.start();
  let statusServer: NetServer | undefined;
  if (options.role === 'backend' && statusPath) {
    const registry = new Registry();
    registerSessionGauge(registry, () => host.liveSessions());
    collectDefaultMetrics({ register: registry });
    const merged = Registry.merge([registry, serviceMetrics]);
    statusServer = await serveProcessStatus(statusPath, async () => ({ sessions: host.liveSessions(), metrics: await merged.getMetricsAsJSON() }),
      (err) => log.error({ err }, 'the status socket for the front-end process failed'))
      .catch((err: unknown) => {
        log.error({ err, path: statusPath }, 'the status socket for the front-end process cannot listen');
        return undefined;
      });
  }
  const listening = Object.entries(host.status()).map(([name, where]) => `${name} ${where}`).join('; ');
  const supervised = process.env[SUPERVISED_ENV] !== undefined && typeof process.send === 'function' && options.role !== 'all';
  // An admin (and a test) can see when a change reached the running services: under the
  // supervisor, it logs the one line for the server once both processes have applied it.
  const reportApplied = () => {
    if (!supervised) {
      log.info({ revision: host.revision }, `configuration revision ${host.revision} applied`);
      return;
    }
    log.debug({ revision: host.revision }, `${options.role} process now at configuration revision ${host.revision}`);
    if (process.connected) process.send!({ type: 'mailroom-applied', role: options.role as ChildRole, revision: host.revision } satisfies AppliedMessage);
  };
  if (supervised) {
    // Under `mailroom start --split` the supervisor logs the one ready line for the server.
    log.info({ server: server.name, role: options.role, services: host.status() }, `${options.role} process ready on ${server.name}: ${listening || 'no services running'}`);
    const ready: ReadyMessage = { type: 'mailroom-ready', role: options.role as ChildRole, server: server.name, fqdn: server.fqdn, services: host.status() };
    process.send!(ready);
    reportApplied();
  } else {
    log.info({ server: server.name, role: options.role, services: host.status() }, `Mailroom ready on ${server.name} (${server.fqdn}): ${listening || 'no services running'}`);
  }

  let stopping = false;
  let busy = false;
  const poll = setInterval(async () => {
    if (busy || stopping) return;
    busy = true;
    try {
      if ((await directory.revision()) !== host.revision) {
        await host.reconcile();
        // Dismount-Database: the back ends ended their sessions on it in reconcile; its store closes now.
        const closed = await deps.databases.closeUnmounted();
        if (closed.length > 0) log.info({ databases: closed }, 'mailbox databases closed: no longer mounted on this server');
        await directory.reportServerStatus(server.name, heartbeatStatus(host), owned);
        await renewal?.refresh();
        reportApplied();
      }
    } catch (err) {
      log.error({ err }, 'applying a configuration change failed');
    } finally {
      busy = false;
    }
  }, POLL_MS);
  const certificateCheck = setInterval(() => host.checkCertificates(), CERTIFICATE_CHECK_MS);
  certificateCheck.unref();
  const heartbeat = setInterval(() => {
    if (!stopping) directory.reportServerStatus(server.name, heartbeatStatus(host), owned).catch((err) => log.error({ err }, 'heartbeat failed'));
  }, HEARTBEAT_MS);

  return new Promise<number>((resolve) => {
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      clearInterval(poll);
      clearInterval(heartbeat);
      clearInterval(certificateCheck);
      while (busy) await new Promise((r) => setTimeout(r, 20));
      await renewal?.stop();
      await imports?.stop();
      statusServer?.close();
      await host.stopAll();
      await deps.databases.closeAll();
      await directory.reportServerStatus(server.name, {}, owned).catch(() => undefined);
      await directory.close();
      unmark();
      log.info('stopped');
      // The IPC channel to the supervisor would keep this process alive.
      if (supervised && process.connected) process.disconnect();
      resolve(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
    // A supervised process whose supervisor is gone (killed with SIGKILL) stops too, rather
    // than holding the ports a new supervisor's processes need.
    if (supervised) process.once('disconnect', () => void stop('supervisor gone'));
  });
}
