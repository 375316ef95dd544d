// AUTH SCRAM-SHA-256 (RFC 7677) for SMTP, added to smtp-server's AUTH command, which knows only
// mechanisms whose last step hands a password to onAuth. The exchange itself is the one IMAP4
// and POP3 use (src/auth/sasl/); this file does RFC 4954's framing: 334 challenges in base64,
// "*" to cancel, and the server-final message as a last 334 answered by an empty line (RFC 4422
// §4: SMTP's 235 cannot carry additional data).
import type { LogonResult } from '../auth/authenticator.ts';
import { decodeBase64, type SaslLogon } from '../auth/session-logon.ts';
import type { SmtpConnectionInternals } from './server-internals.ts';
import { SmtpReply } from './replies.ts';

export const SCRAM_MECHANISM = 'SCRAM-SHA-256';

export interface ScramAuthOptions {
  /** A new exchange for this session's client, or null when SCRAM is not on offer. */
  start(): SaslLogon | null;
  /** Called with the logon's result: sets session.user on success; may wait (AuthTarpitInterval). */
  finished(result: LogonResult): Promise<SmtpReply | null>;
}

const Aborted = new SmtpReply(501, '5.0.0', 'Authentication aborted');
const BadBase64 = new SmtpReply(501, '5.5.2', 'Cannot decode the response: it is not base64');
const Syntax = new SmtpReply(501, '5.5.4', 'Syntax: AUTH SCRAM-SHA-256 [initial-response]');
const AlreadyAuthenticated = new SmtpReply(503, '5.5.1', 'Already authenticated');
const NotOffered = new SmtpReply(504, '5.7.4', 'Unrecognized authentication type');
const Unavailable = new SmtpReply(454, '4.7.0', 'Temporary authentication failure');

export function installScramAuth(connection: SmtpConnectionInternals, options: ScramAuthOptions): void {
  const auth = connection.handler_AUTH;
  const reply = (r: SmtpReply) => connection.send(r.responseCode, r.message);

  const step = (logon: SaslLogon, response: Buffer | null, callback: () => void) => {
    logon.step(response).then(
      async (outcome) => {
        if (outcome.type === 'challenge') {
          connection.send(334, outcome.data.toString('base64'), false);
          connection._nextHandler = (line: Buffer, next: () => void) => {
            const text = line.toString('binary').trim();
            if (text === '*') {
              reply(Aborted);
              return next();
            }
            const decoded = decodeBase64(text);
            if (!decoded) {
              reply(BadBase64);
              return next();
            }
            step(logon, decoded, next);
          };
          return callback();
        }
        if (outcome.type === 'error') {
          reply(Unavailable);
          return callback();
        }
        const refusal = await options.finished(outcome.result);
        if (refusal) reply(refusal);
        else {
          // What the library does after its own mechanisms: the Received line says ESMTPSA.
          connection.session.transmissionType = connection._transmissionType();
          connection.send(235, '2.7.0 Authentication successful');
        }
        callback();
      },
      () => {
        reply(Unavailable);
        callback();
      },
    );
  };

  connection.handler_AUTH = function (this: SmtpConnectionInternals, command, callback) {
    const args = command.toString('binary').trim().split(/\s+/);
    if ((args[1] ?? '').toUpperCase() !== SCRAM_MECHANISM) return auth.call(this, command, callback);
    // The library's own checks for every mechanism: disabled AUTH never reaches a handler.
    if (this.session.user) {
      reply(AlreadyAuthenticated);
      return callback();
    }
    if (args.length > 3) {
      reply(Syntax);
      return callback();
    }
    const logon = options.start();
    if (!logon) {
      reply(NotOffered);
      return callback();
    }
    // RFC 4954 §4: "=" is an empty initial response, no argument means none.
    let initial: Buffer | null = null;
    if (args[2] !== undefined) {
      initial = args[2] === '=' ? Buffer.alloc(0) : decodeBase64(args[2]);
      if (!initial) {
        reply(BadBase64);
        return callback();
      }
    }
    step(logon, initial, callback);
  };
}
