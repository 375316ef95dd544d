// STATUS (RFC 3501 §6.3.10, RFC 7162 HIGHESTMODSEQ, RFC 8438 SIZE, RFC 7889 APPENDLIMIT,
// RFC 9051 DELETED), also used for LIST-STATUS (RFC 5819).
import type { Folder, FolderStatus } from '../../store/types.ts';
import { mailboxName, type StatusItem } from '../protocol/index.ts';
import { defineCommand } from '../session/command.ts';
import type { SessionContext, MailboxAccess } from '../session/context.ts';

/** `known`: the folder's counters when already read (LIST reads every folder's at once). */
export async function statusLine(session: SessionContext, folder: Folder, items: readonly StatusItem[], target: MailboxAccess = session.home, known?: FolderStatus): Promise<string> {
  const s = known ?? await target.store.status(folder.id);
  const values: string[] = [];
  for (const item of items) {
    switch (item) {
      case 'MESSAGES': values.push(`MESSAGES ${s.messages}`); break;
      case 'RECENT': values.push(`RECENT ${s.recent}`); break;
      case 'UIDNEXT': values.push(`UIDNEXT ${s.uidNext}`); break;
      case 'UIDVALIDITY': values.push(`UIDVALIDITY ${s.uidValidity}`); break;
      case 'UNSEEN': values.push(`UNSEEN ${s.unseen}`); break;
      case 'HIGHESTMODSEQ': values.push(`HIGHESTMODSEQ ${s.highestModseq}`); break;
      case 'SIZE': values.push(`SIZE ${s.size}`); break;
      case 'APPENDLIMIT': values.push(`APPENDLIMIT ${session.options.appendLimit()}`); break;
      case 'DELETED': {
        const deleted = await target.store.search(folder.id, { type: 'flag', flag: '\\Deleted', present: true });
        values.push(`DELETED ${deleted.length}`);
        break;
      }
    }
  }
  return `* STATUS ${mailboxName(session.clientName(target, folder.name), { utf8: session.utf8 })} (${values.join(' ')})`;
}

export const statusCommand = defineCommand({
  name: 'STATUS',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    const { folder, target } = await session.requireFolder(session.nameFromWire(command.args.mailbox));
    if (command.args.items.includes('HIGHESTMODSEQ')) session.enableCondstore();
    session.send(await statusLine(session, folder, command.args.items, target));
    await session.complete(command, 'STATUS completed.');
  },
});
