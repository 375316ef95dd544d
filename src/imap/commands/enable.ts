// ENABLE (RFC 5161): CONDSTORE and QRESYNC (RFC 7162), UTF8=ACCEPT (RFC 6855), and IMAP4rev2
// (RFC 9051 §6.3.1), which switches the session to rev2 behaviour. Unknown names are ignored.
import { defineCommand } from '../session/command.ts';
import type { Enabled } from '../session/context.ts';

const SUPPORTED: readonly Enabled[] = ['CONDSTORE', 'QRESYNC', 'UTF8=ACCEPT', 'IMAP4REV2'];

export const enableCommand = defineCommand({
  name: 'ENABLE',
  states: ['authenticated'],
  async run(session, command) {
    const turnedOn: string[] = [];
    for (const raw of command.args.capabilities) {
      const name = raw.toUpperCase() as Enabled;
      if (SUPPORTED.includes(name) && !session.enabled.has(name)) {
        session.enabled.add(name);
        turnedOn.push(name);
        // QRESYNC implies CONDSTORE (RFC 7162 §3.2.3).
        if (name === 'QRESYNC') session.enabled.add('CONDSTORE');
      }
    }
    session.send(`* ENABLED${turnedOn.map((n) => ` ${n === 'IMAP4REV2' ? 'IMAP4rev2' : n}`).join('')}`);
    await session.complete(command, 'ENABLE completed.');
  },
});
