// SORT and UID SORT (RFC 5256 §3, DISPLAYFROM/DISPLAYTO of RFC 5957), and ESORT's RETURN
// options (RFC 5267 §3), answered with ESEARCH like a SEARCH RETURN but in sort order.
import { esearch, numberListLine, orderedSet, type SortKey } from '../protocol/index.ts';
import { defineCommand } from '../session/command.ts';
import type { SortColumn } from '../../store/types.ts';
import { searchUids } from './search.ts';

const COLUMNS: Record<SortKey, SortColumn> = {
  ARRIVAL: 'arrival', DATE: 'date', SIZE: 'size', SUBJECT: 'subject', FROM: 'from', TO: 'to', CC: 'cc',
  DISPLAYFROM: 'displayfrom', DISPLAYTO: 'displayto',
};

export const sortCommand = defineCommand({
  name: 'SORT',
  states: ['selected'],
  usesSequenceNumbers: true,
  async run(session, command) {
    const { folder, view } = session.selection!;
    // SORT … ALL: the view's own UIDs, uncopied: the view changes only when the session syncs,
    // which is not while a command runs.
    const found = command.args.search.type === 'all' ? view.heldUidArray() : await searchUids(session, command.args.search, true);
    // The store orders by the key columns it keeps with each message (made at append by the
    // same code as sortMessages in ../sorting/sort.ts, the reference order): no header is read,
    // and the answer is one array of UIDs.
    const order = command.args.criteria.map((c) => ({ column: COLUMNS[c.key], reverse: c.reverse }));
    const uids = await session.store.sortedUids(folder.id, order, found);
    const numbers = command.uid ? uids : uids.map((uid) => view.seqOf(uid));
    const options = command.args.returnOptions;
    if (options === null) {
      session.write(numberListLine('* SORT', numbers));
      return session.complete(command, 'SORT completed.', null, true);
    }
    // ESORT: MIN and MAX are the first and last messages in sort order, ALL lists them in that
    // order (runs compressed, never re-sorted), COUNT as for SEARCH.
    const asked = new Set(options);
    if (asked.has('SAVE')) {
      // RFC 5182 §2.4: with MIN and/or MAX but neither ALL nor COUNT, `$` holds just those.
      const extremesOnly = (asked.has('MIN') || asked.has('MAX')) && !asked.has('ALL') && !asked.has('COUNT');
      const saved = !extremesOnly || uids.length === 0 ? [...uids]
        : [...(asked.has('MIN') ? [uids[0]!] : []), ...(asked.has('MAX') ? [uids[uids.length - 1]!] : [])];
      session.savedUids = [...new Set(saved)].sort((a, b) => a - b);
    }
    if (!(asked.size === 1 && asked.has('SAVE'))) {
      const result: Parameters<typeof esearch>[2] = {};
      if (asked.has('MIN') && numbers.length > 0) result.min = numbers[0]!;
      if (asked.has('MAX') && numbers.length > 0) result.max = numbers[numbers.length - 1]!;
      if (asked.has('COUNT')) result.count = numbers.length;
      if (asked.has('ALL') && numbers.length > 0) result.all = orderedSet([...numbers]);
      session.send(esearch(command.tag, command.uid, result));
    }
    await session.complete(command, 'SORT completed.', null, true);
  },
});
