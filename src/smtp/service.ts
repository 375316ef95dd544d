// The `smtp` service (Exchange's Front End Transport): one SMTP listener set per enabled receive
// connector of this server, following the directory live. A Set-ReceiveConnector reaches it with
// the next configuration snapshot: new bindings open, removed ones close, a disabled connector
// stops, and the other settings apply to new commands at once.
import type { Authenticator } from '../auth/authenticator.ts';
import type { SettingsDocument } from '../config/model.ts';
import { receiveLogLimits } from '../config/transport-service.ts';
import { ALL_ACTIVE, type EffectiveComponentStates } from '../config/server-components.ts';
import { NO_THROTTLING, type ThrottlingDirectory } from '../config/throttling-policy.ts';
import type { Certificate, Directory, ReceiveConnector, Server } from '../directory/directory.ts';
import { dataFolder } from '../lib/env.ts';
import type { Logger } from '../lib/log.ts';
import { rewriteCalendarParts, type CalendarSettings } from './calendar.ts';
import { saveMeeting } from './meetings.ts';
import { setQueueSizeSource } from '../lib/metrics.ts';
import { readConnector } from './connector-config.ts';
import { certificateNameOf, ConnectorRuntime } from './connector-runtime.ts';
import type { InboundChecker, OutboundQueue, RecipientRewriter, SmtpContext } from './context.ts';
import type { LocalDelivery } from './delivery.ts';
import { systemResolver, type DnsResolver } from './dns.ts';
import { MailauthChecker } from './inbound-auth.ts';
import { SharedBindings } from './listeners.ts';
import { OutboundQueueRunner } from './queue/outbound-queue.ts';
import { receiveLogFolder, SmtpReceiveLog } from './receive-log.ts';
import { SubmissionRate } from './submission-policy.ts';

/** The part of the host's configuration snapshot the SMTP service reads. */
export interface SmtpSnapshot {
  server: Server;
  receiveConnectors: ReceiveConnector[];
  transportConfig: SettingsDocument;
  certificates: Certificate[];
  /** CalendarItemRetrievalOption and OwaServerUrl of the POP3 and IMAP4 services. */
  popSettings: SettingsDocument;
  imapSettings: SettingsDocument;
  /** Set-TransportService: the receive protocol log's age and size limits (Exchange's defaults when absent). */
  transportService?: SettingsDocument;
  /** Set-ServerComponentState: FrontendTransport and HubTransport decide what this service takes. */
  componentStates: EffectiveComponentStates;
  /** Throttling policies: MessageRateLimit of authenticated submitters. */
  throttling: ThrottlingDirectory;
  /** InternalUrl and ExternalUrl of Outlook on the web, where meeting links lead. */
  owaVirtualDirectory?: SettingsDocument;
}

export interface SmtpServiceDeps {
  directory: Directory;
  authenticator: Authenticator;
  log: Logger;
  delivery: LocalDelivery;
  portOffset: number;
  /** The host's certificate choice (X509/TlsCertificateName match, else one enabled for SMTP). */
  pickCertificate(certificates: Certificate[], service: 'SMTP', name: string | null, explicit?: boolean): Certificate | undefined;
  /** DNS for SPF/DKIM/DMARC and MX routing; the system resolver when absent. */
  dns?: DnsResolver;
  /** SPF/DKIM/DMARC checks for Internet mail; mailauth over `dns` when absent. */
  inbound?: InboundChecker;
  /** The outbound queue; the SQLite queue in `dataFolder` when absent. */
  outbound?: OutboundQueue & { stop?(): Promise<void> };
  /** Where the outbound queue lives; MAILROOM_DATA when absent. */
  dataFolder?: string;
  rewriteForRecipient?: RecipientRewriter;
}

export class SmtpService {
  private readonly connectors = new Map<string, ConnectorRuntime>();
  /** Connectors removed or disabled whose sessions are still finishing. */
  private readonly stopping = new Set<Promise<void>>();
  private readonly ctx: SmtpContext;
  /** This server's FQDN, for the queue's EHLO and reports; follows the snapshot. */
  private fqdn = '';
  private calendar: CalendarSettings = { popSettings: {}, imapSettings: {}, serverFqdn: '' };
  private components: EffectiveComponentStates = ALL_ACTIVE;
  private throttling: ThrottlingDirectory = NO_THROTTLING;
  private readonly receiveLog: SmtpReceiveLog;
  /** One listener per binding, shared by the connectors that name it (RemoteIPRanges choose). */
  private readonly bindings: SharedBindings;

