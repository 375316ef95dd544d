// Logon inside a protocol session, shared by the IMAP4, POP3 and SMTP front ends: the
// session context a front end gives a protocol, and the SASL driver on top of the Authenticator
// that turns mechanism steps into a checked logon.
import type { SecureContext } from 'node:tls';
import { LogonBusyError, type Authenticator, type LogonProtocol, type LogonResult } from './authenticator.ts';
import type { LoginType } from './logon-policy.ts';
import { createSaslExchange, type SaslExchange, type SaslHooks } from './sasl/index.ts';
import type { ThrottledAttempt } from './throttle.ts';
import type { SettingsDocument } from '../config/model.ts';
import type { Logger } from '../lib/log.ts';
import type { DetachedConnection } from '../lib/line-reader.ts';
import type { ProtocolLogSession } from '../lib/protocol-log.ts';
import type { Socket } from 'node:net';

/**
 * What a protocol session uses from the front end. The front end's FrontendSessionContext
 * satisfies it; it is declared here because the protocol layer may not import the front end.
 */
export interface ProtocolSessionContext {
  /** The live PopSettings/ImapSettings document: read per command so changes apply at once. */
  settings(): SettingsDocument;
  secureContext(): SecureContext;
  authenticator: Authenticator;
  log: Logger;
  clientAddress: string;
  /** The client's port, for a back end on another server (its protocol log shows it). */
  clientPort?: number;
  implicitTls: boolean;
  /**
   * The back end that takes sessions after logon, looked up at each logon: undefined while none
   * runs (the local pop3-backend/imap4-backend service is stopped), and the client is told so.
   */
  backend?(): SessionBackend | undefined;
}

// The seam between a front end and a back end. In one process the back end is called
// directly; across hosts a proxy implements the same interface (open = trusted handshake with
// the remote back end, start = splice the bytes).

/** A back-end session that has accepted a logged-on user. */
export interface BackendSession {
  /**
   * Takes over the connection. It sends the reply to the logon command itself, then reads
   * `connection.pending` (commands the client pipelined after it) before the socket.
   */
  start(connection: DetachedConnection): void;
}

export interface BackendOpenRequest {
  logon: SuccessfulLogon;
  ctx: ProtocolSessionContext;
  /** The session's protocol log; the back end goes on with the same session id and sequence. */
  protocolLog?: ProtocolLogSession;
  /** IMAP: the tag of the LOGIN or AUTHENTICATE command, which the back end answers. */
  tag?: string;
}

export type BackendOpenResult =
  | { ok: true; session: BackendSession }
  /** Refused (mailbox in use, too many connections, store down): the reply line to send. */
  | { ok: false; response: string };

export interface SessionBackend {
  open(request: BackendOpenRequest): Promise<BackendOpenResult>;
  /** The sessions this back end serves now, for the admin center and /metrics. */
  liveSessions?(): LiveSession[];
}

/** One connected, logged-on client as an administrator sees it. */
export interface LiveSession {
  protocol: 'IMAP4' | 'POP3';
  /** Who logged on (user principal name). */
  user: string;
  /** The mailbox opened: the user's own or one it has FullAccess to. */
  mailbox: string;
  client: string;
  since: Date;
}

export type ProtocolSessionStarter = (socket: Socket, ctx: ProtocolSessionContext) => void;

export type SuccessfulLogon = Extract<LogonResult, { ok: true }>;

export function loginTypeOf(settings: SettingsDocument): LoginType {
  return settings.LoginType as LoginType;
}

