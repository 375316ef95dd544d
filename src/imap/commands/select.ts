// SELECT and EXAMINE (RFC 3501 §6.3.1–2, RFC 7162 §3.1.8 CONDSTORE parameter).
import { bad, defineCommand, type CommandOf } from '../session/command.ts';
import type { ImapSession } from '../session/session.ts';

const FLAGS = '\\Answered \\Flagged \\Deleted \\Seen \\Draft';

async function open(session: ImapSession, command: CommandOf<'SELECT'> | CommandOf<'EXAMINE'>): Promise<void> {
  const readOnly = command.command === 'EXAMINE';
  if (command.args.qresync) throw bad('QRESYNC is not enabled.');
  if (command.args.condstore) session.enabled.add('CONDSTORE');
  // A failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1).
  session.unselect();
  const folder = await session.requireFolder(session.nameFromWire(command.args.mailbox));
  const view = await session.select(folder, readOnly);
  let recent: number;
  if (readOnly) recent = (await session.store.status(folder.id)).recent;
  else {
    const claimed = await session.store.claimRecent(folder.id);
    session.recentUids = new Set(claimed);
    recent = claimed.length;
  }
  const status = await session.store.status(folder.id);
  const keywords = new Set<string>();
  for (const uid of view.allUids()) for (const f of view.flagsOf(uid)) if (!f.startsWith('\\')) keywords.add(f);
  const flags = [FLAGS, ...keywords].join(' ');
  session.send(`* FLAGS (${flags})`);
  session.send(readOnly
    ? '* OK [PERMANENTFLAGS ()] Read-only folder.'
    : `* OK [PERMANENTFLAGS (${flags} \\*)] Flags permitted.`);
  session.send(`* ${view.exists} EXISTS`);
  session.send(`* ${recent} RECENT`);
  const firstUnseen = view.allUids().findIndex((uid) => !view.flagsOf(uid).includes('\\Seen'));
  if (firstUnseen >= 0) session.send(`* OK [UNSEEN ${firstUnseen + 1}] First unseen message.`);
  session.send(`* OK [UIDVALIDITY ${status.uidValidity}] UIDs valid.`);
  session.send(`* OK [UIDNEXT ${status.uidNext}] Predicted next UID.`);
  session.send(`* OK [HIGHESTMODSEQ ${status.highestModseq}] Highest MODSEQ.`);
  await session.complete(command, `${command.command} completed.`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
}

export const selectCommand = defineCommand({ name: 'SELECT', states: ['authenticated', 'selected'], run: open });
export const examineCommand = defineCommand({ name: 'EXAMINE', states: ['authenticated', 'selected'], run: open });
