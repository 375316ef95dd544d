// IMAP4 front end, not-authenticated state (RFC 3501 §6.1–6.2, with RFC 9051's response codes
// where they help clients): greeting, CAPABILITY, NOOP, LOGOUT, STARTTLS, ID (RFC 2971), LOGIN
// and AUTHENTICATE with SASL-IR (RFC 4959). After a successful logon the connection goes to the
// back end the session context names (ctx.backend); while none runs the client is told the
// mailbox is not reachable and stays not authenticated.
//
// Reply texts follow Exchange 2013 where they are known (research notes §2.1, §6.1):
// "OK CAPABILITY completed.", "OK Begin TLS negotiation now.", "NO LOGIN failed.",
// "BAD Command received in Invalid state.".

import { CertificateRefused } from '../lib/certificates.ts';
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { advertisedMechanisms, authenticationAllowed, imapLoginDisabled } from '../auth/logon-policy.ts';
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
import { logonNameTag } from '../lib/log.ts';
import type { ProtocolLogEntry, ProtocolLogSession } from '../lib/protocol-log.ts';
import { commandLineLimit } from './protocol/index.ts';
import { startImapProtocolLog } from './session-log.ts';

// ---------------------------------------------------------------------------------------------
// Command syntax
// ---------------------------------------------------------------------------------------------

/** One line of a command and the literal announced at its end, if any. */
interface Segment {
  text: Buffer;
  literal?: Buffer;
}

export type ImapArg =
  | { kind: 'atom'; value: string }
  | { kind: 'string'; value: Buffer } // quoted string or literal
  | { kind: 'list'; items: ImapArg[] };

// RFC 3501 §9: tag = 1*<any ASTRING-CHAR except "+">.
const TAG = /^[\x21\x23\x24\x26\x27\x2c-\x5b\x5d-\x7a\x7c-\x7e]+$/;
// `{n}` (synchronizing) or `{n+}` (RFC 7888 non-synchronizing) at the end of a line.
const LITERAL_MARKER = /\{(\d{1,10})(\+?)\}$/;
const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LPAREN = 0x28;
const RPAREN = 0x29;

function tagOf(line: Buffer): string | null {
  const sp = line.indexOf(SP);
  const tag = line.subarray(0, sp < 0 ? line.length : sp).toString('latin1');
  return TAG.test(tag) ? tag : null;
}

/**
 * Splits a command into atoms, strings and parenthesized lists. Lenient where clients are
 * sloppy (extra spaces, a backslash in an unquoted user name: Python's imaplib sends
 * `LOGIN DOMAIN\user` unquoted), strict where ambiguity would follow (unbalanced parentheses,
 * unterminated quotes, control characters).
 */
export function parseImapArgs(segments: readonly { text: Buffer; literal?: Buffer }[]): ImapArg[] | null {
  const stack: ImapArg[][] = [[]];
  for (const segment of segments) {
    const t = segment.text;
    let i = 0;
    while (i < t.length) {
      const c = t[i]!;
      const top = stack[stack.length - 1]!;
      if (c === SP) {
        i++;
      } else if (c === LPAREN) {
        const list: ImapArg[] = [];
        top.push({ kind: 'list', items: list });
        stack.push(list);
        i++;
      } else if (c === RPAREN) {
        if (stack.length === 1) return null;
        stack.pop();
        i++;
      } else if (c === DQUOTE) {
        const quoted = readQuoted(t, i);
        if (!quoted) return null;
        top.push({ kind: 'string', value: quoted.value });
        i = quoted.end;
      } else {
        let j = i;
        while (j < t.length && t[j] !== SP && t[j] !== LPAREN && t[j] !== RPAREN && t[j] !== DQUOTE) {
          if (t[j]! < 0x20 || t[j] === 0x7f) return null;
          j++;
        }
        top.push({ kind: 'atom', value: t.subarray(i, j).toString('utf8') });
        i = j;
      }
    }
    if (segment.literal) stack[stack.length - 1]!.push({ kind: 'string', value: segment.literal });
  }
  return stack.length === 1 ? stack[0]! : null;
}

function readQuoted(t: Buffer, start: number): { value: Buffer; end: number } | null {
  const bytes: number[] = [];
  for (let i = start + 1; i < t.length; i++) {
    const c = t[i]!;
    if (c === DQUOTE) return { value: Buffer.from(bytes), end: i + 1 };
    if (c === BACKSLASH) {
      i++;
      if (i >= t.length) return null;
      bytes.push(t[i]!);
    } else {
      bytes.push(c);
    }
  }
  return null;
}

