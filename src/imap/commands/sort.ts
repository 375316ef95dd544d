// SORT and UID SORT (RFC 5256 §3, DISPLAYFROM/DISPLAYTO of RFC 5957).
import { defineCommand } from '../session/command.ts';
import { messageFacts } from '../sorting/message-facts.ts';
import { sortMessages } from '../sorting/sort.ts';
import { searchUids } from './search.ts';

export const sortCommand = defineCommand({
  name: 'SORT',
  states: ['selected'],
  usesSequenceNumbers: true,
  async run(session, command) {
    const { folder, view } = session.selection!;
    const found = await searchUids(session, command.args.search);
    const wanted = new Set(found);
    const summaries = found.length === 0 ? [] : (await session.store.messages(folder.id, { fromUid: found[0]!, toUid: found[found.length - 1]! })).filter((m) => wanted.has(m.uid));
    const sorted = sortMessages(await messageFacts(session.store, summaries), command.args.criteria);
    const numbers = sorted.map((f) => (command.uid ? f.uid : view.seqOf(f.uid)));
    session.send(`* SORT${numbers.map((n) => ` ${n}`).join('')}`);
    await session.complete(command, 'SORT completed.', null, true);
  },
});
