// SORT and UID SORT (RFC 5256 §3, DISPLAYFROM/DISPLAYTO of RFC 5957), and ESORT's RETURN
// options (RFC 5267 §3), answered with ESEARCH like a SEARCH RETURN but in sort order.
import { esearch, orderedSet } from '../protocol/index.ts';
import { defineCommand } from '../session/command.ts';
import { messageFacts, rowFacts, type MessageFacts } from '../sorting/message-facts.ts';
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
    const range = found.length === 0 ? null : { fromUid: found[0]!, toUid: found[found.length - 1]! };
    // ARRIVAL and SIZE are columns of the rows: only the other keys need each message's header.
    const headers = command.args.criteria.some((c) => c.key !== 'ARRIVAL' && c.key !== 'SIZE');
    let facts: MessageFacts[] = [];
    if (range && headers) facts = await messageFacts(session.store, (await session.store.messages(folder.id, range)).filter((m) => wanted.has(m.uid)));
    else if (range) facts = (await session.store.sizeRows(folder.id, range)).filter((m) => wanted.has(m.uid)).map(rowFacts);
    const sorted = sortMessages(facts, command.args.criteria);
    const numbers = sorted.map((f) => (command.uid ? f.uid : view.seqOf(f.uid)));
    const options = command.args.returnOptions;
    if (options === null) {
      session.send(`* SORT${numbers.map((n) => ` ${n}`).join('')}`);
      return session.complete(command, 'SORT completed.', null, true);
    }
    // ESORT: MIN and MAX are the first and last messages in sort order, ALL lists them in that
    // order (runs compressed, never re-sorted), COUNT as for SEARCH.
    const asked = new Set(options);
    const uids = sorted.map((f) => f.uid);
    if (asked.has('SAVE')) {
      // RFC 5182 §2.4: with MIN and/or MAX but neither ALL nor COUNT, `$` holds just those.
      const extremesOnly = (asked.has('MIN') || asked.has('MAX')) && !asked.has('ALL') && !asked.has('COUNT');
      const saved = !extremesOnly || uids.length === 0 ? uids
        : [...(asked.has('MIN') ? [uids[0]!] : []), ...(asked.has('MAX') ? [uids[uids.length - 1]!] : [])];
      session.savedUids = [...new Set(saved)].sort((a, b) => a - b);
    }
    if (!(asked.size === 1 && asked.has('SAVE'))) {
      const result: Parameters<typeof esearch>[2] = {};
      if (asked.has('MIN') && numbers.length > 0) result.min = numbers[0]!;
      if (asked.has('MAX') && numbers.length > 0) result.max = numbers[numbers.length - 1]!;
      if (asked.has('COUNT')) result.count = numbers.length;
      if (asked.has('ALL') && numbers.length > 0) result.all = orderedSet(numbers);
      session.send(esearch(command.tag, command.uid, result));
    }
    await session.complete(command, 'SORT completed.', null, true);
  },
});
