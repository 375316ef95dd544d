// TOP msg n (RFC 1939 §7): the header, the blank line and the first n lines of the body.
import { noSuchMessage, type PopCommand } from './types.ts';

export const top: PopCommand = {
  name: 'TOP',
  states: ['TRANSACTION'],
  async run(session, [n, lines]) {
    const message = session.maildrop.get(n!);
    if (!message) return session.reply(noSuchMessage(session, n!));
    await session.sendMessage('+OK', message, lines!);
  },
};
