// NOOP (RFC 1939 §5): nothing but "+OK"; clients use it to keep the session alive.
import type { PopCommand } from './types.ts';

export const noop: PopCommand = {
  name: 'NOOP',
  states: ['TRANSACTION'],
  run(session) {
    session.reply('+OK');
  },
};
