// Logon for POP3, IMAP4, SMTP and the web pages: resolves the logon name to a mailbox user, checks the password
// (or SCRAM keys), applies the blocked-account rule, the per-user protocol switch and the
// FullAccess rule for `user\alias` logons, and feeds the failed-logon throttle.
import type { Directory, Mailbox } from '../directory/directory.ts';
import type { Logger } from '../lib/log.ts';
import { tryParseLogonName, type LogonName } from './login-name.ts';
import { isBlockedAccountName } from './logon-policy.ts';
import { parseScramCredentials, type ScramCredentials, VerificationCache, verifyPasswordCached, hashPassword } from './passwords.ts';
import { LogonThrottle } from './throttle.ts';

export type LogonProtocol = 'imap' | 'pop' | 'smtp' | 'web';

/** Told about every logon outcome (metrics); never about the password. */
export type LogonObserver = (protocol: LogonProtocol, ok: boolean) => void;

export type LogonResult =
  | { ok: true; user: Mailbox; mailbox: Mailbox }
  | {
      ok: false;
      /**
       * credentials: unknown user or wrong password; blocked: Anonymous, Guest, Administrator,
       * shared or system mailbox as itself; disabled: PopEnabled/ImapEnabled is $false;
       * no-access: `\alias` names a mailbox without FullAccess for this user.
       * All of them reach the client as the same failure; the reason is for logs.
       */
      reason: 'credentials' | 'blocked' | 'disabled' | 'no-access' | 'unavailable';
      user?: Mailbox;
    };

export interface LogonRequest {
  protocol: LogonProtocol;
  logonName: string;
  password: string;
  clientAddress: string;
}

// A hash of a random password, verified when the user does not exist, so an unknown name
// costs the same time as a wrong password.
let decoyHash: Promise<string> | undefined;

export class Authenticator {
  readonly throttle = new LogonThrottle();
  private readonly cache = new VerificationCache();
  private readonly observers = new Set<LogonObserver>();

  constructor(
    private readonly directory: Directory,
    private readonly log: Logger,
  ) {}

