// RETR msg (RFC 1939 §5): the message as stored, byte for byte, dot-stuffed.
import { noSuchMessage, type PopCommand } from './types.ts';

export const retr: PopCommand = {
  name: 'RETR',
  states: ['TRANSACTION'],
  async run(session, [n]) {
    const message = session.maildrop.get(n!);
    if (!message) return session.reply(noSuchMessage(session, n!));
    await session.sendMessage(`+OK ${message.size} octets`, message);
  },
};
