// NAMESPACE (RFC 2342): the personal namespace with "/" as Exchange has, and "Other Users/"
// holding the mailboxes the user has FullAccess to (Exchange reaches those only through the
// user\alias logon, which works here too).
import { defineCommand } from '../session/command.ts';
import { OTHER_USERS } from '../session/namespaces.ts';

export const namespaceCommand = defineCommand({
  name: 'NAMESPACE',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    const shared = (await session.sharedMailboxes()).length > 0;
    session.send(`* NAMESPACE (("" "/")) ${shared ? `(("${OTHER_USERS}/" "/"))` : 'NIL'} NIL`);
    await session.complete(command, 'NAMESPACE completed.');
  },
});
