// CAPA (RFC 2449 §5) after logon: the same list as before it, for this connection.
import type { PopCommand } from './types.ts';

export const capa: PopCommand = {
  name: 'CAPA',
  states: ['AUTHORIZATION', 'TRANSACTION'],
  run(session) {
    session.replyLines('+OK', session.capabilities());
  },
};
