// RSET (RFC 1939 §5): every deletion mark of this session removed.
import type { PopCommand } from './types.ts';

export const rset: PopCommand = {
  name: 'RSET',
  states: ['TRANSACTION'],
  run(session) {
    session.maildrop.unmarkAll();
    const { messages, octets } = session.maildrop.stat();
    session.reply(`+OK Maildrop has ${messages} messages (${octets} octets).`);
  },
};
