// POP3 front end, AUTHORIZATION state: greeting, CAPA (RFC 2449), STLS (RFC 2595), USER/PASS
// (RFC 1939), AUTH (RFC 5034) and QUIT. After a successful logon the connection goes to the back
// end registered with setPopBackend(); until one exists the client is told the mailbox is not
// reachable and stays in AUTHORIZATION.
//
// Response codes (RFC 2449 §8, RFC 3206): [AUTH] for anything about credentials or how they may
// be sent, [SYS/TEMP] for failures on our side that a later retry may not hit. Exchange's own
// texts are kept where known (research notes §6.2): "+OK Begin TLS negotiation.", and the
// sign-off, which names Mailroom.

import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { advertisedMechanisms, authenticationAllowed, plainTextCredentialsAllowed } from '../auth/logon-policy.ts';
import { decodeUtf8 } from '../auth/sasl/index.ts';
import {
  decodeBase64,
  loginTypeOf,
  preAuthTimeoutMs,
  SaslLogon,
  type ProtocolSessionContext,
  type ProtocolSessionStarter,
  type SuccessfulLogon,
} from '../auth/session-logon.ts';
import { LineConnection, type DetachedConnection, type LineReaderItem } from '../lib/line-reader.ts';

// ---------------------------------------------------------------------------------------------
// Back-end handoff
// ---------------------------------------------------------------------------------------------

/** A back-end session that has accepted a logged-on user. */
export interface PopBackendSession {
  /**
   * Takes over the connection. It sends the +OK for the logon command itself, then reads
   * `connection.pending` (commands pipelined after it, RFC 2449 PIPELINING) before the socket.
   */
  start(connection: DetachedConnection): void;
}

export interface PopBackend {
  /** Opens the user's mailbox, or returns null when its server cannot be reached now. */
  open(logon: SuccessfulLogon, ctx: ProtocolSessionContext): Promise<PopBackendSession | null>;
}

const NO_POP_BACKEND: PopBackend = { open: async () => null };
let popBackend: PopBackend = NO_POP_BACKEND;

/** Plugs in the back end; null restores the default, which reports every mailbox unavailable. */
export function setPopBackend(backend: PopBackend | null): void {
  popBackend = backend ?? NO_POP_BACKEND;
}

// ---------------------------------------------------------------------------------------------
// The session
// ---------------------------------------------------------------------------------------------

// RFC 1939 TRANSACTION-state commands (and RFC 2449's TOP/UIDL): known, but not before logon.
const AFTER_LOGON = new Set(['STAT', 'LIST', 'RETR', 'DELE', 'NOOP', 'RSET', 'TOP', 'UIDL', 'LAST']);

const SP = 0x20;
const LOGON_FAILURE = '-ERR [AUTH] Logon failure: unknown user name or bad password.';
const TEMPORARY_FAILURE = '-ERR [SYS/TEMP] Temporary server error; try again later.';
const PLAIN_TEXT_NEEDS_TLS = '-ERR [AUTH] Plain-text logon is allowed only after STLS.';

class PopFrontendSession {
  private readonly conn: LineConnection;
  /** The name given by USER, waiting for PASS. */
  private user: string | null = null;
  /** An AUTH exchange waiting for the client's next response line. */
  private sasl: SaslLogon | null = null;

  constructor(
    socket: Socket,
    private readonly ctx: ProtocolSessionContext,
  ) {
    this.conn = new LineConnection(socket, {
      maxLineLength: this.maxCommandSize(),
      tls: ctx.implicitTls,
      idleTimeoutMs: () => preAuthTimeoutMs(ctx.settings()),
    });
  }

  start(): void {
    this.conn.start({
      onItem: (item) => this.onItem(item),
      // RFC 1939 §3: when the autologout timer expires the server closes the connection
      // without sending any response.
      onIdle: () => this.conn.close(),
      onError: (err) => {
        this.ctx.log.error({ err, client: this.ctx.clientAddress }, 'POP3 session error');
        this.conn.close(`${TEMPORARY_FAILURE}\r\n`);
      },
    });
    this.send(`+OK ${this.ctx.settings().Banner as string}`);
  }

