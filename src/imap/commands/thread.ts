// THREAD and UID THREAD (RFC 5256 §3): ORDEREDSUBJECT and REFERENCES.
import { bad, defineCommand } from '../session/command.ts';
import { formatThreads, orderedSubject, references } from '../sorting/thread.ts';
import { searchUids } from './search.ts';

export const threadCommand = defineCommand({
  name: 'THREAD',
  states: ['selected'],
  usesSequenceNumbers: true,
  async run(session, command) {
    const { folder, view } = session.selection!;
    if (command.args.algorithm === 'REFS') throw bad('THREAD=REFS is not supported; use REFERENCES or ORDEREDSUBJECT.');
    const found = await searchUids(session, command.args.search);
    // The thread keys (sent date, base subject, Message-ID, References) are columns of the
    // message rows, made at append: no header is read.
    const rows = await session.store.threadRows(folder.id, found);
    const threads = command.args.algorithm === 'ORDEREDSUBJECT' ? orderedSubject(rows) : references(rows);
    const body = formatThreads(threads, (uid) => (command.uid ? uid : view.seqOf(uid)));
    session.send(`* THREAD${body ? ` ${body}` : ''}`);
    await session.complete(command, 'THREAD completed.', null, true);
  },
});