/** An astring argument (atom, quoted string or literal) as UTF-8 text, or null. */
function astring(arg: ImapArg | undefined): string | null {
  if (!arg || arg.kind === 'list') return null;
  return arg.kind === 'atom' ? arg.value : decodeUtf8(arg.value);
}

function isNil(arg: ImapArg | undefined): boolean {
  return arg?.kind === 'atom' && arg.value.toUpperCase() === 'NIL';
}

/** RFC 2971: `ID NIL` or `ID (field value ...)`, values being strings or NIL. */
function validIdArgs(args: ImapArg[]): boolean {
  if (args.length !== 1) return false;
  const [arg] = args;
  if (isNil(arg)) return true;
  if (arg?.kind !== 'list' || arg.items.length % 2 !== 0 || arg.items.length > 60) return false;
  return arg.items.every((item, i) => item.kind === 'string' || (i % 2 === 1 && isNil(item)));
}

// ---------------------------------------------------------------------------------------------
// The session
// ---------------------------------------------------------------------------------------------

// Commands of the authenticated and selected states (RFC 3501 §6.3–6.4, RFC 9051, and the
// extensions Exchange offers). Before logon they get Exchange's "Invalid state" reply rather
// than "unknown command", so a client can tell it skipped the logon.
const AFTER_LOGON = new Set([
  'SELECT', 'EXAMINE', 'CREATE', 'DELETE', 'RENAME', 'SUBSCRIBE', 'UNSUBSCRIBE', 'LIST', 'LSUB',
  'XLIST', 'STATUS', 'APPEND', 'CHECK', 'CLOSE', 'UNSELECT', 'EXPUNGE', 'SEARCH', 'FETCH', 'STORE',
  'COPY', 'MOVE', 'UID', 'IDLE', 'NAMESPACE', 'ENABLE', 'GETQUOTA', 'GETQUOTAROOT',
]);

const CONTINUE = '+ Ready for additional command text.\r\n';
const TEMPORARY_FAILURE = 'NO [UNAVAILABLE] Temporary server error; try again later.';
// The failed-logon throttle refused the attempt unchecked: RFC 5530 UNAVAILABLE, so clients retry
// later instead of asking for a new password.
const TOO_MANY_ATTEMPTS = 'NO [UNAVAILABLE] Too many logon attempts are waiting; try again later.';

interface PendingCommand {
  tag: string;
  segments: Segment[];
  size: number;
}

class ImapFrontendSession {
  private readonly conn: LineConnection;
  /** A command whose literal is still being read. */
  private pending: PendingCommand | null = null;
  /** An AUTHENTICATE exchange waiting for the client's next response line. */
  private sasl: { tag: string; logon: SaslLogon } | null = null;
  private readonly protocolLog: ProtocolLogSession;
  /** The protocol log line of the command being answered, and its tag. */
  private entry: { tag: string; line: ProtocolLogEntry } | null = null;
  /** True once a back end owns the connection: its end is no longer ours to log. */
  private handedOver = false;

  constructor(
    socket: Socket,
    private readonly ctx: ProtocolSessionContext,
  ) {
    this.conn = new LineConnection(socket, {
      maxLineLength: this.maxCommandSize(),
      // ID may be longer than MaxCommandSize allows (RFC 2971 §3.3); everything else may not.
      lineLimit: commandLineLimit,
      tls: ctx.implicitTls,
      idleTimeoutMs: () => preAuthTimeoutMs(ctx.settings()),
      // PreAuthenticatedConnectionTimeout also bounds the whole logon phase, counted from the
      // connect: commands that never log on (NOOPs, failed logons) do not extend it.
      deadlineMs: preAuthTimeoutMs(ctx.settings()),
    });
    this.protocolLog = startImapProtocolLog(socket, ctx);
    socket.once('close', () => {
      if (!this.handedOver) this.protocolLog.close('connection closed');
    });
  }

  start(): void {
    this.conn.start({
      onItem: (item) => this.onItem(item),
      onIdle: () => this.conn.close('* BYE Connection timed out.\r\n'),
      onDeadline: () => this.conn.close('* BYE Connection timed out: no logon within the time allowed.\r\n'),
      onError: (err) => {
        this.ctx.log.error({ err, client: this.ctx.clientAddress }, 'IMAP4 session error');
        this.conn.close('* BYE Internal server error; please reconnect.\r\n');
      },
    });
    this.send(`* OK ${this.ctx.settings().Banner as string}`);
  }

