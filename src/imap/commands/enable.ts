// ENABLE (RFC 5161): CONDSTORE (RFC 7162), UTF8=ACCEPT (RFC 6855). Unknown names are ignored.
import { defineCommand } from '../session/command.ts';
import type { Enabled } from '../session/session.ts';

const SUPPORTED: readonly Enabled[] = ['CONDSTORE', 'UTF8=ACCEPT'];

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
      }
    }
    session.send(`* ENABLED${turnedOn.map((n) => ` ${n}`).join('')}`);
    await session.complete(command, 'ENABLE completed.');
  },
});
