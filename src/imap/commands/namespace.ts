// NAMESPACE (RFC 2342): one personal namespace with "/" as Exchange has. Mailboxes a user has
// FullAccess to are opened with the user\alias logon, as on Exchange, not as a namespace.
import { defineCommand } from '../session/command.ts';

export const namespaceCommand = defineCommand({
  name: 'NAMESPACE',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    session.send('* NAMESPACE (("" "/")) NIL NIL');
    await session.complete(command, 'NAMESPACE completed.');
  },
});
