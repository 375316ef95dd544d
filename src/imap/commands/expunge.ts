// EXPUNGE and UID EXPUNGE (RFC 3501 §6.4.3, RFC 4315 §2.1). Expunged messages go to
// Recoverable Items; the EXPUNGE responses come from the sync before the tagged OK.
import { defineCommand, no } from '../session/command.ts';

export const expungeCommand = defineCommand({
  name: 'EXPUNGE',
  states: ['selected'],
  async run(session, command) {
    const { folder, readOnly } = session.selection!;
    if (readOnly) throw no('The folder is read-only.', 'READ-ONLY');
    let deleted = await session.store.search(folder.id, { type: 'flag', flag: '\\Deleted', present: true });
    if (command.args.set) {
      const allowed = new Set(session.messageSet(command.args.set, true));
      deleted = deleted.filter((uid) => allowed.has(uid));
    }
    if (deleted.length > 0) await session.store.expunge(folder.id, deleted);
    await session.complete(command, 'EXPUNGE completed.');
  },
});
