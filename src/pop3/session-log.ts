// The POP3 protocol log: front end and back end write the lines of a session to one file.
import type { Socket } from 'node:net';
import type { ProtocolSessionContext } from '../auth/session-logon.ts';
import { startProtocolLog, type ProtocolLogSession } from '../lib/protocol-log.ts';

/** Starts the protocol log of a new POP3 connection and writes its OpenSession line. */
export function startPopProtocolLog(socket: Socket, ctx: ProtocolSessionContext): ProtocolLogSession {
  return startProtocolLog({ prefix: 'POP3', logType: 'POP3 Protocol Log' }, socket, () => ctx.settings(), (err) =>
    ctx.log.error({ err }, 'the POP3 protocol log cannot be written'),
  );
}