  private maxCommandSize(): number {
    return Number(this.ctx.settings().MaxCommandSize);
  }

  private send(line: string): void {
    this.conn.write(`${line}\r\n`);
    const entry = this.entry;
    if (!entry) return;
    entry.line.addResponse(line.length + 2);
    // The tagged reply ends the command (RFC 3501 §2.2.2); its status is the log's context.
    if (line.startsWith(`${entry.tag} `)) {
      entry.line.setStatus(line.slice(entry.tag.length + 1));
      entry.line.finish();
      this.entry = null;
    }
  }

  private async onItem(item: LineReaderItem): Promise<void> {
    this.conn.reader.maxLineLength = this.maxCommandSize();
    if (item.type === 'overflow') return this.onOverflow(item.head);
    if (item.type === 'literal') {
      this.pending!.segments[this.pending!.segments.length - 1]!.literal = item.data;
      return;
    }
    if (this.sasl) return this.onSaslResponse(this.sasl, item.data);
    return this.onLine(item.data);
  }

  /**
   * A line over MaxCommandSize was dropped. The reply is tagged when the tag can be read, so
   * the client is not left waiting for its command to complete; otherwise it is untagged.
   */
  private onOverflow(head: Buffer): void {
    const tag = this.sasl?.tag ?? this.pending?.tag ?? (head.includes(SP) ? tagOf(head) : null);
    this.sasl = null;
    this.pending = null;
    this.send(`${tag ?? '*'} BAD Command line too long.`);
  }

  private async onLine(line: Buffer): Promise<void> {
    let command = this.pending;
    if (!command) {
      const tag = tagOf(line);
      if (tag === null) return this.send(line.length === 0 ? '* BAD Empty command line.' : '* BAD Invalid tag.');
      command = { tag, segments: [], size: 0 };
    }
    this.pending = null;
    command.size += line.length + 2;
    const marker = LITERAL_MARKER.exec(line.subarray(Math.max(0, line.length - 14)).toString('latin1'));
    if (!marker) {
      command.segments.push({ text: line });
      return this.run(command);
    }
    command.segments.push({ text: line.subarray(0, line.length - marker[0].length) });
    const size = Number(marker[1]);
    const synchronizing = marker[2] === '';
    // RFC 3501 §7.5: refusing a synchronizing literal with BAD instead of "+" tells the client
    // not to send it. Before logon nothing legitimate needs more than MaxCommandSize in all,
    // but for ID's RFC 2971 maximum.
    const limit = Math.max(this.maxCommandSize(), commandLineLimit(command.segments[0]!.text));
    if (command.size + size > limit) {
      this.send(`${command.tag} BAD Command line too long.`);
      // A non-synchronizing literal is on its way regardless; its bytes cannot be told apart
      // from commands, so the connection cannot continue.
      if (!synchronizing) this.conn.close('* BYE Literal too large.\r\n');
      return;
    }
    command.size += size;
    this.pending = command;
    this.conn.reader.expectLiteral(size);
    // LITERAL+ is not advertised, but Exchange did advertise it, so clients configured for
    // Exchange may send `{n+}`: accept it within the same limit.
    if (synchronizing) this.conn.write(CONTINUE);
  }

  private async run(command: PendingCommand): Promise<void> {
    const { tag } = command;
    const args = parseImapArgs(command.segments);
    const name = args?.[1]?.kind === 'atom' ? args[1].value.toUpperCase() : null;
    if (!args || name === null) return this.send(`${tag} BAD ${args && args.length < 2 ? 'Missing command.' : 'Syntax error.'}`);
    // Only the command name is logged: LOGIN and AUTHENTICATE arguments are credentials.
    this.ctx.log.debug({ client: this.ctx.clientAddress, command: name }, 'IMAP4 command');
    const parameters = name === 'LOGIN' ? `${logonNameTag(args[2] ? astring(args[2]) ?? '' : '')} *****` : name === 'AUTHENTICATE' && args[2]?.kind === 'atom' ? args[2].value : '';
    this.entry = { tag, line: this.protocolLog.begin(name.toLowerCase(), parameters, command.size) };
    try {
      await this.execute(tag, name, args.slice(2));
    } catch (err) {
      this.ctx.log.error({ err, client: this.ctx.clientAddress, command: name }, 'IMAP4 command failed');
      this.sasl = null;
      this.send(`${tag} ${TEMPORARY_FAILURE}`);
    }
  }

