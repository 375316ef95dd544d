import { capabilities } from '../session/capabilities.ts';
import { defineCommand } from '../session/command.ts';

export const capabilityCommand = defineCommand({
  name: 'CAPABILITY',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    session.send(`* CAPABILITY ${capabilities(session).join(' ')}`);
    await session.complete(command, 'CAPABILITY completed.');
  },
});
