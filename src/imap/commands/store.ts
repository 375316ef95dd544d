// STORE and UID STORE (RFC 3501 §6.4.6, RFC 7162 §3.1.3 UNCHANGEDSINCE).
import { compressNumbers, flagList } from '../protocol/index.ts';
import { defineCommand, no } from '../session/command.ts';

export const storeCommand = defineCommand({
  name: 'STORE',
  states: ['selected'],
  usesSequenceNumbers: true,
  async run(session, command) {
    const { folder, view, readOnly } = session.selection!;
    if (readOnly) throw no('The folder is read-only.', 'READ-ONLY');
    const { args } = command;
    if (args.unchangedSince !== null) session.enableCondstore();
    const uids = session.messageSet(args.set, command.uid);
    const result = await session.store.storeFlags(folder.id, uids, args.operation, args.flags, args.unchangedSince ?? undefined);
    const condstore = session.enabled.has('CONDSTORE');
    const changed = new Map(result.changed.map((c) => [c.uid, c]));
    // Without .SILENT the client hears the flags of every message it named, changed or not:
    // those not changed are read from the store (the view keeps no flags).
    let unchanged = new Map<number, string[]>();
    if (!args.silent && uids.length > changed.size) {
      const rest = uids.filter((uid) => !changed.has(uid));
      const rows = await session.store.messages(folder.id, { fromUid: rest[0]!, toUid: rest.at(-1)! });
      unchanged = new Map(rows.map((m) => [m.uid, m.flags]));
    }
    for (const uid of uids) {
      const c = changed.get(uid);
      if (c) {
        view.noteFlags(uid, c.modseq);
        // A keyword new to the folder is announced with FLAGS even for .SILENT (RFC 3501 §7.2.6).
        session.admitFlags(c.flags);
      }
      // Without .SILENT the client hears the new flags of every message it named; with
      // UNCHANGEDSINCE, .SILENT still reports changes (RFC 7162 §3.1.3), MODSEQ included.
      const report = !args.silent || (c !== undefined && args.unchangedSince !== null);
      if (!report) continue;
      const flags = c?.flags ?? unchanged.get(uid);
      if (!flags) continue; // expunged by someone else since the view last synced
      const modseq = c?.modseq;
      const extra = `${command.uid ? ` UID ${uid}` : ''}${condstore && modseq !== undefined ? ` MODSEQ (${modseq})` : ''}`;
      session.send(`* ${view.seqOf(uid)} FETCH (FLAGS ${flagList(session.shownFlags(uid, flags))}${extra})`);
    }
    // One MODSEQ for the whole STORE: its rows need not be read back by the sync.
    if (result.changed.length > 0) view.noteOwnWrite(result.changed[0]!.modseq);
    if (result.failedUnchangedSince.length > 0) {
      const failed = command.uid ? result.failedUnchangedSince : result.failedUnchangedSince.map((u) => view.seqOf(u));
      return session.complete(command, 'Some messages were modified.', `MODIFIED ${compressNumbers(failed)}`, true);
    }
    await session.complete(command, 'STORE completed.', null, true);
  },
});
