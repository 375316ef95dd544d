// UIDL [msg] (RFC 1939 §7): the unique-id listing that "leave a copy on the server" clients
// keep to know which messages they already have. See uidlFor() for why it never changes.
import { noSuchMessage, type PopCommand } from './types.ts';

export const uidl: PopCommand = {
  name: 'UIDL',
  states: ['TRANSACTION'],
  run(session, [n]) {
    const { maildrop } = session;
    if (n === undefined) {
      const lines = function* () {
        for (const [number, message] of maildrop.live()) yield `${number} ${message.uidl}`;
      };
      return session.replyLines('+OK', lines());
    }
    const message = maildrop.get(n);
    session.reply(message ? `+OK ${n} ${message.uidl}` : noSuchMessage(session, n));
  },
};
