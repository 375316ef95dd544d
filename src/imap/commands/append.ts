// APPEND with MULTIAPPEND (RFC 3502), UIDPLUS's APPENDUID (RFC 4315 §3) and BINARY's literal8
// (RFC 3516 §4.4). All messages of one command are stored, or none: a full mailbox
// ([OVERQUOTA]), a missing folder ([TRYCREATE]) or NUL that cannot be stored ([UNKNOWN-CTE])
// stops before anything is kept. Large messages arrive in spool files (literal-spool.ts) and are
// read back one at a time as they are stored.
import { scanMessage, storeBinaryParts } from '../../mime/index.ts';
import { QuotaExceededError } from '../../store/types.ts';
import { compressNumbers } from '../protocol/index.ts';
import { defineCommand, no } from '../session/command.ts';

/**
 * A literal8 message (RFC 3516 §4.4) with its binary parts in base64, so BODY[] can return it
 * and BINARY[] still gives back the bytes sent; NUL anywhere else cannot be stored ([UNKNOWN-CTE]).
 */
function storableBinary(data: Buffer): Buffer {
  const stored = storeBinaryParts(data, scanMessage(data));
  if (!stored.ok) throw no(stored.reason, 'UNKNOWN-CTE');
  return stored.data;
}

export const appendCommand = defineCommand({
  name: 'APPEND',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    const target = await session.resolve(session.nameFromWire(command.args.mailbox));
    const { store, mailbox } = target;
    const folder = target.folderName === '' ? undefined : await store.folder(mailbox.id, target.folderName);
    if (!folder) throw no('The folder does not exist.', 'TRYCREATE');
    const limit = session.options.appendLimit();
    const binaries = new Map<(typeof command.args.messages)[number], Buffer | undefined>();
    for (const m of command.args.messages) {
      const size = session.literalSize(m.data);
      if (size > limit) throw no(`The message is larger than the ${limit}-byte APPENDLIMIT.`, 'TOOBIG');
      if (size === 0) throw no('An empty message cannot be appended.');
      // A literal8 is checked (and its binary parts re-encoded) before anything is stored; such
      // messages are rare and held in memory, plain ones stay in their spool files until stored.
      binaries.set(m, m.binary ? storableBinary(await session.literalData(m.data)) : undefined);
    }
    // The store checks the quota per message; for several, check their sum first, so a
    // MULTIAPPEND that cannot fit is refused before anything is stored (and has to be taken back
    // into Recoverable Items).
    if (command.args.messages.length > 1) {
      const limit = await session.options.quotaLimit(mailbox.id);
      const total = command.args.messages.reduce((n, m) => n + session.literalSize(m.data), 0);
      if (limit !== 'unlimited' && (await store.usage(mailbox.id)).bytes + total > limit) {
        throw no('The mailbox is full.', 'OVERQUOTA');
      }
    }
    if (command.args.messages.length === 1 && session.canFinishLater) {
      // One message: queued for its commit now, answered when that is done, while the session
      // reads on. A client pipelining APPENDs (LITERAL+) gets them into one commit and one fsync.
      const [m] = command.args.messages;
      const raw = binaries.get(m!) ?? (await session.literalData(m!.data));
      const appended = store.append(folder.id, { raw, flags: m!.flags, internalDate: m!.date ? m!.date.date : undefined, order: session.appendTurn() });
      appended.catch(() => undefined); // Its failure is answered by the step below, in turn.
      session.finishLater(command, async () => {
        const r = await appended.catch((err: unknown) => {
          throw err instanceof QuotaExceededError ? no('The mailbox is full.', 'OVERQUOTA') : err;
        });
        await session.complete(command, 'APPEND completed.', `APPENDUID ${r.uidValidity} ${r.uid}`);
      }, raw.length);
      return;
    }
    const uids: number[] = [];
    let uidValidity = folder.uidValidity;
    const appended: number[] = [];
    try {
      for (const m of command.args.messages) {
        const raw = binaries.get(m) ?? (await session.literalData(m.data));
        const r = await store.append(folder.id, { raw, flags: m.flags, internalDate: m.date ? m.date.date : undefined });
        uids.push(r.uid);
        appended.push(r.uid);
        uidValidity = r.uidValidity;
      }
    } catch (err) {
      // MULTIAPPEND is all or nothing (RFC 3502 §6.3.11): take back what went in.
      if (appended.length > 0) await store.expunge(folder.id, appended).catch(() => undefined);
      if (err instanceof QuotaExceededError) throw no('The mailbox is full.', 'OVERQUOTA');
      throw err;
    }
    await session.complete(command, 'APPEND completed.', `APPENDUID ${uidValidity} ${compressNumbers(uids)}`);
  },
});
