// The pop3-backend service's session entry point (Exchange's MSExchangePOP3BE): it takes
// logged-on POP3 sessions from front ends, locks the mailbox for the session (RFC 1939 §4:
// "exclusive-access lock on the maildrop"), counts sessions per user against
// MaxConnectionsPerUser, and hands the connection to a TRANSACTION session over the Inbox.
//
// The lock and the counts live here, in memory, because a mailbox database is mounted on one
// server at a time and only that server's back end serves its mailboxes: every POP3 session
// on a mailbox passes through this one object, whichever front end it came in by.

import type { BackendOpenRequest, BackendOpenResult, LiveSession, SessionBackend } from '../auth/session-logon.ts';
import { BudgetLedger, budgetPolicyOf } from '../auth/budget.ts';
import type { SettingsDocument } from '../config/model.ts';
import { atLimit, effectiveThrottling, type ThrottlingDirectory } from '../config/throttling-policy.ts';
import type { Logger } from '../lib/log.ts';
import { Maildrop, type SortOrder } from '../pop3/maildrop.ts';
import { PopTransactionSession } from '../pop3/transaction-session.ts';
import type { Directory } from '../directory/directory.ts';
import { MailboxUnavailable } from '../directory/mailbox-locator.ts';
import type { MailboxDatabases } from './mailbox-databases.ts';
import { effectiveRetrievalFormat } from '../config/pop-imap.ts';
import { renditions } from '../mime/rendition-cache.ts';
import { revokedSessions, type RevocableSession } from './session-revocation.ts';

// RFC 2449 §8.1.1: [IN-USE] says the credentials were right but the mailbox cannot be had now,
// so a client neither asks for a new password nor gives up for good.
const IN_USE = '-ERR [IN-USE] The mailbox is already in use by another POP3 session.';
const TOO_MANY = (limit: number) => `-ERR [IN-USE] Too many POP3 sessions for this user (MaxConnectionsPerUser ${limit}).`;
const OVER_POLICY = (limit: number | string, policy: string) => `-ERR [IN-USE] Too many POP3 sessions for this user (PopMaxConcurrency ${limit} of throttling policy ${policy}).`;
const CANNOT_OPEN = '-ERR [SYS/TEMP] The mailbox cannot be opened now; try again later.';
// RFC 3206 §4: [SYS/PERM] when trying again will not help until an administrator steps in.
const NO_INBOX = '-ERR [SYS/PERM] The mailbox has no Inbox; ask your administrator.';

export interface Pop3BackendDeps {
  databases: MailboxDatabases;
  directory: Directory;
  log: Logger;
}

export class Pop3Backend implements SessionBackend {
  /** Mailbox id → true while a session holds it (also while it is being opened). */
  private readonly locked = new Set<string>();
  /** User id → back-end sessions of that user. */
  private readonly perUser = new Map<string, number>();
  private readonly sessions = new Set<PopTransactionSession>();
  private readonly described = new Map<PopTransactionSession, LiveSession>();
  private readonly logons = new Map<PopTransactionSession, RevocableSession>();
  /** The mailbox database each session's maildrop is in, to end them when it is dismounted. */
  private readonly databaseOf = new Map<PopTransactionSession, string>();
  /** PopMaxBurst/PopRechargeRate/PopCutoffBalance: one budget per user on this server. */
  private readonly budgets = new BudgetLedger();

  constructor(
    private readonly deps: Pop3BackendDeps,
    /** The live PopSettings of this server. */
    private popSettings: SettingsDocument,
    private throttling: ThrottlingDirectory,
  ) {}

  reconfigure(popSettings: SettingsDocument, throttling: ThrottlingDirectory): void {
    this.popSettings = popSettings;
    this.throttling = throttling;
  }

