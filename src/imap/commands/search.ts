// SEARCH and UID SEARCH (RFC 3501 §6.4.4) with ESEARCH (RFC 4731) and SEARCHRES (RFC 5182).
// The pure parser has already decoded CHARSET strings; sequence numbers and `$` become UIDs
// here, and the store evaluates the rest.
import { compressNumbers, esearch, numberListLine, rangesFromNumbers, resolveSearchKey, resolveSequenceSet, type SearchKey } from '../protocol/index.ts';
import type { SearchKey as StoreSearchKey } from '../../store/search.ts';
import { defineCommand } from '../session/command.ts';
import type { SessionContext } from '../session/context.ts';

/** The UIDs of the selected folder's messages that match, ascending. */
/**
 * The UIDs the search finds among the messages the session's view holds, ascending.
 * `heldByStore`: the caller reads the messages from the store and leaves out any it no longer
 * holds (SORT and THREAD do), so ALL can be the view's UIDs as they are, without a query; a
 * message expunged by another session and not yet reported is then left out there, as the
 * store's search would have left it out here.
 */
export async function searchUids(session: SessionContext, criteria: SearchKey, heldByStore = false): Promise<number[]> {
  const { folder, view } = session.selection!;
  if (heldByStore && criteria.type === 'all') return view.allUids();
  const key = resolveSearchKey(criteria, {
    maxUid: Math.max(view.maxUid(), 1),
    seqToUids: (set) => {
      const out: [number, number][] = [];
      for (const [a, b] of resolveSequenceSet(set, view.exists)) {
        const first = view.uidAt(a);
        const last = view.uidAt(Math.min(b, view.exists));
        if (first !== undefined && last !== undefined) out.push([first, last]);
      }
      return out;
    },
    savedUids: () => session.savedUids.map((u) => [u, u] as [number, number]),
    recentUids: () => rangesFromNumbers(session.recentUids),
  });
  // Messages the view does not hold yet (arrived since its last sync) are left out.
  return view.heldUids(await session.store.search(folder.id, key as StoreSearchKey));
}

function usesModseq(key: SearchKey): boolean {
  switch (key.type) {
    case 'modseq': return true;
    case 'not': return usesModseq(key.key);
    case 'or': return usesModseq(key.left) || usesModseq(key.right);
    case 'and': return key.keys.some(usesModseq);
    default: return false;
  }
}

export const searchCommand = defineCommand({
  name: 'SEARCH',
  states: ['selected'],
  usesSequenceNumbers: true,
  async run(session, command) {
    const { folder, view } = session.selection!;
    const withModseq = usesModseq(command.args.criteria);
    if (withModseq) session.enableCondstore();
    const found = await searchUids(session, command.args.criteria);
    const results = command.uid ? found : found.map((uid) => view.seqOf(uid));
    // IMAP4rev2 answers every SEARCH with ESEARCH (RFC 9051 §6.4.4).
    const options = command.args.returnOptions ?? (session.rev2 ? ['ALL' as const] : null);
    // RFC 7162 §3.1.5: a search with MODSEQ reports the highest MODSEQ of the messages it
    // returns. RFC 4731 §3.2: with MIN and/or MAX but neither ALL nor COUNT, those are just the
    // MIN and MAX messages.
    let modseq: number | null = null;
    if (withModseq && found.length > 0) {
      const extremesOnly = options !== null && !options.includes('ALL') && !options.includes('COUNT') && (options.includes('MIN') || options.includes('MAX'));
      // Found UIDs are ascending: the returned ones lie between the first and the last.
      const returned = extremesOnly
        ? [...(options.includes('MIN') ? [found[0]!] : []), ...(options.includes('MAX') ? [found[found.length - 1]!] : [])]
        : found;
      const wanted = new Set(returned);
      modseq = 0;
      for (const m of await session.store.messages(folder.id, { fromUid: returned[0]!, toUid: returned[returned.length - 1]! })) {
        if (wanted.has(m.uid) && m.modseq > modseq) modseq = m.modseq;
      }
    }
    if (options === null) {
      // As bytes from the numbers: a result of 100,000 messages makes no string per number.
      session.write(numberListLine('* SEARCH', results, modseq !== null ? ` (MODSEQ ${modseq})` : ''));
      return session.complete(command, 'SEARCH completed.', null, true);
    }
    const wanted = new Set(options.length === 0 ? ['ALL'] : options);
    if (wanted.has('SAVE')) {
      // RFC 5182 §2.4: with MIN and/or MAX but neither ALL nor COUNT, `$` holds just those.
      const extremesOnly = (wanted.has('MIN') || wanted.has('MAX')) && !wanted.has('ALL') && !wanted.has('COUNT');
      session.savedUids = !extremesOnly || found.length === 0 ? found
        : [...new Set([...(wanted.has('MIN') ? [found[0]!] : []), ...(wanted.has('MAX') ? [found[found.length - 1]!] : [])])];
    }
    const result: Parameters<typeof esearch>[2] = {};
    // Results are ascending, whether UIDs or sequence numbers.
    if (wanted.has('MIN') && results.length > 0) result.min = results[0]!;
    if (wanted.has('MAX') && results.length > 0) result.max = results[results.length - 1]!;
    if (modseq !== null) result.modseq = modseq;
    if (wanted.has('COUNT')) result.count = results.length;
    if (wanted.has('ALL') && results.length > 0) result.all = compressNumbers(results);
    if (!(wanted.size === 1 && wanted.has('SAVE'))) session.send(esearch(command.tag, command.uid, result));
    await session.complete(command, 'SEARCH completed.', null, true);
  },
});
