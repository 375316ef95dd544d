// What every route of the web service uses. Settings are never cached here: routes read the
// directory on each request, so an admin's change shows on the next page load.
import type { Authenticator } from '../auth/authenticator.ts';
import type { MailboxDatabases } from '../backend/mailbox-databases.ts';
import type { Directory, Mailbox } from '../directory/directory.ts';
import type { MailboxLocator } from '../directory/mailbox-locator.ts';
import type { MailboxQuota } from '../smtp/delivery.ts';
import type { Logger } from '../lib/log.ts';
import type { ProcessStatus } from '../lib/process-status.ts';
import type { WebMetrics } from './metrics.ts';
import type { SessionStore } from './sessions.ts';
import type { LiveSession } from '../auth/session-logon.ts';

export interface WebContext {
  directory: Directory;
  databases: MailboxDatabases;
  authenticator: Authenticator;
  log: Logger;
  metrics: WebMetrics;
  sessions: SessionStore;
  /** The server this service runs on: its POP3/IMAP4 settings and connectors are the ones published. */
  serverName(): string;
  /** Which server holds a mailbox: the usage figures are read only there. */
  locator: MailboxLocator;
  /** A mailbox's usage and limits from the server that holds it (XQUOTA on its delivery port). */
  remoteQuota(mailbox: Mailbox): Promise<MailboxQuota>;
  /** Port of the HTTPS listener, for sending plain-HTTP visitors to the secure pages. */
  httpsPort: number;
  /** Logged-on POP3 and IMAP4 sessions of this server's back ends (in this process or its back-end process). */
  liveSessions(): Promise<LiveSession[]>;
  /** This server's back-end process's sessions and metrics, when the back ends run in their own process. */
  backendStatus?(): Promise<ProcessStatus>;
  /**
   * Which listener a connection came in by: 'monitoring' (MetricsBindings: /metrics and
   * /healthz only), 'pages' (the web listeners while MetricsBindings is set), or 'shared'.
   */
  listenerKind(socket: object): 'pages' | 'monitoring' | 'shared';
}
