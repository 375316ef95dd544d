// The imap4-backend service's session entry point (Exchange's MSExchangeIMAP4BE): it takes
// logged-on IMAP sessions from front ends, counts them per user against MaxConnectionsPerUser,
// and runs an IMAP session over the user's mailbox store.
import type { BackendOpenRequest, BackendOpenResult, LiveSession, SessionBackend } from '../auth/session-logon.ts';
import { BudgetLedger, budgetPolicyOf } from '../auth/budget.ts';
import type { SettingsDocument } from '../config/model.ts';
import { atLimit, effectiveThrottling, type ThrottlingDirectory } from '../config/throttling-policy.ts';
import type { Directory } from '../directory/directory.ts';
import { MailboxUnavailable } from '../directory/mailbox-locator.ts';
import type { Logger } from '../lib/log.ts';
import { sweepSpool } from '../imap/session/literal-spool.ts';
import { ImapSession } from '../imap/session/session.ts';
import type { MailboxDatabases } from './mailbox-databases.ts';
import { revokedSessions, type RevocableSession, type RevocationReason } from './session-revocation.ts';

// Unsolicited BYE (RFC 3501 §7.1.5) when the logon no longer holds. A client that logs on again
// with the old password fails and asks its user for the new one.
const REVOKED: Record<RevocationReason, string> = {
  'password changed': '* BYE The password of this account was changed; log on again.',
  'account removed or disabled': '* BYE This account can no longer log on.',
  'FullAccess removed': '* BYE Access to this mailbox was removed.',
};

/** APPENDLIMIT when the organization sets no size limit. */
const UNLIMITED_APPEND = 2 * 1024 * 1024 * 1024 - 1;

export interface ImapBackendDeps {
  databases: MailboxDatabases;
  directory: Directory;
  log: Logger;
}

export class ImapBackend implements SessionBackend {
  private readonly perUser = new Map<string, number>();
  private readonly sessions = new Map<ImapSession, LiveSession>();
  private readonly logons = new Map<ImapSession, RevocableSession>();
  /** The mailbox database each session's mailbox is in, to end them when it is dismounted. */
  private readonly databaseOf = new Map<ImapSession, string>();
  private appendLimit = UNLIMITED_APPEND;
  /** ImapMaxBurst/ImapRechargeRate/ImapCutoffBalance: one budget per user on this server. */
  private readonly budgets = new BudgetLedger();

  constructor(
    private readonly deps: ImapBackendDeps,
    private imapSettings: SettingsDocument,
    private throttling: ThrottlingDirectory,
  ) {
    // APPEND literals a killed process left on disk.
    const swept = sweepSpool();
    if (swept > 0) deps.log.info({ files: swept }, 'imap4-backend: removed APPEND spool files left by a stopped process');
  }

  /** Called with each configuration snapshot; the transport limits set APPENDLIMIT. */
  async reconfigure(imapSettings: SettingsDocument, throttling: ThrottlingDirectory): Promise<void> {
    this.imapSettings = imapSettings;
    this.throttling = throttling;
    const transport = await this.deps.directory.settings('TransportConfig');
    // A client may file what it could send or receive; the larger of the two limits bounds it.
    const sizes = [transport.MaxSendSize, transport.MaxReceiveSize];
    this.appendLimit = sizes.includes('unlimited') ? UNLIMITED_APPEND : Math.max(...(sizes as number[]));
  }

