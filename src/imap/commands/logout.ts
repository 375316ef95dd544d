import { defineCommand } from '../session/command.ts';

export const logoutCommand = defineCommand({
  name: 'LOGOUT',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    session.send('* BYE Mailroom IMAP4 server signing off.');
    session.close(`${command.tag} OK LOGOUT completed.`);
  },
});
