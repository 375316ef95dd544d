// CLOSE expunges \Deleted messages silently, then leaves the folder; UNSELECT (RFC 3691) only
// leaves it. Neither sends EXPUNGE responses.
import { defineCommand } from '../session/command.ts';

export const closeCommand = defineCommand({
  name: 'CLOSE',
  states: ['selected'],
  async run(session, command) {
    const { folder, readOnly } = session.selection!;
    if (!readOnly) {
      const deleted = await session.store.search(folder.id, { type: 'flag', flag: '\\Deleted', present: true });
      if (deleted.length > 0) await session.store.expunge(folder.id, deleted);
    }
    session.unselect();
    session.send(`${command.tag} OK CLOSE completed.`);
  },
});

export const unselectCommand = defineCommand({
  name: 'UNSELECT',
  states: ['selected'],
  async run(session, command) {
    session.unselect();
    session.send(`${command.tag} OK UNSELECT completed.`);
  },
});