  private async execute(tag: string, name: string, args: ImapArg[]): Promise<void> {
    const noArguments = ['CAPABILITY', 'NOOP', 'LOGOUT', 'STARTTLS'];
    if (noArguments.includes(name) && args.length > 0) return this.send(`${tag} BAD ${name} takes no arguments.`);
    switch (name) {
      case 'CAPABILITY':
        this.send(`* CAPABILITY ${this.capabilities().join(' ')}`);
        return this.send(`${tag} OK CAPABILITY completed.`);
      case 'NOOP':
        return this.send(`${tag} OK NOOP completed.`);
      case 'LOGOUT':
        this.send('* BYE Mailroom IMAP4 server signing off.');
        return this.conn.close(`${tag} OK LOGOUT completed.\r\n`);
      case 'ID':
        if (!validIdArgs(args)) return this.send(`${tag} BAD ID needs NIL or a parenthesized list of field-value pairs.`);
        this.send('* ID ("name" "Mailroom")');
        return this.send(`${tag} OK ID completed.`);
      case 'STARTTLS':
        return this.startTls(tag);
      case 'LOGIN':
        return this.login(tag, args);
      case 'AUTHENTICATE':
        return this.authenticate(tag, args);
      default:
        return this.send(`${tag} BAD ${AFTER_LOGON.has(name) ? 'Command received in Invalid state.' : 'Unknown command.'}`);
    }
  }

  /** RFC 3501 §6.1.1, §6.2.3; only what is implemented is listed. */
  private capabilities(): string[] {
    const loginType = loginTypeOf(this.ctx.settings());
    const tls = this.conn.tls;
    const caps = ['IMAP4', 'IMAP4rev1'];
    if (imapLoginDisabled(loginType, tls)) caps.push('LOGINDISABLED');
    if (!tls) caps.push('STARTTLS');
    for (const mechanism of advertisedMechanisms(loginType, tls)) caps.push(`AUTH=${mechanism}`);
    caps.push('SASL-IR', 'ID');
    // LITERAL- (RFC 7888 §5): non-synchronizing literals up to 4096 octets, which fit as long
    // as MaxCommandSize leaves room for them; after logon LITERAL+ takes over.
    if (this.maxCommandSize() >= 4096 + 1024) caps.push('LITERAL-');
    return caps;
  }

  private async startTls(tag: string): Promise<void> {
    if (this.conn.tls) return this.send(`${tag} BAD TLS is already active.`);
    let secureContext: SecureContext;
    try {
      secureContext = this.ctx.secureContext();
    } catch (err) {
      if (err instanceof CertificateRefused) {
        this.ctx.log.warn({ err }, 'STARTTLS refused');
        return this.send(`${tag} NO [UNAVAILABLE] ${err.message}`);
      }
      this.ctx.log.error({ err }, 'STARTTLS without a certificate');
      return this.send(`${tag} NO [UNAVAILABLE] TLS is not available: the server has no certificate.`);
    }
    await this.conn.startTls(`${tag} OK Begin TLS negotiation now.\r\n`, secureContext);
  }

  private async login(tag: string, args: ImapArg[]): Promise<void> {
    // Exchange answers "BAD Command received in Invalid state." here, which clients read as a
    // syntax problem. RFC 3501 §6.2.3 calls for NO, and RFC 5530's PRIVACYREQUIRED code says
    // exactly what is wrong, so clients can show "use TLS" instead of "wrong password".
    if (imapLoginDisabled(loginTypeOf(this.ctx.settings()), this.conn.tls)) {
      return this.send(`${tag} NO [PRIVACYREQUIRED] LOGIN is disabled until TLS is active; use STARTTLS first.`);
    }
    if (args.length !== 2 || args.some((a) => a.kind === 'list')) return this.send(`${tag} BAD LOGIN needs a user name and a password.`);
    const logonName = astring(args[0]);
    const password = astring(args[1]);
    // Invalid UTF-8 cannot match any stored name or password.
    if (logonName === null || password === null) return this.send(`${tag} NO [AUTHENTICATIONFAILED] LOGIN failed.`);
    const result = await this.ctx.authenticator.logon({ protocol: 'imap', logonName, password, clientAddress: this.ctx.clientAddress });
    // The same text whatever the reason (bad password, blocked account, ImapEnabled off, no
    // FullAccess), so a guesser learns nothing about which accounts exist.
    if (!result.ok && result.reason === 'busy') return this.send(`${tag} ${TOO_MANY_ATTEMPTS}`);
    if (!result.ok) return this.send(`${tag} NO [AUTHENTICATIONFAILED] LOGIN failed.`);
    return this.loggedOn(tag, result);
  }

