// DELE msg (RFC 1939 §5): only a mark. The message leaves the Inbox in the UPDATE state after
// QUIT; a session that ends any other way deletes nothing.
import { noSuchMessage, type PopCommand } from './types.ts';

export const dele: PopCommand = {
  name: 'DELE',
  states: ['TRANSACTION'],
  run(session, [n]) {
    if (!session.maildrop.markDeleted(n!)) return session.reply(noSuchMessage(session, n!));
    session.reply(`+OK Message ${n} deleted.`);
  },
};
