// QUIT (RFC 1939 §6): in TRANSACTION it enters UPDATE, where the messages marked deleted leave
// the Inbox (into Recoverable Items), then the server signs off.
import type { PopCommand } from './types.ts';

export const quit: PopCommand = {
  name: 'QUIT',
  states: ['AUTHORIZATION', 'TRANSACTION'],
  run(session) {
    return session.quit();
  },
};
