// The SEARCH criteria tree (RFC 3501 §6.4.4, RFC 9051 §6.4.4, RFC 7162 MODSEQ, RFC 5032
// WITHIN, RFC 5182 "$"), and its translation into the UID-only form the store evaluates.

import { resolveSequenceSet, type NumberRanges, type SequenceSet } from './sequence-set.ts';

export type DateOp = 'before' | 'on' | 'since';

/** What the parser produces. Strings are Unicode: the CHARSET has been applied. */
export type SearchKey =
  | { type: 'all' }
  | { type: 'flag'; flag: string; present: boolean }
  | { type: 'recent'; present: boolean }
  /** UID <set>; a `*` end is STAR (Infinity) until resolveSearchKey() replaces it. */
  | { type: 'uid'; ranges: [number, number][] }
  /** Sequence numbers: the session turns them into UIDs. */
  | { type: 'seq'; set: SequenceSet }
  /** `$` (SEARCHRES, RFC 5182). */
  | { type: 'saved' }
  | { type: 'internaldate'; op: DateOp; date: string /* YYYY-MM-DD */ }
  | { type: 'sentdate'; op: DateOp; date: string }
  | { type: 'size'; op: 'larger' | 'smaller'; bytes: number }
  /** FROM TO CC BCC SUBJECT map to field names 'from', 'to', 'cc', 'bcc', 'subject'. */
  | { type: 'header'; field: string; value: string }
  | { type: 'body'; value: string }
  | { type: 'text'; value: string }
  | { type: 'modseq'; modseq: number }
  | { type: 'age'; op: 'older' | 'younger'; seconds: number }
  | { type: 'not'; key: SearchKey }
  | { type: 'or'; left: SearchKey; right: SearchKey }
  | { type: 'and'; keys: SearchKey[] };

type SearchLeaf = Exclude<SearchKey, { type: 'seq' | 'saved' | 'recent' | 'not' | 'or' | 'and' }>;

/**
 * The same tree with sequence numbers, `$` and RECENT/OLD/NEW turned into UID ranges: what the
 * store takes.
 */
export type UidSearchKey =
  | SearchLeaf
  | { type: 'not'; key: UidSearchKey }
  | { type: 'or'; left: UidSearchKey; right: UidSearchKey }
  | { type: 'and'; keys: UidSearchKey[] };

export interface SearchResolver {
  /** The highest UID in the mailbox (what `*` means in a UID set). */
  maxUid: number;
  /** UIDs of the messages with these sequence numbers. */
  seqToUids(set: SequenceSet): NumberRanges;
  /** UIDs saved by the last SEARCH RETURN (SAVE); empty when nothing was saved (RFC 5182 §2.1). */
  savedUids(): NumberRanges;
  /**
   * UIDs of the messages that are \Recent in this session. \Recent belongs to a session, not to
   * the message (RFC 3501 §2.3.2), so RECENT, OLD and NEW are answered from it.
   */
  recentUids(): NumberRanges;
}

/** Replaces sequence-number, `$`, `*` and \Recent references with UID ranges, leaving the rest alone. */
export function resolveSearchKey(key: SearchKey, resolver: SearchResolver): UidSearchKey {
  switch (key.type) {
    case 'seq':
      return { type: 'uid', ranges: resolver.seqToUids(key.set) };
    case 'saved':
      return { type: 'uid', ranges: resolver.savedUids() };
    case 'recent': {
      const recent: UidSearchKey = { type: 'uid', ranges: resolver.recentUids() };
      return key.present ? recent : { type: 'not', key: recent };
    }
    case 'uid':
      return { type: 'uid', ranges: resolveSequenceSet({ ranges: key.ranges }, resolver.maxUid) };
    case 'not':
      return { type: 'not', key: resolveSearchKey(key.key, resolver) };
    case 'or':
      return { type: 'or', left: resolveSearchKey(key.left, resolver), right: resolveSearchKey(key.right, resolver) };
    case 'and':
      return { type: 'and', keys: key.keys.map((k) => resolveSearchKey(k, resolver)) };
    default:
      return key;
  }
}