  /** Subscribes to logon outcomes; returns the way to unsubscribe. */
  observe(observer: LogonObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  private report(protocol: LogonProtocol, ok: boolean): void {
    for (const observer of this.observers) observer(protocol, ok);
  }

  /** The mailbox user a logon name names, ignoring any `\alias` suffix. */
  async resolveUser(name: LogonName): Promise<Mailbox | undefined> {
    if (name.kind === 'upn') {
      return (await this.directory.findMailbox(name.address)) ?? undefined;
    }
    if (name.kind === 'down-level') {
      const org = await this.directory.organization();
      const domains = await this.directory.acceptedDomains();
      const domain = name.domain.toLowerCase();
      const ours = org?.shortDomain.toLowerCase() === domain || domains.some((d) => d.name === domain || d.name.split('.')[0] === domain);
      if (!ours) return undefined;
      return this.directory.findMailbox(name.user);
    }
    return this.directory.findMailbox(name.user);
  }

  private async wait(user: string, address: string): Promise<void> {
    const delay = this.throttle.delayFor(user, address);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  }

  /** LOGIN, USER/PASS, SASL PLAIN and LOGIN. */
  async logon(req: LogonRequest): Promise<LogonResult> {
    const parsed = tryParseLogonName(req.logonName);
    const throttleKey = req.logonName.trim().toLowerCase();
    await this.wait(throttleKey, req.clientAddress);
    const user = parsed.ok ? await this.resolveUser(parsed.name) : undefined;
    const creds = user ? await this.directory.credentials(user.id) : undefined;
    let good = false;
    if (creds?.passwordHash) {
      good = await verifyPasswordCached(req.password, creds.passwordHash, this.cache);
    } else {
      decoyHash ??= hashPassword(`decoy-${Math.random()}`);
      await verifyPasswordCached(req.password, await decoyHash, this.cache);
    }
    if (!good || !user || !parsed.ok) {
      this.throttle.recordFailure(throttleKey, req.clientAddress);
      this.log.info({ protocol: req.protocol, user: throttleKey, client: req.clientAddress, reason: 'credentials' }, 'logon failed');
      this.report(req.protocol, false);
      return { ok: false, reason: 'credentials' };
    }
    const result = await this.authorize(req.protocol, user, parsed.name.targetAlias);
    if (result.ok) this.throttle.recordSuccess(throttleKey, req.clientAddress);
    else this.throttle.recordFailure(throttleKey, req.clientAddress);
    this.log.info({ protocol: req.protocol, user: user.userPrincipalName, mailbox: result.ok ? result.mailbox.userPrincipalName : undefined, client: req.clientAddress, ok: result.ok, reason: result.ok ? undefined : result.reason }, result.ok ? 'logon' : 'logon refused');
    this.report(req.protocol, result.ok);
    return result;
  }

  /** SCRAM-SHA-256: the stored keys of the user a logon name names, or null. */
  async scramCredentials(logonName: string): Promise<ScramCredentials | null> {
    const parsed = tryParseLogonName(logonName);
    if (!parsed.ok) return null;
    const user = await this.resolveUser(parsed.name);
    if (!user) return null;
    const creds = await this.directory.credentials(user.id);
    return creds?.scram ? parseScramCredentials(creds.scram) : null;
  }

  /** After a SCRAM exchange proved the password: the same rules as logon() minus the password. */
  async authorizeScram(protocol: LogonProtocol, logonName: string, clientAddress: string, proved: boolean): Promise<LogonResult> {
    const key = logonName.trim().toLowerCase();
    const parsed = tryParseLogonName(logonName);
    const user = parsed.ok ? await this.resolveUser(parsed.name) : undefined;
    if (!proved || !user || !parsed.ok) {
      this.throttle.recordFailure(key, clientAddress);
      this.report(protocol, false);
      return { ok: false, reason: 'credentials' };
    }
    const result = await this.authorize(protocol, user, parsed.name.targetAlias);
    if (result.ok) this.throttle.recordSuccess(key, clientAddress);
    else this.throttle.recordFailure(key, clientAddress);
    this.report(protocol, result.ok);
    return result;
  }

  /** Throttle delay to apply before a SASL exchange that checks no password itself (SCRAM). */
  async delayBeforeAttempt(logonName: string, clientAddress: string): Promise<void> {
    await this.wait(logonName.trim().toLowerCase(), clientAddress);
  }

  private async authorize(protocol: LogonProtocol, user: Mailbox, targetAlias: string | undefined): Promise<LogonResult> {
    // Anonymous, Guest and the built-in Administrator never log on by POP3 or IMAP4
    // (exchange-features.md §1.4); shared and system mailboxes have no logon of their own.
    // SMTP submission and the web pages (settings, admin center) are where the Administrator
    // mailbox may still authenticate, as it signs in to OWA and the ECP in Exchange.
    const noLogon = user.accountDisabled || user.type !== 'user' || isBlockedAccountName(user.alias) || (user.builtin !== null && user.builtin !== 'Administrator');
    const administratorAllowed = protocol === 'smtp' || protocol === 'web';
    if (noLogon || (user.builtin === 'Administrator' && !administratorAllowed)) return { ok: false, reason: 'blocked', user };
    let mailbox = user;
    if (targetAlias !== undefined) {
      const target = await this.directory.findMailbox(targetAlias);
      if (!target) return { ok: false, reason: 'no-access', user };
      if (target.id !== user.id) {
        if (target.builtin !== null) return { ok: false, reason: 'blocked', user };
        if (!(await this.directory.hasMailboxPermission(target.id, user.id, 'FullAccess'))) return { ok: false, reason: 'no-access', user };
      }
      mailbox = target;
    }
    const flag = protocol === 'pop' ? 'PopEnabled' : protocol === 'imap' ? 'ImapEnabled' : undefined;
    if (flag && (user.settings[flag] === false || mailbox.settings[flag] === false)) return { ok: false, reason: 'disabled', user };
    return { ok: true, user, mailbox };
  }
}
