// APPEND with MULTIAPPEND (RFC 3502) and UIDPLUS's APPENDUID (RFC 4315 §3). All messages of one
// command are stored, or none: a full mailbox ([OVERQUOTA]) or a missing folder ([TRYCREATE])
// stops before anything is kept.
import { QuotaExceededError } from '../../store/types.ts';
import { compressNumbers } from '../protocol/index.ts';
import { defineCommand, no } from '../session/command.ts';

export const appendCommand = defineCommand({
  name: 'APPEND',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    const target = await session.resolve(session.nameFromWire(command.args.mailbox));
    const { store, mailbox } = target;
    const folder = target.folderName === '' ? undefined : await store.folder(mailbox.id, target.folderName);
    if (!folder) throw no('The folder does not exist.', 'TRYCREATE');
    const limit = session.options.appendLimit();
    for (const m of command.args.messages) {
      if (m.data.length > limit) throw no(`The message is larger than the ${limit}-byte APPENDLIMIT.`, 'TOOBIG');
      if (m.data.length === 0) throw no('An empty message cannot be appended.');
    }
    // The store checks the quota per message; for several, check their sum first, so a
    // MULTIAPPEND that cannot fit is refused before anything is stored (and has to be taken back
    // into Recoverable Items).
    if (command.args.messages.length > 1) {
      const limit = await session.options.quotaLimit(mailbox.id);
      const total = command.args.messages.reduce((n, m) => n + m.data.length, 0);
      if (limit !== 'unlimited' && (await store.usage(mailbox.id)).bytes + total > limit) {
        throw no('The mailbox is full.', 'OVERQUOTA');
      }
    }
    const uids: number[] = [];
    let uidValidity = folder.uidValidity;
    const appended: number[] = [];
    try {
      for (const m of command.args.messages) {
        const r = await store.append(folder.id, { raw: m.data, flags: m.flags, internalDate: m.date ? m.date.date : undefined });
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
