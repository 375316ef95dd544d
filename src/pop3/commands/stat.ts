// STAT (RFC 1939 §5): "+OK nn mm", messages not marked deleted and their exact size.
import type { PopCommand } from './types.ts';

export const stat: PopCommand = {
  name: 'STAT',
  states: ['TRANSACTION'],
  run(session) {
    const { messages, octets } = session.maildrop.stat();
    session.reply(`+OK ${messages} ${octets}`);
  },
};
