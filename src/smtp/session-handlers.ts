// The SMTP conversation up to DATA for one receive connector: greeting, TLS, AUTH, MAIL FROM and
// RCPT TO, each decided from the connector's current settings (read per command, so a
// Set-ReceiveConnector applies to open sessions too). DATA is in message-intake.ts.
import type { SMTPServer, SMTPServerAddress, SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerSession } from 'smtp-server';
import type { LogonResult } from '../auth/authenticator.ts';
import { logonNameFor, SaslLogon } from '../auth/session-logon.ts';
import { installConnectionHooks, type ConnectionHooks } from './connection-hooks.ts';
import type { ConnectorConfig } from './connector-config.ts';
import type { AuthenticatedUser, SessionState, SmtpContext } from './context.ts';
import { overLimit } from './delivery.ts';
import { resolveRecipient } from './recipients.ts';
import { Replies, SmtpReply } from './replies.ts';
import { maySendAs } from './submission-policy.ts';
import { effectiveThrottling } from '../config/throttling-policy.ts';
import { MailboxUnavailable } from '../directory/mailbox-locator.ts';
import { SCRAM_MECHANISM } from './scram-auth.ts';
import { rfc5322Date } from './trace-headers.ts';

export type Callback = (err?: Error | null) => void;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The 220 line: Exchange's wording with Mailroom's name, or the admin's -Banner as written. */
export function greetingLine(config: ConnectorConfig, now = new Date()): string {
  if (config.banner !== null) return config.banner.replace(/^220[ -]?/, '');
  return `${config.fqdn} Mailroom ESMTP MAIL service ready at ${rfc5322Date(now)}`;
}

export function authenticatedUser(session: SMTPServerSession): AuthenticatedUser | undefined {
  const u = session.user as AuthenticatedUser | undefined | false;
  return u ? u : undefined;
}

/** Key for MessageRateLimit: the user when authenticated, else the client address. */
export function rateKey(session: SMTPServerSession): string {
  const user = authenticatedUser(session);
  return user ? `user:${user.user.id}` : `ip:${session.remoteAddress}`;
}

/** Key for a throttling policy's MessageRateLimit: the user, whichever connector they submit on. */
export function policyRateKey(user: AuthenticatedUser): string {
  return `policy:${user.user.id}`;
}

export class SessionHandlers {
  readonly sessions = new Map<string, SessionState>();

  constructor(
    private readonly ctx: SmtpContext,
    /** The connector's settings now. */
    private readonly config: () => ConnectorConfig,
  ) {}

  state(session: SMTPServerSession): SessionState {
    const state = this.sessions.get(session.id);
    if (!state) throw new Error(`no state for SMTP session ${session.id}`);
    return state;
  }

  /** Runs an async handler and turns SmtpReply (and anything else) into smtp-server's callback. */
  private run(callback: Callback, fn: () => Promise<void>): void {
    fn().then(
      () => callback(),
      (err: unknown) => {
        if (err instanceof SmtpReply) {
          callback(Object.assign(new Error(err.message), { responseCode: err.responseCode }));
        } else {
          this.ctx.log.error({ err }, 'smtp: command failed');
          callback(Object.assign(new Error('4.3.0 Temporary server error, try again later'), { responseCode: 451 }));
        }
      },
    );
  }

