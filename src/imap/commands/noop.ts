// NOOP and CHECK: nothing to do but report what changed (RFC 3501 §6.1.2, §6.4.1).
import { defineCommand } from '../session/command.ts';

export const noopCommand = defineCommand({
  name: 'NOOP',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    await session.complete(command, 'NOOP completed.');
  },
});

export const checkCommand = defineCommand({
  name: 'CHECK',
  states: ['selected'],
  async run(session, command) {
    await session.complete(command, 'CHECK completed.');
  },
});