  private constructor(private readonly deps: SmtpServiceDeps) {
    this.bindings = new SharedBindings({ log: deps.log, portOffset: deps.portOffset });
    this.receiveLog = new SmtpReceiveLog(
      receiveLogFolder(deps.dataFolder ?? dataFolder()),
      (err) => deps.log.error({ err }, 'smtp: receive protocol log not written'),
      (result) => deps.log.info({ deleted: result.deleted, keptBytes: result.keptBytes }, `smtp: ${result.deleted.length} receive protocol log files deleted (ReceiveProtocolLogMaxAge / ReceiveProtocolLogMaxDirectorySize)`),
    );
    this.ctx = {
      directory: deps.directory,
      authenticator: deps.authenticator,
      log: deps.log,
      delivery: deps.delivery,
      rate: new SubmissionRate(),
      componentStates: () => this.components,
      throttling: () => this.throttling,
      inbound: deps.inbound ?? new MailauthChecker(deps.dns ?? systemResolver, deps.log),
      ...(deps.outbound ? { outbound: deps.outbound } : {}),
      rewriteForRecipient: deps.rewriteForRecipient ?? ((message, mailbox) => rewriteCalendarParts(message, mailbox, this.calendar, (uid, ical) => {
        // The link in the message is the only copy the recipient gets; the view needs the original.
        saveMeeting(deps.directory, mailbox.id, uid, ical).catch((err) => deps.log.error({ err }, 'smtp: meeting request not kept for the web view'));
      })),
    };
  }

  static async start(snapshot: SmtpSnapshot, deps: SmtpServiceDeps): Promise<SmtpService> {
    let outbound = deps.outbound;
    if (!outbound) {
      const holder: { service?: SmtpService } = {};
      const runner = await OutboundQueueRunner.open({
        dataFolder: deps.dataFolder ?? dataFolder(), directory: deps.directory, resolver: deps.dns ?? systemResolver,
        delivery: deps.delivery, log: deps.log, fqdn: () => holder.service?.fqdn || snapshot.server.fqdn,
        // HubTransport Inactive holds the queue: nothing leaves until it is Active (or Draining) again.
        held: () => (holder.service?.components ?? snapshot.componentStates).HubTransport === 'Inactive',
      });
      outbound = runner;
      setQueueSizeSource(async () => (await runner.store.messages()).length);
      holder.service = new SmtpService({ ...deps, outbound });
      await holder.service.reconfigure(snapshot);
      return holder.service;
    }
    const service = new SmtpService(deps);
    await service.reconfigure(snapshot);
    return service;
  }

  describe(): string {
    return [...this.connectors.values()]
      .map((c) => c.describe().join(', '))
      .filter((d) => d !== '')
      .join(', ');
  }

  async reconfigure(snapshot: SmtpSnapshot): Promise<void> {
    this.fqdn = snapshot.server.fqdn;
    this.components = snapshot.componentStates;
    this.throttling = snapshot.throttling;
    this.calendar = {
      popSettings: snapshot.popSettings, imapSettings: snapshot.imapSettings, serverFqdn: snapshot.server.fqdn,
      ...(snapshot.owaVirtualDirectory ? { owaVirtualDirectory: snapshot.owaVirtualDirectory } : {}),
    };
    this.receiveLog.setLimits(receiveLogLimits(snapshot.transportService));
    const mine = snapshot.receiveConnectors
      .filter((c) => c.server.toLowerCase() === snapshot.server.name.toLowerCase())
      .map((c) => readConnector(c, snapshot.transportConfig))
      .filter((c) => c.enabled);
    const wanted = new Set(mine.map((c) => c.identity));
    for (const [identity, runtime] of this.connectors) {
      if (!wanted.has(identity)) {
        this.connectors.delete(identity);
        // Not awaited: open sessions get a grace period, and the other connectors must not wait for it.
        const stopped = runtime.stop().then(() => this.deps.log.info({ connector: identity }, 'smtp: connector stopped'));
        this.stopping.add(stopped);
        void stopped.finally(() => this.stopping.delete(stopped));
      }
    }
    for (const config of mine) {
      let runtime = this.connectors.get(config.identity);
      if (!runtime) {
        runtime = new ConnectorRuntime(config, this.ctx, this.deps.log, this.deps.portOffset, this.receiveLog, this.bindings);
        this.connectors.set(config.identity, runtime);
      }
      const certificate = this.deps.pickCertificate(snapshot.certificates, 'SMTP', certificateNameOf(config), config.tlsCertificateName !== null);
      try {
        await runtime.update(config, certificate);
      } catch (err) {
        // One connector that cannot bind (port 25 taken by a local MTA) must not stop the others.
        this.deps.log.error({ err, connector: config.identity }, `smtp: connector "${config.name}" cannot listen: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  async stop(graceMs?: number): Promise<void> {
    setQueueSizeSource(undefined);
    const all = [...this.connectors.values()];
    this.connectors.clear();
    await Promise.all([...all.map((c) => c.stop(graceMs)), ...this.stopping]);
    await this.deps.outbound?.stop?.();
    await this.ctx.inbound?.close?.();
    this.receiveLog.close();
  }
}
