// POP3 front end, AUTHORIZATION state: greeting, CAPA (RFC 2449), STLS (RFC 2595), USER/PASS
// (RFC 1939), AUTH (RFC 5034), UTF8 (RFC 6856) and QUIT. After a successful logon the connection
// goes to the back end the session context names (ctx.backend); while none runs, or when it
// refuses the mailbox ([IN-USE]), the client is told so and stays in AUTHORIZATION.
//
// Every command is written to the protocol log when PopSettings.ProtocolLogEnabled is on, with
// the arguments of PASS and AUTH, and every SASL response line, replaced by "*****".
//
// Response codes (RFC 2449 §8, RFC 3206): [AUTH] for anything about credentials or how they may
// be sent, [SYS/TEMP] for failures on our side that a later retry may not hit. Exchange's own
// texts are kept where known (research notes §6.2): "+OK Begin TLS negotiation.", and the
// sign-off, which names Mailroom.

import { CertificateRefused } from '../lib/certificates.ts';
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
import { LineConnection, type LineReaderItem } from '../lib/line-reader.ts';
import { logonNameTag } from '../lib/log.ts';
import { REDACTED, type ProtocolLogEntry, type ProtocolLogSession } from '../lib/protocol-log.ts';
import { capaResponse } from './capabilities.ts';
import { COMMANDS } from './commands/index.ts';
import { startPopProtocolLog } from './session-log.ts';

// TRANSACTION-state commands: known, but not before logon.
const AFTER_LOGON = new Set([...COMMANDS.values()].filter((c) => !c.states.includes('AUTHORIZATION')).map((c) => c.name));
// What the protocol log may name; anything else is logged as "unknown", since a stray line
// could be a password sent at the wrong moment.
const LOGGED_KEYWORDS = new Set([...AFTER_LOGON, 'CAPA', 'QUIT', 'STLS', 'USER', 'PASS', 'AUTH', 'UTF8', 'APOP', 'LAST']);

const SP = 0x20;
const LOGON_FAILURE = '-ERR [AUTH] Logon failure: unknown user name or bad password.';
const TEMPORARY_FAILURE = '-ERR [SYS/TEMP] Temporary server error; try again later.';
// The failed-logon throttle refused the attempt unchecked: RFC 3206 SYS/TEMP, so clients retry
// later instead of asking for a new password.
const TOO_MANY_ATTEMPTS = '-ERR [SYS/TEMP] Too many logon attempts are waiting; try again later.';
const PLAIN_TEXT_NEEDS_TLS = '-ERR [AUTH] Plain-text logon is allowed only after STLS.';

class PopFrontendSession {
  private readonly conn: LineConnection;
  private readonly protocolLog: ProtocolLogSession;
  /** The protocol log line of the command being answered. */
  private entry: ProtocolLogEntry | null = null;
  /** True once a back end owns the connection: its end is no longer ours to log. */
  private handedOver = false;
  private closeReason = 'connection closed by client';
  /** The name given by USER, waiting for PASS. */
  private user: string | null = null;
  /** An AUTH exchange waiting for the client's next response line, with its log line. */
  private sasl: { logon: SaslLogon; entry: ProtocolLogEntry } | null = null;

  constructor(
    socket: Socket,
    private readonly ctx: ProtocolSessionContext,
  ) {
    this.conn = new LineConnection(socket, {
      maxLineLength: this.maxCommandSize(),
      tls: ctx.implicitTls,
      idleTimeoutMs: () => preAuthTimeoutMs(ctx.settings()),
      // PreAuthenticatedConnectionTimeout also bounds the whole logon phase, counted from the
      // connect: commands that never log on (NOOPs, failed logons) do not extend it.
      deadlineMs: preAuthTimeoutMs(ctx.settings()),
    });
    this.protocolLog = startPopProtocolLog(socket, ctx);
    // Listening on the TCP socket covers the TLS socket STLS puts on top of it.
    socket.once('close', () => {
      if (!this.handedOver) this.protocolLog.close(this.closeReason);
    });
  }