  onConnect(server: SMTPServer, session: SMTPServerSession, callback: Callback): void {
    // Set-ServerComponentState: while either transport component is Draining or Inactive, new
    // connections are turned away with a temporary error; sessions already open finish.
    const states = this.ctx.componentStates();
    const offline = (['FrontendTransport', 'HubTransport'] as const).find((c) => states[c] !== 'Active');
    if (offline) {
      const reply = Replies.componentOffline(offline);
      callback(Object.assign(new Error(reply.message), { responseCode: reply.responseCode }));
      return;
    }
    const config = this.config();
    let hooks: ConnectionHooks;
    try {
      hooks = installConnectionHooks(server, session, {
        greeting: () => greetingLine(this.config()),
        enhancedStatusCodes: config.enhancedStatusCodes,
        maxProtocolErrors: () => this.config().maxProtocolErrors,
        sessionTimeoutMs: config.connectionTimeoutMs,
        inactivityTimeoutMs: () => this.config().inactivityTimeoutMs,
        chunking: { chunking: () => this.config().chunking, binaryMime: () => this.config().binaryMime },
        scram: {
          start: () => SaslLogon.start(SCRAM_MECHANISM, 'smtp', { authenticator: this.ctx.authenticator, log: this.ctx.log, clientAddress: session.remoteAddress }),
          finished: (result) => this.finishLogon(session, result),
        },
      });
    } catch (err) {
      this.ctx.log.error({ err }, 'smtp: cannot set up the session');
      const reply = Replies.shuttingDown();
      callback(Object.assign(new Error(reply.message), { responseCode: reply.responseCode }));
      return;
    }
    const disabledCommands = [...server.options.disabledCommands];
    const endpoint = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);
    this.sessions.set(session.id, {
      hooks, recipients: new Map(), disabledCommands,
      endpoints: { local: endpoint(session.localAddress, session.localPort), remote: endpoint(session.remoteAddress, session.remotePort), sequence: 0 },
    });
    this.applyAuthRule(session);
    callback();
  }

  /** BasicAuthRequireTLS: AUTH is neither advertised nor accepted until the connection is encrypted. */
  private applyAuthRule(session: SMTPServerSession): void {
    const state = this.state(session);
    const hideAuth = this.config().basicAuthRequiresTls && !session.secure;
    session.disabledCommands = hideAuth ? [...state.disabledCommands, 'AUTH'] : [...state.disabledCommands];
  }

  onSecure(session: SMTPServerSession, callback: Callback): void {
    if (this.sessions.has(session.id)) this.applyAuthRule(session);
    callback();
  }

  onClose(session: SMTPServerSession): void {
    this.sessions.get(session.id)?.hooks.dispose();
    this.sessions.delete(session.id);
  }

  onAuth(
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
  ): void {
    const { authenticator, log } = this.ctx;
    void (async () => {
      const password = auth.password ?? '';
      // PLAIN may carry an authorization identity: the mailbox to act for (RFC 4616 §2).
      const authzid = auth.method === 'PLAIN' && auth.authcid ? auth.authzid : undefined;
      const logonName = await logonNameFor(authenticator, auth.username ?? '', authzid);
      const result = await authenticator.logon({ protocol: 'smtp', logonName, password, clientAddress: session.remoteAddress });
      if (result.ok) {
        const user: AuthenticatedUser = { username: result.user.userPrincipalName, user: result.user };
        callback(null, { user });
        return;
      }
      if (result.reason === 'busy') {
        const busy = Replies.authUnavailable();
        callback(Object.assign(new Error(busy.message), { responseCode: busy.responseCode }));
        return;
      }
      // AuthTarpitInterval: a failed AUTH is answered late, which slows password guessing.
      await sleep(this.config().authTarpitMs);
      const reply = Replies.authFailed();
      callback(null, { message: reply.message, responseCode: reply.responseCode });
    })().catch((err: unknown) => {
      log.error({ err }, 'smtp: authentication error');
      const reply = Replies.authUnavailable();
      callback(Object.assign(new Error(reply.message), { responseCode: reply.responseCode }));
    });
  }

  /** Ends a SASL logon done outside onAuth (SCRAM): the session's user, or the refusal to send. */
  private async finishLogon(session: SMTPServerSession, result: LogonResult): Promise<SmtpReply | null> {
    if (result.ok) {
      const user: AuthenticatedUser = { username: result.user.userPrincipalName, user: result.user };
      session.user = user as unknown as string;
      return null;
    }
    if (result.reason === 'busy') return Replies.authUnavailable();
    await sleep(this.config().authTarpitMs);
    return Replies.authFailed();
  }

  onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, callback: Callback): void {
    this.run(callback, async () => {
      const config = this.config();
      const state = this.state(session);
      state.recipients.clear();
      if (config.requireTls && !session.secure) throw Replies.tlsRequired();
      const user = authenticatedUser(session);
      if (!user) {
        if (!config.anonymous) throw Replies.authRequired();
      } else {
        if (!config.exchangeUsers && !config.anonymous) throw Replies.authRequired();
        if (!(await maySendAs(this.ctx.directory, user.user, address.address))) throw Replies.sendAsDenied(address.address);
        const quota = await this.ctx.delivery.quota(user.user).catch((err: unknown) => {
          throw err instanceof MailboxUnavailable ? Replies.senderUnavailable(err.database) : err;
        });
        if (overLimit(quota.usage, quota.prohibitSend)) throw Replies.sendQuotaExceeded();
      }
      if (!this.ctx.rate.allows(rateKey(session), config.messageRateLimit)) throw Replies.rateLimited(config.messageRateLimit);
      if (user) {
        // The user's throttling policy counts their submissions on every connector.
        const policy = effectiveThrottling(this.ctx.throttling(), user.user.id);
        const limit = policy.values.MessageRateLimit!;
        if (limit !== 'unlimited' && !this.ctx.rate.allows(policyRateKey(user), limit)) throw Replies.policyRateLimited(limit, policy.from.MessageRateLimit!);
      }
    });
  }

  onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: Callback): void {
    this.run(callback, async () => {
      const config = this.config();
      const state = this.state(session);
      const user = authenticatedUser(session);
      const key = address.address.toLowerCase();
      if (!state.recipients.has(key) && session.envelope.rcptTo.length >= config.maxRecipients) throw Replies.tooManyRecipients();
      try {
        const resolution = await resolveRecipient(this.ctx.directory, address.address);
        if (resolution.kind === 'unknown') throw Replies.unknownRecipient();
        if (resolution.kind === 'remote') {
          // Only authenticated users relay (ExchangeUsers); Internet mail is for accepted domains.
          if (!user || !config.exchangeUsers) throw Replies.relayDenied();
          if (!this.ctx.outbound) throw Replies.relayUnavailable();
          if (session.envelope.bodyType === 'binarymime') throw Replies.binaryNotRelayed();
        } else {
          // A dismounted database is a 451 for this recipient alone: the client retries it later.
          const quota = await this.ctx.delivery.quota(resolution.mailbox).catch((err: unknown) => {
            throw err instanceof MailboxUnavailable ? Replies.recipientUnavailable(err.database) : err;
          });
          if (overLimit(quota.usage, quota.prohibitSendReceive)) throw Replies.recipientFull();
        }
        state.recipients.set(key, resolution);
      } catch (err) {
        // TarpitInterval: refusals to unauthenticated clients come late, which slows address harvesting.
        if (err instanceof SmtpReply && !user && config.tarpitMs > 0) await sleep(config.tarpitMs);
        throw err;
      }
    });
  }
}