  async open({ logon, ctx, protocolLog }: BackendOpenRequest): Promise<BackendOpenResult> {
    const { user, mailbox } = logon;
    const limit = Number(this.popSettings.MaxConnectionsPerUser);
    // Checked and taken before the first await, so two logons at once cannot both pass.
    if ((this.perUser.get(user.id) ?? 0) >= limit) return { ok: false, response: TOO_MANY(limit) };
    // The user's throttling policy may allow fewer (PopMaxConcurrency); both apply.
    const policy = effectiveThrottling(this.throttling, user.id);
    const concurrency = policy.values.PopMaxConcurrency!;
    if (atLimit(this.perUser.get(user.id) ?? 0, concurrency)) return { ok: false, response: OVER_POLICY(concurrency, policy.from.PopMaxConcurrency!) };
    if (this.locked.has(mailbox.id)) return { ok: false, response: IN_USE };
    const release = this.hold(user.id, mailbox.id);
    try {
      const store = await this.deps.databases.storeFor(mailbox);
      const inbox = await store.folder(mailbox.id, 'INBOX');
      if (!inbox) {
        release();
        ctx.log.error({ mailbox: mailbox.primarySmtpAddress }, 'a POP3 logon found no INBOX');
        return { ok: false, response: NO_INBOX };
      }
      const order = this.popSettings.MessageRetrievalSortOrder as SortOrder;
      // The format is fixed for the session, as the sizes LIST and STAT give must stay true.
      const format = effectiveRetrievalFormat(this.popSettings, user.settings, 'pop');
      const maildrop = Maildrop.of(await store.messages(inbox.id), inbox.uidValidity, order, format);
      await maildrop.convertSizes((m) => renditions.size(m.blobId, m.format, m.size, () => store.readBlob(m.blobId)));
      const session: PopTransactionSession = new PopTransactionSession({
        store,
        inboxId: inbox.id,
        maildrop,
        settings: () => this.popSettings,
        log: ctx.log,
        label: `${user.userPrincipalName}→${mailbox.primarySmtpAddress} from ${ctx.clientAddress}`,
        throttle: (command) => this.budgets.run(user.id, () => budgetPolicyOf(effectiveThrottling(this.throttling, user.id), 'Pop'), command),
        ...(protocolLog ? { protocolLog } : {}),
        release: () => {
          this.sessions.delete(session);
          this.described.delete(session);
          this.logons.delete(session);
          this.databaseOf.delete(session);
          release();
        },
      });
      this.logons.set(session, {
        userId: user.id,
        credentialSerial: user.credentialSerial,
        sharedMailboxIds: () => (mailbox.id === user.id ? [] : [mailbox.id]),
      });
      this.sessions.add(session);
      this.databaseOf.set(session, mailbox.database);
      this.described.set(session, {
        protocol: 'POP3', user: user.userPrincipalName, mailbox: mailbox.primarySmtpAddress, client: ctx.clientAddress, since: new Date(),
      });
      return { ok: true, session };
    } catch (err) {
      release();
      // Elsewhere or dismounted (the mailbox locator): a temporary error, never an empty maildrop.
      if (err instanceof MailboxUnavailable) ctx.log.warn({ mailbox: mailbox.primarySmtpAddress, reason: err.reason, server: err.server }, err.message);
      else ctx.log.error({ err, mailbox: mailbox.primarySmtpAddress }, 'opening a POP3 maildrop failed');
      return { ok: false, response: CANNOT_OPEN };
    }
  }

  /** Cuts every session without UPDATE: nothing they marked is deleted. */
  liveSessions(): LiveSession[] {
    return [...this.described.values()];
  }

  /**
   * Ends the sessions whose password, account or FullAccess changed since they logged on. POP3
   * has no unsolicited answer, so the connection is closed; nothing is deleted (no UPDATE).
   */
  async endRevokedSessions(): Promise<number> {
    const revoked = await revokedSessions(this.deps.directory, [...this.logons].map(([session, logon]) => ({ ...logon, session })));
    for (const { session, reason } of revoked) {
      const live = this.described.get(session.session);
      this.deps.log.info({ user: live?.user, mailbox: live?.mailbox, client: live?.client, reason }, 'POP3 session ended: its logon no longer holds');
      session.session.stop(`logon no longer holds: ${reason}`);
    }
    return revoked.length;
  }

  /** Ends the sessions whose mailbox database is no longer mounted here (Dismount-Database); nothing is deleted. */
  async endUnmountedSessions(): Promise<number> {
    let ended = 0;
    for (const [session, database] of [...this.databaseOf]) {
      if (await this.deps.databases.mountedHere(database)) continue;
      const live = this.described.get(session);
      this.deps.log.info({ user: live?.user, mailbox: live?.mailbox, client: live?.client, database }, 'POP3 session ended: its mailbox database is no longer mounted here');
      session.stop(`mailbox database ${database} no longer mounted here`);
      ended++;
    }
    return ended;
  }

  async stop(): Promise<void> {
    for (const session of [...this.sessions]) session.stop('pop3-backend stopped');
  }

  /** Takes the mailbox lock and a per-user slot; the returned function gives both back once. */
  private hold(userId: string, mailboxId: string): () => void {
    this.locked.add(mailboxId);
    this.perUser.set(userId, (this.perUser.get(userId) ?? 0) + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.locked.delete(mailboxId);
      const left = (this.perUser.get(userId) ?? 1) - 1;
      if (left <= 0) this.perUser.delete(userId);
      else this.perUser.set(userId, left);
    };
  }
}
