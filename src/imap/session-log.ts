// The IMAP4 protocol log (Set-ImapSettings -ProtocolLogEnabled $true): front end and back end
// write the lines of a session to one file, in Exchange's 2013 field layout.
import type { Socket } from 'node:net';
import type { ProtocolSessionContext } from '../auth/session-logon.ts';
import { startProtocolLog, type ProtocolLogSession } from '../lib/protocol-log.ts';

export function startImapProtocolLog(socket: Socket, ctx: ProtocolSessionContext): ProtocolLogSession {
  return startProtocolLog({ prefix: 'IMAP4', logType: 'IMAP4 Protocol Log' }, socket, () => ctx.settings(), (err) =>
    ctx.log.error({ err }, 'the IMAP4 protocol log cannot be written'),
  );
}