  async open({ logon, ctx, tag, protocolLog }: BackendOpenRequest): Promise<BackendOpenResult> {
    const { user, mailbox } = logon;
    const limit = Number(this.imapSettings.MaxConnectionsPerUser);
    const count = this.perUser.get(user.id) ?? 0;
    if (count >= limit) {
      return { ok: false, response: `${tag ?? '*'} NO [LIMIT] Too many IMAP4 connections for this user (MaxConnectionsPerUser ${limit}).` };
    }
    // The user's throttling policy may allow fewer (ImapMaxConcurrency); both apply.
    const policy = effectiveThrottling(this.throttling, user.id);
    const concurrency = policy.values.ImapMaxConcurrency!;
    if (atLimit(count, concurrency)) {
      return {
        ok: false,
        response: `${tag ?? '*'} NO [LIMIT] Too many IMAP4 connections for this user (ImapMaxConcurrency ${concurrency} of throttling policy ${policy.from.ImapMaxConcurrency}).`,
      };
    }
    this.perUser.set(user.id, count + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const n = (this.perUser.get(user.id) ?? 1) - 1;
      if (n <= 0) this.perUser.delete(user.id);
      else this.perUser.set(user.id, n);
    };
    try {
      const store = await this.deps.databases.storeFor(mailbox);
      return {
        ok: true,
        session: {
          start: (connection) => {
            const session: ImapSession = new ImapSession(connection, {
              store, mailbox, user,
              settings: () => this.imapSettings,
              appendLimit: () => this.appendLimit,
              quotaLimit: (id) => this.deps.databases.quotaLimit(id),
              // Shared mailboxes open only with their own IMAP4 switch on, as a \alias logon requires.
              sharedMailboxes: async () => {
                const granted = await this.deps.directory.mailboxesGrantedTo(user.id, 'FullAccess');
                const usable = granted.filter((m) => m.id !== mailbox.id && m.settings.ImapEnabled !== false && m.builtin === null);
                // Only those whose database is mounted here: another server's shared mailbox is
                // opened by logging on to it (user@domain\alias), which the front end proxies there.
                const opened = await Promise.all(usable.map(async (m) => {
                  try {
                    return { mailbox: m, store: await this.deps.databases.storeFor(m) };
                  } catch (err) {
                    if (err instanceof MailboxUnavailable) return undefined;
                    throw err;
                  }
                }));
                return opened.filter((a): a is NonNullable<typeof a> => a !== undefined);
              },
              log: ctx.log.child({ imapUser: user.userPrincipalName, client: ctx.clientAddress }),
              clientAddress: ctx.clientAddress,
              throttle: (command) => this.budgets.run(user.id, () => budgetPolicyOf(effectiveThrottling(this.throttling, user.id), 'Imap'), command),
              ...(protocolLog ? { protocolLog } : {}),
              onClose: () => {
                this.sessions.delete(session);
                this.logons.delete(session);
                this.databaseOf.delete(session);
                release();
              },
            });
            this.logons.set(session, {
              userId: user.id,
              credentialSerial: user.credentialSerial,
              // The logon's own mailbox when it came through FullAccess, and a shared folder selected now.
              sharedMailboxIds: () => [mailbox.id, session.selection?.target.mailbox.id].filter((id): id is string => id !== undefined && id !== user.id),
            });
            this.databaseOf.set(session, mailbox.database);
            this.sessions.set(session, {
              protocol: 'IMAP4', user: user.userPrincipalName, mailbox: mailbox.primarySmtpAddress, client: ctx.clientAddress, since: new Date(),
            });
            session.start(tag ?? '*');
          },
        },
      };
    } catch (err) {
      release();
      // Elsewhere or dismounted (the mailbox locator): a temporary error, never an empty mailbox.
      if (err instanceof MailboxUnavailable) this.deps.log.warn({ mailbox: mailbox.primarySmtpAddress, reason: err.reason, server: err.server }, err.message);
      else this.deps.log.error({ err, mailbox: mailbox.primarySmtpAddress }, 'IMAP logon could not open the mailbox');
      return { ok: false, response: `${tag ?? '*'} NO [UNAVAILABLE] The mailbox cannot be opened now; try again later.` };
    }
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  liveSessions(): LiveSession[] {
    return [...this.sessions.values()];
  }

  /** Ends the sessions whose password, account or FullAccess changed since they logged on. */
  async endRevokedSessions(): Promise<number> {
    const revoked = await revokedSessions(this.deps.directory, [...this.logons].map(([session, logon]) => ({ ...logon, session })));
    for (const { session, reason } of revoked) {
      const live = this.sessions.get(session.session);
      this.deps.log.info({ user: live?.user, mailbox: live?.mailbox, client: live?.client, reason }, 'IMAP4 session ended: its logon no longer holds');
      session.session.close(REVOKED[reason]);
    }
    return revoked.length;
  }

  /** Ends the sessions whose mailbox database is no longer mounted here (Dismount-Database). */
  async endUnmountedSessions(): Promise<number> {
    let ended = 0;
    for (const [session, database] of [...this.databaseOf]) {
      if (await this.deps.databases.mountedHere(database)) continue;
      const live = this.sessions.get(session);
      this.deps.log.info({ user: live?.user, mailbox: live?.mailbox, client: live?.client, database }, 'IMAP4 session ended: its mailbox database is no longer mounted here');
      session.close('* BYE [UNAVAILABLE] The mailbox database was dismounted; try again later.');
      ended++;
    }
    return ended;
  }

  async stop(): Promise<void> {
    for (const s of [...this.sessions.keys()]) s.close('* BYE The IMAP4 back end is stopping.');
  }
}
