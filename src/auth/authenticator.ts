// Logon for POP3, IMAP4, SMTP and the web pages: resolves the logon name to a mailbox user, checks the password
// (or SCRAM keys), applies the blocked-account rule, the per-user protocol switch and the
// FullAccess rule for `user\alias` logons, and feeds the failed-logon throttle.
import { createHmac, randomBytes } from 'node:crypto';
import type { Directory, Mailbox } from '../directory/directory.ts';
import { logonNameTag, type Logger } from '../lib/log.ts';
import { KeyedGate } from '../lib/keyed-gate.ts';
import { credentialsFor, organizationPasswordCost } from './credentials.ts';
import { isForeignHash, verifyStoredPassword } from './foreign-hashes.ts';
import { KnownLogonAddresses } from './known-addresses.ts';
import { formatLogonName, tryParseLogonName, type LogonName, type LogonNameResult } from './login-name.ts';
import { isBlockedAccountName } from './logon-policy.ts';
import {
  DEFAULT_PASSWORD_COST,
  hashPassword,
  needsRehash,
  parseScramCredentials,
  scramNeedsRehash,
  type PasswordCost,
  type ScramCredentials,
  VerificationCache,
  verifyPasswordCached,
} from './passwords.ts';
import { LogonThrottle, throttleAddress, type ThrottledAttempt } from './throttle.ts';

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
       * busy: too many attempts on this account or from this address are already waiting; nothing
       * was checked, and the client is told to try again later.
       */
      reason: 'credentials' | 'blocked' | 'disabled' | 'no-access' | 'unavailable' | 'busy';
      user?: Mailbox;
    };

export interface LogonRequest {
  protocol: LogonProtocol;
  logonName: string;
  password: string;
  clientAddress: string;
}

/** A SCRAM exchange refused before its lookup because too many attempts are queued. */
export class LogonBusyError extends Error {
  constructor() {
    super('too many logon attempts at once');
    this.name = 'LogonBusyError';
  }
}

/** A SCRAM exchange between its key lookup and its proof: the throttled attempt it counts as. */
export interface ScramAttempt {
  credentials: ScramCredentials | null;
  attempt: ThrottledAttempt;
  /** The iteration count to show for an unknown name: the organization's, like real users' keys. */
  fakeIterations: number;
}

export interface AuthenticatorOptions {
  throttle?: LogonThrottle;
  knownAddresses?: KnownLogonAddresses;
  /** How long the organization's password cost is reused before it is read again. */
  costTtlMs?: number;
}

// Keys the digests of passwords kept while an attempt is in flight (to join identical ones) and
// in the throttle (to recognise a repeated wrong password). Never leaves the process.
const PROCESS_KEY = randomBytes(32);

function digest(...parts: string[]): string {
  const mac = createHmac('sha256', PROCESS_KEY);
  for (const part of parts) mac.update(`${Buffer.byteLength(part)}:`).update(part);
  return mac.digest('base64');
}

export class Authenticator {
  readonly throttle: LogonThrottle;
  readonly knownAddresses: KnownLogonAddresses;
  private readonly cache = new VerificationCache();
  private readonly observers = new Set<LogonObserver>();
  /** At most one password check per account at a time: concurrent logons of one user share it. */
  private readonly verifying = new KeyedGate(Number.MAX_SAFE_INTEGER);
  /** Identical logons in flight (same account, address, target and password): they share one answer. */
  private readonly inflight = new Map<string, Promise<LogonResult>>();
  /** Users whose stored hash is being redone at the organization's cost. */
  private readonly rehashing = new Map<string, Promise<void>>();
  /** A hash of a random password per cost, verified when the user does not exist, so an unknown name costs what a wrong password does. */
  private readonly decoys = new Map<number, Promise<string>>();
  private readonly costTtlMs: number;
  private costRead: { at: number; cost: Promise<PasswordCost> } | undefined;

  constructor(
    private readonly directory: Directory,
    private readonly log: Logger,
    options: AuthenticatorOptions = {},
  ) {
    this.throttle = options.throttle ?? new LogonThrottle();
    this.knownAddresses = options.knownAddresses ?? new KnownLogonAddresses(directory);
    this.costTtlMs = options.costTtlMs ?? 1000;
  }

