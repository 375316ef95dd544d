// The POP3 protocol log of this process: one writer for every session, front end and back end
// alike, so a session's lines share a file and a sequence.
import type { Socket } from 'node:net';
import type { ProtocolSessionContext } from '../auth/session-logon.ts';
import { endpoint, protocolLogSettings, ProtocolLogSession, ProtocolLogWriter } from '../lib/protocol-log.ts';
import type { Logger } from '../lib/log.ts';

const ERROR_REPORT_INTERVAL_MS = 60_000;

let writer: ProtocolLogWriter | undefined;
let reportTo: Logger | undefined;
let lastReport = 0;

function popLogWriter(): ProtocolLogWriter {
  writer ??= new ProtocolLogWriter(
    { prefix: 'POP3', logType: 'POP3 Protocol Log' },
    {
      // A log that cannot be written must not stop mail; say so now and then, not per line.
      onError: (err) => {
        if (Date.now() - lastReport < ERROR_REPORT_INTERVAL_MS) return;
        lastReport = Date.now();
        reportTo?.error({ err }, 'the POP3 protocol log cannot be written');
      },
    },
  );
  return writer;
}

/** Starts the protocol log of a new POP3 connection and writes its OpenSession line. */
export function startPopProtocolLog(socket: Socket, ctx: ProtocolSessionContext): ProtocolLogSession {
  reportTo = ctx.log;
  const session = new ProtocolLogSession(popLogWriter(), () => protocolLogSettings(ctx.settings()), {
    server: endpoint(socket.localAddress, socket.localPort),
    client: endpoint(socket.remoteAddress, socket.remotePort),
  });
  session.open();
  return session;
}