  private async authenticate(tag: string, args: ImapArg[]): Promise<void> {
    const mechanism = args[0]?.kind === 'atom' ? args[0].value : null;
    const initial = args[1];
    if (mechanism === null || args.length > 2 || (initial && initial.kind !== 'atom')) {
      return this.send(`${tag} BAD AUTHENTICATE needs a mechanism name and at most an initial response.`);
    }
    const decision = authenticationAllowed(loginTypeOf(this.ctx.settings()), this.conn.tls, mechanism);
    if (!decision.allowed) {
      return this.send(`${tag} NO ${decision.code === 'tls-required' ? '[PRIVACYREQUIRED] ' : ''}${decision.reason}`);
    }
    const logon = SaslLogon.start(mechanism, 'imap', this.ctx);
    if (!logon) return this.send(`${tag} NO Unrecognized authentication mechanism.`);
    // RFC 4959: "=" is an empty initial response; no argument means none at all.
    let response: Buffer | null = null;
    if (initial?.kind === 'atom') {
      response = initial.value === '=' ? Buffer.alloc(0) : decodeBase64(initial.value);
      if (response === null) return this.send(`${tag} BAD The initial response is not valid base64.`);
    }
    return this.saslStep(tag, logon, response);
  }

  /** RFC 3501 §6.2.2: "*" cancels; anything but valid base64 ends the exchange with BAD. */
  private async onSaslResponse(exchange: { tag: string; logon: SaslLogon }, line: Buffer): Promise<void> {
    const { tag, logon } = exchange;
    this.sasl = null;
    const text = line.toString('latin1');
    if (text === '*') return this.send(`${tag} BAD AUTHENTICATE cancelled.`);
    const response = decodeBase64(text);
    if (response === null) return this.send(`${tag} BAD The AUTHENTICATE response is not valid base64.`);
    try {
      await this.saslStep(tag, logon, response);
    } catch (err) {
      this.ctx.log.error({ err, client: this.ctx.clientAddress }, 'AUTHENTICATE failed');
      this.send(`${tag} ${TEMPORARY_FAILURE}`);
    }
  }

  private async saslStep(tag: string, logon: SaslLogon, response: Buffer | null): Promise<void> {
    const outcome = await logon.step(response);
    if (outcome.type === 'challenge') {
      this.sasl = { tag, logon };
      return this.send(`+ ${outcome.data.toString('base64')}`);
    }
    if (outcome.type === 'error') return this.send(`${tag} ${TEMPORARY_FAILURE}`);
    if (!outcome.result.ok && outcome.result.reason === 'busy') return this.send(`${tag} ${TOO_MANY_ATTEMPTS}`);
    if (!outcome.result.ok) return this.send(`${tag} NO [AUTHENTICATIONFAILED] AUTHENTICATE failed.`);
    return this.loggedOn(tag, outcome.result);
  }

  /** Hands the connection to the back end, or says honestly that the mailbox is out of reach. */
  private async loggedOn(tag: string, logon: SuccessfulLogon): Promise<void> {
    const backend = this.ctx.backend?.();
    this.protocolLog.user = logon.user.id === logon.mailbox.id ? logon.user.userPrincipalName : `${logon.user.userPrincipalName}\\${logon.mailbox.alias}`;
    const opened = backend ? await backend.open({ logon, ctx: this.ctx, tag, protocolLog: this.protocolLog }) : null;
    if (opened?.ok) {
      // The back end sends the logon's reply, so it finishes this line; the session is its now.
      this.handedOver = true;
      this.entry = null;
      return opened.session.start(this.conn.detach());
    }
    this.protocolLog.user = '';
    this.send(opened ? opened.response : `${tag} NO [UNAVAILABLE] The mailbox server for ${logon.mailbox.primarySmtpAddress} is not available now.`);
  }
}

export const startImapSession: ProtocolSessionStarter = (socket, ctx) => {
  new ImapFrontendSession(socket, ctx).start();
};
