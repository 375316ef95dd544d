// THREAD and UID THREAD (RFC 5256 §3): ORDEREDSUBJECT and REFERENCES.
import { bad, defineCommand } from '../session/command.ts';
import { orderedSubject, references, renderThreads } from '../sorting/thread.ts';
import { threadCache } from '../sorting/thread-cache.ts';
import { searchUids } from './search.ts';

export const threadCommand = defineCommand({
  name: 'THREAD',
  states: ['selected'],
  usesSequenceNumbers: true,
  async run(session, command) {
    const { folder, view } = session.selection!;
    const algorithm = command.args.algorithm;
    if (algorithm === 'REFS') throw bad('THREAD=REFS is not supported; use REFERENCES or ORDEREDSUBJECT.');
    const found = await searchUids(session, command.args.search, true);
    // The thread keys (sent date, base subject, Message-ID, References) are columns of the
    // message rows, made at append, and kept in memory for a large folder: no header is read.
    // Of the UIDs found, they hold those the store still holds, and a kept answer is looked
    // up by those.
    const keys = await session.store.threadKeys(folder.id, found);
    let tokens = threadCache.get(session.store, folder.id, folder.uidValidity, algorithm, keys.uids);
    if (!tokens) {
      tokens = algorithm === 'ORDEREDSUBJECT' ? orderedSubject(keys) : references(keys);
      threadCache.set(session.store, folder.id, folder.uidValidity, algorithm, keys.uids, tokens);
    }
    const body = renderThreads(tokens, (uid) => (command.uid ? uid : view.seqOf(uid)));
    session.send(`* THREAD${body ? ` ${body}` : ''}`);
    await session.complete(command, 'THREAD completed.', null, true);
  },
});
