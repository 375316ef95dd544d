// LIST [msg] (RFC 1939 §5): the size of one message, or of every message not marked deleted.
import { noSuchMessage, type PopCommand } from './types.ts';

export const list: PopCommand = {
  name: 'LIST',
  states: ['TRANSACTION'],
  run(session, [n]) {
    const { maildrop } = session;
    if (n === undefined) {
      const { messages, octets } = maildrop.stat();
      const lines = function* () {
        for (const [number, message] of maildrop.live()) yield `${number} ${message.size}`;
      };
      return session.replyLines(`+OK ${messages} messages (${octets} octets)`, lines());
    }
    const message = maildrop.get(n);
    session.reply(message ? `+OK ${n} ${message.size}` : noSuchMessage(session, n));
  },
};
