// The few things smtp-server has no option for, done on its connection object: the greeting
// line, replies that carry their own enhanced status code, MaxProtocolErrors and the overall
// ConnectionTimeout. smtp-server 3.21 builds the 220 line as `<name> ESMTP <banner>` and picks
// an enhanced code from the reply code alone (550 → 5.1.1), which would turn "550 5.7.54 relay
// denied" into "550 5.1.1 5.7.54 …". Everything that touches the library's internals is here,
// and test/smtp/connectors.test.ts fails if an upgrade changes them.
import type { SMTPServer, SMTPServerSession } from 'smtp-server';
import { hasEnhancedCode, Replies, type SmtpReply } from './replies.ts';

/** The part of smtp-server's SMTPConnection this file relies on. */
interface ConnectionInternals {
  id: string;
  send(code: number, data?: string | string[], context?: string | false): void;
  _sendGreeting(): void;
}

export interface ConnectionHookOptions {
  /** The 220 line without the code, computed when the client connects (it carries the date). */
  greeting: () => string;
  /** False when the connector does not advertise ENHANCEDSTATUSCODES: codes are then left out. */
  enhancedStatusCodes: boolean;
  /** Syntax and sequence errors (500–504) a client may make; one more closes the connection. */
  maxProtocolErrors: () => number;
  /** ConnectionTimeout: the longest a session may last, however busy. */
  sessionTimeoutMs: number;
}

export interface ConnectionHooks {
  /** Sends a reply (421 replies also close the connection). */
  reply(reply: SmtpReply): void;
  dispose(): void;
}

/** Syntax errors and bad sequences of commands: what Exchange counts as protocol errors. */
const PROTOCOL_ERROR_CODES = new Set([500, 501, 502, 503, 504]);

function connectionOf(server: SMTPServer, session: SMTPServerSession): ConnectionInternals | undefined {
  for (const connection of server.connections as Set<unknown>) {
    const c = connection as Partial<ConnectionInternals>;
    if (c.id === session.id && typeof c.send === 'function' && typeof c._sendGreeting === 'function') return c as ConnectionInternals;
  }
  return undefined;
}

/** Installs the hooks on the connection of `session`; call from onConnect, before the greeting. */
export function installConnectionHooks(server: SMTPServer, session: SMTPServerSession, options: ConnectionHookOptions): ConnectionHooks {
  const connection = connectionOf(server, session);
  if (!connection) throw new Error(`smtp-server connection ${session.id} not found: the library's internals have changed`);
  const send = connection.send.bind(connection);
  let errors = 0;

  connection.send = (code, data, context) => {
    if (typeof data === 'string' && hasEnhancedCode(data)) {
      send(code, options.enhancedStatusCodes ? data : data.replace(/^\S+ ?/, ''), false);
    } else {
      send(code, data, context);
    }
    if (PROTOCOL_ERROR_CODES.has(code) && ++errors > options.maxProtocolErrors()) {
      const closing = Replies.tooManyErrors();
      send(closing.responseCode, options.enhancedStatusCodes ? closing.message : closing.message.replace(/^\S+ /, ''), false);
    }
  };
  connection._sendGreeting = () => send(220, options.greeting(), false);

  const timer = setTimeout(() => connection.send(421, Replies.sessionTimeout().message), options.sessionTimeoutMs);
  timer.unref();

  return {
    reply: (reply) => connection.send(reply.responseCode, reply.message),
    dispose: () => clearTimeout(timer),
  };
}
