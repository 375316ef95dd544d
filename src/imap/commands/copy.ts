// COPY and MOVE (RFC 3501 §6.4.7, RFC 6851), with UIDPLUS's COPYUID (RFC 4315 §3). A full
// target mailbox answers [OVERQUOTA] (RFC 9208 §4.3) and nothing is copied.
import { QuotaExceededError } from '../../store/types.ts';
import { compressNumbers } from '../protocol/index.ts';
import { defineCommand, no, type CommandOf } from '../session/command.ts';
import type { SessionContext } from '../session/context.ts';

async function transfer(session: SessionContext, command: CommandOf<'COPY'> | CommandOf<'MOVE'>): Promise<void> {
  const { folder, readOnly } = session.selection!;
  const move = command.command === 'MOVE';
  if (move && readOnly) throw no('The folder is read-only.', 'READ-ONLY');
  const uids = session.messageSet(command.args.set, command.uid);
  const destination = await session.resolve(session.nameFromWire(command.args.mailbox));
  const target = destination.folderName === '' ? undefined : await destination.store.folder(destination.mailbox.id, destination.folderName);
  if (!target) throw no('The target folder does not exist.', 'TRYCREATE');
  // Folder ids are per mailbox database; a shared mailbox in another database needs a copy of
  // the bytes, which is not offered yet.
  if (destination.store !== session.store) throw no('Copying between mailbox databases is not supported yet.', 'CANNOT');
  if (uids.length === 0) return session.complete(command, `${command.command} completed.`, null, true);
  let result;
  try {
    result = move ? await session.store.move(folder.id, uids, target.id) : await session.store.copy(folder.id, uids, target.id);
  } catch (err) {
    if (err instanceof QuotaExceededError) throw no('The mailbox is full.', 'OVERQUOTA');
    throw err;
  }
  const code = result.mapping.length > 0
    ? `COPYUID ${result.uidValidity} ${compressNumbers(result.mapping.map(([s]) => s))} ${compressNumbers(result.mapping.map(([, t]) => t))}`
    : null;
  if (move) {
    // RFC 6851 §4.3: the COPYUID comes in an untagged OK before the expunges.
    if (code) session.send(`* OK [${code}] Moved.`);
    // MOVE's expunges are sent even for the sequence-number form (RFC 6851 §3.3).
    await session.sync(true);
    session.send(`${command.tag} OK MOVE completed.`);
    return;
  }
  await session.complete(command, 'COPY completed.', code, true);
}

export const copyCommand = defineCommand({ name: 'COPY', states: ['selected'], usesSequenceNumbers: true, run: transfer });
export const moveCommand = defineCommand({ name: 'MOVE', states: ['selected'], usesSequenceNumbers: true, run: transfer });
