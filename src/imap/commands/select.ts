// SELECT and EXAMINE (RFC 3501 §6.3.1–2, RFC 7162 §3.1.8 CONDSTORE parameter).
import { flagList, mailboxName, rangesContain, resolveSequenceSet, vanished, type QresyncParams } from '../protocol/index.ts';
import { bad, defineCommand, type CommandOf } from '../session/command.ts';
import type { SessionContext } from '../session/context.ts';

/**
 * QRESYNC (RFC 7162 §3.2.5): what the client missed since its MODSEQ, in one round trip —
 * VANISHED (EARLIER) for removed UIDs it knew, FETCH for messages that changed.
 */
async function resynchronize(session: SessionContext, folderId: number, q: QresyncParams): Promise<void> {
  const view = session.selection!.view;
  const changes = await session.store.changesSince(folderId, q.modseq);
  const known = q.knownUids ? resolveSequenceSet(q.knownUids, Number.MAX_SAFE_INTEGER) : null;
  const gone = changes.expunged.filter((uid) => !known || rangesContain(known, uid));
  if (gone.length > 0) session.send(vanished(gone, true));
  for (const m of changes.changed) {
    const seq = view.seqOf(m.uid);
    if (seq > 0) session.send(`* ${seq} FETCH (UID ${m.uid} FLAGS ${flagList(session.shownFlags(m.uid, m.flags))} MODSEQ (${m.modseq}))`);
  }
}

async function open(session: SessionContext, command: CommandOf<'SELECT'> | CommandOf<'EXAMINE'>): Promise<void> {
  const readOnly = command.command === 'EXAMINE';
  const qresync = command.args.qresync;
  // RFC 7162 §3.2.5: the QRESYNC parameter needs ENABLE QRESYNC first.
  if (qresync && !session.enabled.has('QRESYNC')) throw bad('QRESYNC must be enabled before it is used in SELECT.');
  if (command.args.condstore) session.enabled.add('CONDSTORE');
  // A failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1). A QRESYNC client is told
  // where the old folder's responses end (RFC 7162 §3.2.11).
  if (session.selection && session.enabled.has('QRESYNC')) session.send('* OK [CLOSED] Previous folder closed.');
  session.unselect();
  const name = session.nameFromWire(command.args.mailbox);
  const { folder, target } = await session.requireFolder(name);
  const view = await session.select(folder, readOnly, target);
  const status = await session.store.status(folder.id);
  session.sendMailboxFlags(true);
  session.send(`* ${view.exists} EXISTS`);
  if (session.rev2) {
    // RFC 9051 §6.3.2: a LIST reply with the name instead of rev1's RECENT and UNSEEN.
    session.send(`* LIST () "/" ${mailboxName(session.clientName(target, folder.name), { utf8: true })}`);
  } else {
    session.send(`* ${session.recentCount()} RECENT`);
    if (view.firstUnseen > 0) session.send(`* OK [UNSEEN ${view.firstUnseen}] First unseen message.`);
  }
  session.send(`* OK [UIDVALIDITY ${status.uidValidity}] UIDs valid.`);
  session.send(`* OK [UIDNEXT ${status.uidNext}] Predicted next UID.`);
  // The view's MODSEQ, not the folder's latest: a change committed since the view was read is
  // announced by the next sync, and a CONDSTORE client must not count it as already seen.
  session.send(`* OK [HIGHESTMODSEQ ${view.highestModseq}] Highest MODSEQ.`);
  if (qresync && qresync.uidValidity === status.uidValidity) await resynchronize(session, folder.id, qresync);
  await session.complete(command, `${command.command} completed.`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
}

export const selectCommand = defineCommand({ name: 'SELECT', states: ['authenticated', 'selected'], run: open });
export const examineCommand = defineCommand({ name: 'EXAMINE', states: ['authenticated', 'selected'], run: open });
