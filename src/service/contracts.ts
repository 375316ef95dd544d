// What the host (src/host/server.ts) and the services it runs agree on: the configuration
// snapshot a service starts and is reconfigured with, what a running service offers the host,
// and the dependencies every service is handed. The services (frontend/, web/, backend/) take
// these from here, not from host/, so they do not depend on the process that composes them.
import type { SecureContext } from 'node:tls';
import type { Authenticator } from '../auth/authenticator.ts';
import type { LiveSession, SessionBackend } from '../auth/session-logon.ts';
import type { SettingsDocument } from '../config/model.ts';
import type { EffectiveComponentStates } from '../config/server-components.ts';
import type { ThrottlingDirectory } from '../config/throttling-policy.ts';
import type { Certificate, Directory, ReceiveConnector, Server } from '../directory/directory.ts';
import type { Logger } from '../lib/log.ts';
import type { ProcessStatus } from '../lib/process-status.ts';

/** The client protocols that have a front end and a back end. */
export type FrontendProtocol = 'imap' | 'pop';

/** Everything a service needs from the configuration, read in one go at each revision. */
export interface ConfigSnapshot {
  revision: number;
  server: Server;
  popSettings: SettingsDocument;
  imapSettings: SettingsDocument;
  certificates: Certificate[];
  /** Where the web service's monitoring endpoints listen (Set-WebSettings). */
  webSettings: SettingsDocument;
  /** This server's receive connectors and the organization's transport limits, for the smtp service. */
  receiveConnectors: ReceiveConnector[];
  transportConfig: SettingsDocument;
  /** Set-TransportService: how much of the receive protocol log is kept. */
  transportService: SettingsDocument;
  /** Set-ServerComponentState for this server: what each component may do now. */
  componentStates: EffectiveComponentStates;
  /** The organization's throttling policies and who is associated with which. */
  throttling: ThrottlingDirectory;
  /** InternalUrl and ExternalUrl of Outlook on the web, for meeting links (Set-OwaVirtualDirectory). */
  owaVirtualDirectory: SettingsDocument;
}

export interface RunningService {
  /** What it listens on, for the ready line and Get-Service; empty when it has no listener. */
  describe(): string;
  reconfigure(snapshot: ConfigSnapshot): Promise<void>;
  stop(): Promise<void>;
  /** A back-end service's entry point for the front ends of this process. */
  sessions?: SessionBackend;
}

/**
 * What the host hands every service it starts. The host's own ServiceDeps (host/server.ts) adds
 * the open mailbox databases, which the web service also takes (web/service.ts).
 */
export interface CommonServiceDeps {
  directory: Directory;
  authenticator: Authenticator;
  log: Logger;
  /** TLS contexts by certificate, made once per certificate for the process. */
  tls: { get(cert: Certificate): SecureContext };
  /** The back end a front end hands sessions to after logon (in this process or another); the ServiceHost supplies it. */
  backendFor?(protocol: FrontendProtocol): SessionBackend | undefined;
  /** Every logged-on session of the running back ends; the ServiceHost supplies it. */
  liveSessions?(): LiveSession[];
  /**
   * In a front-end-only process: the sessions and metrics of this server's back-end process
   * (lib/process-status.ts), so the web shows the whole server.
   */
  backendStatus?(): Promise<ProcessStatus>;
  /**
   * False in a front-end-only process (`start --role frontend`, `--split`): it opens no mailbox
   * database, its own server's included (MailboxLocator.opensMailboxes).
   */
  opensMailboxes?: boolean;
}
