// THREAD and UID THREAD (RFC 5256 §3): ORDEREDSUBJECT and REFERENCES.
import { bad, defineCommand } from '../session/command.ts';
import { messageFacts } from '../sorting/message-facts.ts';
import { formatThreads, orderedSubject, references, threadMessage } from '../sorting/thread.ts';
import { searchUids } from './search.ts';

export const threadCommand = defineCommand({
  name: 'THREAD',
  states: ['selected'],
  usesSequenceNumbers: true,
  async run(session, command) {
    const { folder, view } = session.selection!;
    if (command.args.algorithm === 'REFS') throw bad('THREAD=REFS is not supported; use REFERENCES or ORDEREDSUBJECT.');
    const found = await searchUids(session, command.args.search);
    const wanted = new Set(found);
    const summaries = found.length === 0 ? [] : (await session.store.messages(folder.id, { fromUid: found[0]!, toUid: found[found.length - 1]! })).filter((m) => wanted.has(m.uid));
    const facts = (await messageFacts(session.store, summaries)).map(threadMessage);
    const threads = command.args.algorithm === 'ORDEREDSUBJECT' ? orderedSubject(facts) : references(facts);
    const body = formatThreads(threads, (uid) => (command.uid ? uid : view.seqOf(uid)));
    session.send(`* THREAD${body ? ` ${body}` : ''}`);
    await session.complete(command, 'THREAD completed.', null, true);
  },
});