  /** Subscribes to logon outcomes; returns the way to unsubscribe. */
  observe(observer: LogonObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  private report(protocol: LogonProtocol, ok: boolean): void {
    for (const observer of this.observers) observer(protocol, ok);
  }

  /** The organization's cost for new hashes (Set-OrganizationConfig), re-read at most once a second. */
  passwordCost(): Promise<PasswordCost> {
    const now = performance.now();
    if (!this.costRead || now - this.costRead.at >= this.costTtlMs) {
      const cost = organizationPasswordCost(this.directory).catch((err: unknown) => {
        this.log.error({ err }, 'reading the password cost failed; using the default');
        return { ...DEFAULT_PASSWORD_COST };
      });
      this.costRead = { at: now, cost };
    }
    return this.costRead.cost;
  }

  /** Resolves once every background rehash started so far has ended (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.rehashing.values()]);
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

  /**
   * What the throttle counts an attempt against: the mailbox when the name resolves, so that
   * `CONTOSO\bob`, `contoso \bob`, `bob` and `bob@contoso.com` are one account; otherwise the
   * parsed name's canonical text (parts trimmed, NFC, lower case).
   */
  private static accountKey(parsed: LogonNameResult, user: Mailbox | undefined, logonName: string): string {
    if (user) return `id:${user.id}`;
    if (parsed.ok) return `name:${formatLogonName(parsed.name, { includeAlias: false }).toLowerCase()}`;
    return `raw:${logonName.trim().normalize('NFC').toLowerCase()}`;
  }

  private async lane(parsed: LogonNameResult, logonName: string, clientAddress: string): Promise<{ user: Mailbox | undefined; account: string; known: boolean }> {
    const user = parsed.ok ? await this.resolveUser(parsed.name) : undefined;
    const account = Authenticator.accountKey(parsed, user, logonName);
    const known = user ? await this.knownAddresses.has(user.id, clientAddress).catch(() => false) : false;
    return { user, account, known };
  }

  /** LOGIN, USER/PASS, SASL PLAIN and LOGIN, web sign-in. */
  async logon(req: LogonRequest): Promise<LogonResult> {
    const parsed = tryParseLogonName(req.logonName);
    const lane = await this.lane(parsed, req.logonName, req.clientAddress);
    const target = parsed.ok ? (parsed.name.targetAlias ?? '').toLowerCase() : '';
    // A client opening several connections at once with one password (Thunderbird opens up to
    // five) makes one attempt, not five: the same answer for all, one count in the throttle.
    const same = digest(req.protocol, lane.account, throttleAddress(req.clientAddress), target, req.password);
    const joined = this.inflight.get(same);
    if (joined) return joined;
    const result = this.attemptLogon(req, parsed, lane).finally(() => this.inflight.delete(same));
    this.inflight.set(same, result);
    return result;
  }

  private async attemptLogon(req: LogonRequest, parsed: LogonNameResult, lane: { user: Mailbox | undefined; account: string; known: boolean }): Promise<LogonResult> {
    const { user } = lane;
    const attempt = await this.throttle.admit({
      account: lane.account, address: req.clientAddress, knownAddress: lane.known, fingerprint: digest(lane.account, req.password),
    });
    if (!attempt) {
      this.log.warn({ protocol: req.protocol, user: user?.userPrincipalName ?? logonNameTag(req.logonName), client: req.clientAddress }, 'logon refused: too many attempts waiting');
      this.report(req.protocol, false);
      return { ok: false, reason: 'busy' };
    }
    try {
      const cost = await this.passwordCost();
      const creds = user ? await this.directory.credentials(user.id) : undefined;
      const good = creds?.passwordHash
        ? await this.verifyOnce(user!.id, req.password, creds.passwordHash)
        : (await verifyPasswordCached(req.password, await this.decoyHash(cost), this.cache), false);
      if (!good || !user || !parsed.ok) {
        attempt.settle(false);
        this.log.info({ protocol: req.protocol, user: user?.userPrincipalName ?? logonNameTag(req.logonName), client: req.clientAddress, reason: 'credentials', waitedMs: attempt.waitedMs }, 'logon failed');
        this.report(req.protocol, false);
        return { ok: false, reason: 'credentials' };
      }
      const result = await this.authorize(req.protocol, user, parsed.name.targetAlias);
      attempt.settle(result.ok);
      if (result.ok) {
        this.knownAddresses.remember(user.id, req.clientAddress).catch((err: unknown) => this.log.warn({ err }, 'recording the logon address failed'));
        this.rehashIfNeeded(user, req.password, creds!.passwordHash!, creds!.scram, cost);
      }
      this.log.info({ protocol: req.protocol, user: user.userPrincipalName, mailbox: result.ok ? result.mailbox.userPrincipalName : undefined, client: req.clientAddress, ok: result.ok, reason: result.ok ? undefined : result.reason, waitedMs: attempt.waitedMs }, result.ok ? 'logon' : 'logon refused');
      this.report(req.protocol, result.ok);
      return result;
    } finally {
      attempt.release();
    }
  }

  /** One password check per account at a time; the cache answers the ones queued behind a success. */
  private async verifyOnce(userId: string, password: string, phc: string): Promise<boolean> {
    const release = await this.verifying.acquire(userId);
    try {
      return await verifyPasswordCached(password, phc, this.cache, verifyStoredPassword);
    } finally {
      release?.();
    }
  }

  private decoyHash(cost: PasswordCost): Promise<string> {
    let decoy = this.decoys.get(cost.scryptLn);
    if (!decoy) {
      decoy = hashPassword(`decoy-${randomBytes(16).toString('hex')}`, { ln: cost.scryptLn });
      this.decoys.set(cost.scryptLn, decoy);
    }
    return decoy;
  }

  /**
   * After a successful password logon, redoes the stored hash and SCRAM keys when they were made
   * at another cost than the organization's, or were imported from another server (then there
   * are no SCRAM keys yet). In the background: the client has its answer. Once per user in this
   * process (the `rehashing` map), and once across processes: the write only replaces the very
   * string that was verified, so it is skipped if the password changed or another process got
   * there first.
   */
  private rehashIfNeeded(user: Mailbox, password: string, phc: string, scram: string | null, cost: PasswordCost): void {
    if (!needsRehash(phc, cost) && !scramNeedsRehash(scram, cost)) return;
    if (this.rehashing.has(user.id)) return;
    const work = (async () => {
      const fresh = await credentialsFor(password, cost);
      if (await this.directory.replaceCredentials(user.id, phc, fresh)) {
        // The next logon finds the new hash verified already, instead of paying for it again.
        this.cache.add(fresh.passwordHash, password);
        this.log.info(
          { user: user.userPrincipalName, scryptLn: cost.scryptLn, scramIterations: cost.scramIterations },
          isForeignHash(phc) ? 'imported password hash replaced by Mailroom\'s own' : 'password hash redone at the organization\'s cost',
        );
      }
    })()
      .catch((err: unknown) => this.log.error({ err, user: user.userPrincipalName }, 'redoing a password hash failed'))
      .finally(() => this.rehashing.delete(user.id));
    this.rehashing.set(user.id, work);
  }

  /**
   * SCRAM-SHA-256: admits the attempt (the throttle's turn, delay and count), then looks up the
   * stored keys of the user the name names (null for an unknown name: the exchange goes on
   * with fake keys). The gates are released before the client answers, so a client that never
   * sends its proof holds nobody up; the attempt stays counted until authorizeScram settles it.
   * Throws LogonBusyError when too many attempts are queued.
   */
  async beginScram(logonName: string, clientAddress: string): Promise<ScramAttempt> {
    const parsed = tryParseLogonName(logonName);
    const lane = await this.lane(parsed, logonName, clientAddress);
    const attempt = await this.throttle.admit({ account: lane.account, address: clientAddress, knownAddress: lane.known });
    if (!attempt) throw new LogonBusyError();
    try {
      const creds = lane.user ? await this.directory.credentials(lane.user.id) : undefined;
      const fakeIterations = (await this.passwordCost()).scramIterations;
      return { credentials: creds?.scram ? parseScramCredentials(creds.scram) : null, attempt, fakeIterations };
    } finally {
      attempt.release();
    }
  }

  /** After a SCRAM exchange: the same rules as logon() minus the password. */
  async authorizeScram(protocol: LogonProtocol, logonName: string, clientAddress: string, proved: boolean, attempt?: ThrottledAttempt): Promise<LogonResult> {
    const parsed = tryParseLogonName(logonName);
    const user = parsed.ok ? await this.resolveUser(parsed.name) : undefined;
    if (!proved || !user || !parsed.ok) {
      attempt?.settle(false);
      this.report(protocol, false);
      return { ok: false, reason: 'credentials' };
    }
    const result = await this.authorize(protocol, user, parsed.name.targetAlias);
    attempt?.settle(result.ok);
    if (result.ok) this.knownAddresses.remember(user.id, clientAddress).catch((err: unknown) => this.log.warn({ err }, 'recording the logon address failed'));
    this.report(protocol, result.ok);
    return result;
  }

  /**
   * A logon a front end made, checked again where the mailbox lives (the back end's proxy port
   * reads the hand-off): the user, re-read from the directory, may still log on by this
   * protocol and open that mailbox. No password: the front end checked it.
   */
  async authorizeHandoff(protocol: 'imap' | 'pop', userId: string, mailboxId: string): Promise<LogonResult> {
    const user = await this.directory.mailboxById(userId);
    if (!user) return { ok: false, reason: 'credentials' };
    const target = mailboxId === user.id ? user : await this.directory.mailboxById(mailboxId);
    if (!target) return { ok: false, reason: 'no-access', user };
    const result = await this.authorize(protocol, user, target.id === user.id ? undefined : target.alias);
    return result.ok && result.mailbox.id !== target.id ? { ok: false, reason: 'no-access', user } : result;
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
