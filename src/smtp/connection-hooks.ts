// The few things smtp-server has no option for, done on its connection object: the greeting
// line, replies that carry their own enhanced status code, MaxProtocolErrors, the overall
// ConnectionTimeout and a ConnectionInactivityTimeout that bytes alone do not restart. smtp-server 3.21 builds the 220 line as `<name> ESMTP <banner>` and picks
// an enhanced code from the reply code alone (550 → 5.1.1), which would turn "550 5.7.54 relay
// denied" into "550 5.1.1 5.7.54 …". CHUNKING (chunking.ts) and AUTH SCRAM-SHA-256
// (scram-auth.ts) are installed from here too. Everything that touches the library's internals
// is typed in server-internals.ts, and test/smtp/connectors.test.ts and chunking.test.ts fail
// if an upgrade changes them.
import type { SMTPServer, SMTPServerSession } from 'smtp-server';
import { installChunking, type ChunkingOptions } from './chunking.ts';
import { hasEnhancedCode, Replies, type SmtpReply } from './replies.ts';
import { installScramAuth, type ScramAuthOptions } from './scram-auth.ts';
import type { SmtpConnectionInternals, SmtpParserInternals } from './server-internals.ts';

const REQUIRED_METHODS = ['send', '_sendGreeting', '_createParser', '_resetSession', '_transmissionType', '_validateMailParams', '_onCommand', '_onTimeout', '_armTimeout', 'handler_EHLO', 'handler_DATA', 'handler_AUTH'] as const;

export interface ConnectionHookOptions {
  /** The 220 line without the code, computed when the client connects (it carries the date). */
  greeting: () => string;
  /** False when the connector does not advertise ENHANCEDSTATUSCODES: codes are then left out. */
  enhancedStatusCodes: boolean;
  /** Syntax and sequence errors (500–504) a client may make; one more closes the connection. */
  maxProtocolErrors: () => number;
  /** ConnectionTimeout: the longest a session may last, however busy. */
  sessionTimeoutMs: number;
  /** ConnectionInactivityTimeout: the longest a session may go without a command or message data. */
  inactivityTimeoutMs: () => number;
  chunking: ChunkingOptions;
  scram: ScramAuthOptions;
}

export interface ConnectionHooks {
  /** Sends a reply (421 replies also close the connection). */
  reply(reply: SmtpReply): void;
  dispose(): void;
}

/** Syntax errors and bad sequences of commands: what Exchange counts as protocol errors. */
const PROTOCOL_ERROR_CODES = new Set([500, 501, 502, 503, 504]);

function connectionOf(server: SMTPServer, session: SMTPServerSession): SmtpConnectionInternals | undefined {
  for (const connection of server.connections as Set<unknown>) {
    const c = connection as Record<string, unknown>;
    if (c.id !== session.id) continue;
    const parser = c._parser as Record<string, unknown> | undefined;
    const complete = REQUIRED_METHODS.every((m) => typeof c[m] === 'function') && !!parser && typeof parser._feedDataStream === 'function'
      && typeof parser._write === 'function' && typeof parser._dataMode === 'boolean';
    if (complete) return connection as SmtpConnectionInternals;
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

  installChunking(connection, options.chunking);
  installScramAuth(connection, options.scram);

  const timer = setTimeout(() => connection.send(421, Replies.sessionTimeout().message), options.sessionTimeoutMs);
  timer.unref();

  // ConnectionInactivityTimeout. smtp-server uses socket.setTimeout(), which any byte restarts,
  // so a client dripping one byte of a command line at a time would be held until
  // ConnectionTimeout. Only a complete command line, or message data after DATA or BDAT,
  // restarts this clock; when it runs out, the library's own handler decides (it waits while
  // the client waits for a reply of ours).
  let idle: NodeJS.Timeout | undefined;
  const active = () => {
    clearTimeout(idle);
    idle = setTimeout(() => connection._onTimeout(), options.inactivityTimeoutMs());
    idle.unref();
  };
  connection._armTimeout = (socket = connection._socket) => {
    socket.setTimeout(0);
    active();
  };
  connection._armTimeout();
  const onCommand = connection._onCommand.bind(connection);
  connection._onCommand = (command, callback) => {
    active();
    onCommand(command, callback);
  };
  const watchData = (parser: SmtpParserInternals) => {
    const feed = parser._feedDataStream.bind(parser);
    parser._feedDataStream = (chunk, done) => {
      active();
      feed(chunk, done);
    };
    return parser;
  };
  if (connection._parser) watchData(connection._parser);
  const createParser = connection._createParser.bind(connection);
  connection._createParser = () => watchData(createParser());

  return {
    reply: (reply) => connection.send(reply.responseCode, reply.message),
    dispose: () => {
      clearTimeout(timer);
      clearTimeout(idle);
    },
  };
}
