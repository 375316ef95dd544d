// ID (RFC 2971): say who we are; what the client says about itself goes to the log.
import { defineCommand } from '../session/command.ts';

export const idCommand = defineCommand({
  name: 'ID',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    if (command.args.params) session.log.debug({ clientId: command.args.params }, 'client ID');
    session.send('* ID ("name" "Mailroom" "vendor" "Mailroom")');
    await session.complete(command, 'ID completed.');
  },
});