/** Seconds in the settings, milliseconds for timers. */
export function preAuthTimeoutMs(settings: SettingsDocument): number {
  return Math.max(1, Number(settings.PreAuthenticatedConnectionTimeout) * 1000);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (RFC 4648 §4, padding required): IMAP and POP3 must reject anything else. */
export function decodeBase64(text: string): Buffer | null {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : null;
}

/**
 * The logon name for a SASL identity. An authorization identity names the mailbox to open, the
 * same thing Exchange's `user\mailbox` logon names do, so the FullAccess rule applies to both.
 */
export async function logonNameFor(authenticator: Authenticator, authcid: string, authzid: string | undefined): Promise<string> {
  if (authzid === undefined || authzid === '' || authzid.toLowerCase() === authcid.toLowerCase()) return authcid;
  // "alice\sales" would read as DOMAIN\user, so a bare user name is replaced by its UPN.
  if (!/[@\\]/.test(authcid)) {
    const user = await authenticator.resolveUser({ kind: 'bare', user: authcid.trim() });
    if (user) return `${user.userPrincipalName}\\${authzid}`;
  }
  return `${authcid}\\${authzid}`;
}

/** What a SASL logon needs of its session: any protocol's session context will do. */
export type SaslLogonContext = Pick<ProtocolSessionContext, 'authenticator' | 'log' | 'clientAddress'>;

export type SaslOutcome =
  | { type: 'challenge'; data: Buffer }
  /** The exchange is over: a logon (ok) or a refusal whose reason only the logs may see. */
  | { type: 'done'; result: LogonResult }
  /** Something failed on our side; the client should retry later. */
  | { type: 'error' };

/**
 * One SASL exchange tied to the Authenticator. PLAIN and LOGIN check the password through
 * Authenticator.logon() (which applies the throttle and every logon rule); SCRAM-SHA-256 is
 * admitted by the throttle before the key lookup (Authenticator.beginScram), then authorizes the
 * proven identity and settles the attempt.
 */
export class SaslLogon {
  /** Null when the mechanism is not implemented. */
  static start(mechanism: string, protocol: LogonProtocol, ctx: SaslLogonContext): SaslLogon | null {
    const checked: SaslAttemptState = {};
    const hooks: SaslHooks = {
      verifyPassword: async (authcid, password, authzid) => {
        const logonName = await logonNameFor(ctx.authenticator, authcid, authzid);
        checked.result = await ctx.authenticator.logon({ protocol, logonName, password, clientAddress: ctx.clientAddress });
        return checked.result.ok;
      },
      lookupScram: async (authcid) => {
        const begun = await ctx.authenticator.beginScram(authcid, ctx.clientAddress);
        checked.scram = begun.attempt;
        // Read by the exchange after this lookup, for the fake keys of an unknown name.
        hooks.scramFakeIterations = begun.fakeIterations;
        return begun.credentials;
      },
    };
    const exchange = createSaslExchange(mechanism, hooks);
    return exchange ? new SaslLogon(exchange, checked, protocol, ctx) : null;
  }

  private constructor(
    private readonly exchange: SaslExchange,
    /** PLAIN and LOGIN: the full Authenticator.logon(); SCRAM: the throttled attempt to settle. */
    private readonly checked: SaslAttemptState,
    private readonly protocol: LogonProtocol,
    private readonly ctx: SaslLogonContext,
  ) {}

  get mechanism(): string {
    return this.exchange.mechanism;
  }

  /** `null` means "no initial response"; an empty Buffer is an empty response. */
  async step(response: Buffer | null): Promise<SaslOutcome> {
    const step = await this.exchange.step(response);
    const { authenticator, clientAddress } = this.ctx;
    switch (step.type) {
      case 'challenge':
        return step;
      case 'success':
        // PLAIN/LOGIN: logon() already ran inside the verifier. SCRAM: the proof is checked.
        return {
          type: 'done',
          result: this.checked.result ?? (await authenticator.authorizeScram(this.protocol, await logonNameFor(authenticator, step.authcid, step.authzid), clientAddress, true, this.checked.scram)),
        };
      case 'failure':
        if (step.code === 'internal' && step.cause instanceof LogonBusyError) {
          this.ctx.log.warn({ client: clientAddress, mechanism: this.mechanism }, 'authentication refused: too many attempts waiting');
          return { type: 'done', result: { ok: false, reason: 'busy' } };
        }
        if (step.code === 'internal') {
          this.ctx.log.error({ err: step.cause, client: clientAddress, mechanism: this.mechanism }, 'authentication error');
          return { type: 'error' };
        }
        // A wrong SCRAM proof feeds the failed-logon throttle like a wrong password does.
        if (step.code === 'rejected' && !this.checked.result && step.authcid !== undefined) {
          await authenticator.authorizeScram(this.protocol, step.authcid, clientAddress, false, this.checked.scram);
        }
        this.ctx.log.info({ client: clientAddress, mechanism: this.mechanism, code: step.code }, 'authentication failed');
        return { type: 'done', result: this.checked.result ?? { ok: false, reason: 'credentials' } };
    }
  }
}

interface SaslAttemptState {
  /** Set by PLAIN and LOGIN, whose password check is a full Authenticator.logon(). */
  result?: LogonResult;
  /** Set by SCRAM's key lookup: the attempt the proof settles. */
  scram?: ThrottledAttempt;
}