  start(): void {
    this.conn.start({
      onItem: (item) => this.onItem(item),
      // RFC 1939 §3: when the autologout timer expires the server closes the connection
      // without sending any response.
      onIdle: () => {
        this.closeReason = 'PreAuthenticatedConnectionTimeout';
        this.conn.close();
      },
      onError: (err) => {
        this.ctx.log.error({ err, client: this.ctx.clientAddress }, 'POP3 session error');
        this.closeReason = 'server error';
        this.conn.close(this.counted(`${TEMPORARY_FAILURE}\r\n`));
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
    this.conn.write(this.counted(`${line}\r\n`));
  }

  /** Counts a reply towards the command's protocol log line. */
  private counted(text: string): string {
    this.entry?.addResponse(text);
    return text;
  }

  private async onItem(item: LineReaderItem): Promise<void> {
    this.conn.reader.maxLineLength = this.maxCommandSize();
    if (item.type === 'overflow') {
      // The dropped line may have been a SASL response; the exchange cannot go on without it.
      this.sasl?.entry.finish('SASL exchange ended');
      this.sasl = null;
      return this.logged(this.protocolLog.begin('overlong'), () => this.send('-ERR Command line too long.'));
    }
    if (item.type !== 'line') return; // POP3 has no literals
    const sasl = this.sasl;
    this.sasl = null;
    if (sasl) {
      sasl.entry.addRequest(item.data.length + 2);
      return this.logged(sasl.entry, () => this.onSaslResponse(sasl.logon, item.data));
    }
    const { keyword, argument } = splitCommand(item.data);
    return this.logged(this.protocolLog.begin(...logFields(keyword, argument), item.data.length + 2), () => this.onCommand(keyword, argument));
  }

  /**
   * Runs a command with its protocol log line open; the line is written when the reply is
   * complete, unless a SASL exchange goes on (it then ends with the exchange) or a back end
   * took the session over (the back end answers, and writes it).
   */
  private async logged(entry: ProtocolLogEntry, run: () => void | Promise<void>): Promise<void> {
    this.entry = entry;
    try {
      await run();
    } catch (err) {
      this.ctx.log.error({ err, client: this.ctx.clientAddress }, 'POP3 command failed');
      this.send(TEMPORARY_FAILURE);
    } finally {
      this.entry = null;
      if (this.sasl?.entry !== entry) entry.finish();
    }
  }

  private async onCommand(keyword: string, argument: Buffer | null): Promise<void> {
    // Only the keyword is logged: USER, PASS and AUTH arguments are credentials.
    this.ctx.log.debug({ client: this.ctx.clientAddress, command: keyword }, 'POP3 command');
    switch (keyword) {
      case 'CAPA':
        return this.conn.write(this.counted(capaResponse(loginTypeOf(this.ctx.settings()), this.conn.tls)));
      case 'QUIT':
        this.closeReason = 'quit';
        return this.conn.close(this.counted('+OK Mailroom POP3 server signing off.\r\n'));
      case 'STLS':
        return this.startTls();
      case 'UTF8':
        // RFC 6856 §2: names, passwords and messages may be UTF-8 from now on. They already
        // are: USER/PASS decode UTF-8 and messages are served as stored, never downgraded.
        return this.send('+OK UTF8 enabled.');
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

  private async startTls(): Promise<void> {
    if (this.conn.tls) return this.send('-ERR TLS is already active.');
    let secureContext: SecureContext;
    try {
      secureContext = this.ctx.secureContext();
    } catch (err) {
      if (err instanceof CertificateRefused) {
        this.ctx.log.warn({ err }, 'STLS refused');
        return this.send(`-ERR [SYS/PERM] ${err.message}`);
      }
      this.ctx.log.error({ err }, 'STLS without a certificate');
      return this.send('-ERR [SYS/TEMP] TLS is not available: the server has no certificate.');
    }
    // RFC 2595 §4: the client forgets what it learnt before TLS; so do we.
    this.user = null;
    await this.conn.startTls(this.counted('+OK Begin TLS negotiation.\r\n'), secureContext);
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
    // FullAccess), so a guesser learns nothing about which accounts exist. Only the log says.
    if (!result.ok) return this.refused(result.reason);
    return this.loggedOn(result);
  }

  private async auth(argument: Buffer | null): Promise<void> {
    this.user = null;
    const tls = this.conn.tls;
    const loginType = loginTypeOf(this.ctx.settings());
    // AUTH without an argument lists the mechanisms (MS-OXPOP3's form, which Outlook uses);
    // only those usable now are listed, as in CAPA.
    if (argument === null) return this.conn.write(this.counted(['+OK', ...advertisedMechanisms(loginType, tls), '.'].map((l) => `${l}\r\n`).join('')));
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
      // The exchange, and its log line, go on with the client's next line.
      if (this.entry) this.sasl = { logon, entry: this.entry };
      return this.send(`+ ${outcome.data.toString('base64')}`);
    }
    if (outcome.type === 'error') return this.send(TEMPORARY_FAILURE);
    if (!outcome.result.ok) return this.refused(outcome.result.reason);
    return this.loggedOn(outcome.result);
  }

  private refused(reason: string): void {
    this.send(reason === 'busy' ? TOO_MANY_ATTEMPTS : LOGON_FAILURE);
    this.entry?.finish(`Reason=${reason}`);
  }

  /** Hands the connection to the back end, or says honestly why the mailbox is out of reach. */
  private async loggedOn(logon: SuccessfulLogon): Promise<void> {
    const { user, mailbox } = logon;
    this.protocolLog.user = user.id === mailbox.id ? user.userPrincipalName : `${user.userPrincipalName}\\${mailbox.alias}`;
    const backend = this.ctx.backend?.();
    const opened = backend
      ? await backend.open({ logon, ctx: this.ctx, protocolLog: this.protocolLog })
      : { ok: false as const, response: `-ERR [SYS/TEMP] The mailbox server for ${mailbox.primarySmtpAddress} is not available yet.` };
    if (!opened.ok) {
      // Logged with the identity that was refused; the session itself stays anonymous.
      this.send(opened.response);
      this.entry?.finish();
      this.protocolLog.user = '';
      return;
    }
    // From here the back end answers the logon command and owns the connection.
    this.handedOver = true;
    opened.session.start(this.conn.detach());
  }
}

/**
 * RFC 1939 §3: the keyword, then arguments after a single space. The rest of the line is kept
 * whole, since passwords may contain spaces.
 */
function splitCommand(line: Buffer): { keyword: string; argument: Buffer | null } {
  const sp = line.indexOf(SP);
  const keyword = line.subarray(0, sp < 0 ? line.length : sp).toString('latin1').toUpperCase();
  return { keyword, argument: sp < 0 ? null : line.subarray(sp + 1) };
}

/** Command and parameters for the protocol log, with credentials replaced. */
function logFields(keyword: string, argument: Buffer | null): [string, string] {
  if (!LOGGED_KEYWORDS.has(keyword)) return ['unknown', ''];
  const command = keyword.toLowerCase();
  if (argument === null || argument.length === 0) return [command, ''];
  switch (keyword) {
    case 'PASS':
    case 'APOP':
      return [command, REDACTED];
    case 'AUTH': {
      // The mechanism is kept; an initial response is a credential.
      const [mechanism = '', ...rest] = argument.toString('latin1').split(' ');
      return [command, rest.length > 0 ? `${mechanism} ${REDACTED}` : mechanism];
    }
    case 'USER':
      // The typed name may be a password pasted into the wrong field: see logonNameTag.
      return [command, logonNameTag(decodeUtf8(argument) ?? argument.toString('latin1'))];
    default:
      return [command, argument.toString('latin1')];
  }
}

export const startPopSession: ProtocolSessionStarter = (socket, ctx) => {
  new PopFrontendSession(socket, ctx).start();
};
