// IDLE (RFC 2177): changes are pushed as they commit; "* OK Still here" keeps NAT mappings
// alive well inside AuthenticatedConnectionTimeout.
import { defineCommand } from '../session/command.ts';

export const idleCommand = defineCommand({
  name: 'IDLE',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    await session.sync(true);
    session.beginIdle(command.tag);
  },
});