  private maxCommandSize(): number {
    return Number(this.ctx.settings().MaxCommandSize);
  }

  private plainTextAllowed(): boolean {
    return plainTextCredentialsAllowed(loginTypeOf(this.ctx.settings()), this.conn.tls);
  }

  private send(line: string): void {
    this.conn.write(`${line}\r\n`);
  }

  private async onItem(item: LineReaderItem): Promise<void> {
    this.conn.reader.maxLineLength = this.maxCommandSize();
    if (item.type === 'overflow') {
      // The dropped line may have been a SASL response; the exchange cannot go on without it.
      this.sasl = null;
      return this.send('-ERR Command line too long.');
    }
    if (item.type !== 'line') return; // POP3 has no literals
    const sasl = this.sasl;
    this.sasl = null;
    try {
      if (sasl) await this.onSaslResponse(sasl, item.data);
      else await this.onCommand(item.data);
    } catch (err) {
      this.ctx.log.error({ err, client: this.ctx.clientAddress }, 'POP3 command failed');
      this.send(TEMPORARY_FAILURE);
    }
  }

  private async onCommand(line: Buffer): Promise<void> {
    const sp = line.indexOf(SP);
    const keyword = line.subarray(0, sp < 0 ? line.length : sp).toString('latin1').toUpperCase();
    // RFC 1939 §3: arguments follow a single space. PASS keeps the rest of the line whole,
    // since passwords may contain spaces.
    const argument = sp < 0 ? null : line.subarray(sp + 1);
    // Only the keyword is logged: USER, PASS and AUTH arguments are credentials.
    this.ctx.log.debug({ client: this.ctx.clientAddress, command: keyword }, 'POP3 command');
    switch (keyword) {
      case 'CAPA':
        return this.conn.write(this.capabilities().map((l) => `${l}\r\n`).join(''));
      case 'QUIT':
        return this.conn.close('+OK Mailroom POP3 server signing off.\r\n');
      case 'STLS':
        return this.startTls();
      case 'USER':
        return this.userCommand(argument);
      case 'PASS':
        return this.passCommand(argument);
      case 'AUTH':
        return this.auth(argument);
      default:
        return this.send(AFTER_LOGON.has(keyword) ? '-ERR Command is not valid in this state.' : '-ERR Unknown command.');
    }
  }

  /** RFC 2449 §5; TOP and UIDL describe what the mailbox session will offer after logon. */
  private capabilities(): string[] {
    const tls = this.conn.tls;
    const mechanisms = advertisedMechanisms(loginTypeOf(this.ctx.settings()), tls);
    return [
      '+OK',
      'TOP',
      'UIDL',
      ...(this.plainTextAllowed() ? ['USER'] : []),
      ...(mechanisms.length > 0 ? [`SASL ${mechanisms.join(' ')}`] : []),
      ...(tls ? [] : ['STLS']),
      'RESP-CODES',
      'AUTH-RESP-CODE',
      'PIPELINING',
      'IMPLEMENTATION Mailroom',
      '.',
    ];
  }

  private async startTls(): Promise<void> {
    if (this.conn.tls) return this.send('-ERR TLS is already active.');
    let secureContext: SecureContext;
    try {
      secureContext = this.ctx.secureContext();
    } catch (err) {
      this.ctx.log.error({ err }, 'STLS without a certificate');
      return this.send('-ERR [SYS/TEMP] TLS is not available: the server has no certificate.');
    }
    // RFC 2595 §4: the client forgets what it learnt before TLS; so do we.
    this.user = null;
    await this.conn.startTls('+OK Begin TLS negotiation.\r\n', secureContext);
  }

  /**
   * USER is refused at once when clear text is not allowed, so a well-behaved client never
   * sends the password. The answer to a valid-looking name is always +OK: RFC 1939 lets the
   * server refuse unknown names here, but that would tell a guesser which names exist.
   */
  private userCommand(argument: Buffer | null): void {
    if (!this.plainTextAllowed()) return this.send(PLAIN_TEXT_NEEDS_TLS);
    if (argument === null || argument.length === 0) return this.send('-ERR USER needs a user name.');
    // A name that is not UTF-8 cannot exist; it fails at PASS like any unknown name.
    this.user = decodeUtf8(argument) ?? '';
    this.send('+OK');
  }

  private async passCommand(argument: Buffer | null): Promise<void> {
    if (!this.plainTextAllowed()) return this.send(PLAIN_TEXT_NEEDS_TLS);
    const logonName = this.user;
    this.user = null;
    if (logonName === null) return this.send('-ERR PASS must follow USER.');
    const password = argument === null ? null : decodeUtf8(argument);
    if (!password) return this.send(LOGON_FAILURE);
    const result = await this.ctx.authenticator.logon({ protocol: 'pop', logonName, password, clientAddress: this.ctx.clientAddress });
    // The same text whatever the reason (bad password, blocked account, PopEnabled off, no
    // FullAccess), so a guesser learns nothing about which accounts exist.
    if (!result.ok) return this.send(LOGON_FAILURE);
    return this.loggedOn(result);
  }

  private async auth(argument: Buffer | null): Promise<void> {
    this.user = null;
    const tls = this.conn.tls;
    const loginType = loginTypeOf(this.ctx.settings());
    // AUTH without an argument lists the mechanisms (MS-OXPOP3's form, which Outlook uses);
    // only those usable now are listed, as in CAPA.
    if (argument === null) return this.conn.write(['+OK', ...advertisedMechanisms(loginType, tls), '.'].map((l) => `${l}\r\n`).join(''));
    const [mechanism = '', initial, ...extra] = argument.toString('latin1').split(' ');
    if (mechanism === '' || extra.length > 0) return this.send('-ERR AUTH needs a mechanism name and at most an initial response.');
    const decision = authenticationAllowed(loginType, tls, mechanism);
    if (!decision.allowed) {
      return this.send(decision.code === 'tls-required' ? `-ERR [AUTH] ${mechanism.toUpperCase()} is allowed only after STLS.` : '-ERR Unrecognized authentication mechanism.');
    }
    const logon = SaslLogon.start(mechanism, 'pop', this.ctx);
    if (!logon) return this.send('-ERR Unrecognized authentication mechanism.');
    // RFC 5034 §4: "=" is an empty initial response; no argument means none at all.
    let response: Buffer | null = null;
    if (initial !== undefined) {
      response = initial === '=' ? Buffer.alloc(0) : decodeBase64(initial);
      if (response === null) return this.send('-ERR The initial response is not valid base64.');
    }
    return this.saslStep(logon, response);
  }

  /** RFC 5034 §4: "*" cancels; a response that is not base64 ends the exchange. */
  private async onSaslResponse(logon: SaslLogon, line: Buffer): Promise<void> {
    const text = line.toString('latin1');
    if (text === '*') return this.send('-ERR Authentication cancelled.');
    const response = decodeBase64(text);
    if (response === null) return this.send('-ERR The AUTH response is not valid base64.');
    return this.saslStep(logon, response);
  }

  private async saslStep(logon: SaslLogon, response: Buffer | null): Promise<void> {
    const outcome = await logon.step(response);
    if (outcome.type === 'challenge') {
      this.sasl = logon;
      return this.send(`+ ${outcome.data.toString('base64')}`);
    }
    if (outcome.type === 'error') return this.send(TEMPORARY_FAILURE);
    if (!outcome.result.ok) return this.send(LOGON_FAILURE);
    return this.loggedOn(outcome.result);
  }

  /** Hands the connection to the back end, or says honestly that the mailbox is out of reach. */
  private async loggedOn(logon: SuccessfulLogon): Promise<void> {
    const session = await popBackend.open(logon, this.ctx);
    if (session) return session.start(this.conn.detach());
    this.send(`-ERR [SYS/TEMP] The mailbox server for ${logon.mailbox.primarySmtpAddress} is not available yet.`);
  }
}

export const startPopSession: ProtocolSessionStarter = (socket, ctx) => {
  new PopFrontendSession(socket, ctx).start();
};
