// A folder's messages in the order of one SORT criterion list (RFC 5256 §3), as UIDs: read once
// from the engine's index walk, kept, and used for every SORT of that folder and order until a
// message arrives. A message's sort keys never change (they are made at append from its
// headers, size and INTERNALDATE), so a flag change leaves the order as it is and an expunge
// only takes UIDs out; a new message would need its place found among keys not kept here, so
// the engine reads the order again. Nothing here does I/O.
import { lowerBound } from '../lib/sorted-search.ts';

export class SortOrder {
  constructor(
    /** The folder's UIDs in sort order (ties by UID, ascending). */
    public uids: Uint32Array,
    readonly uidValidity: number,
    /** The folder's UIDNEXT and HIGHESTMODSEQ when the order was last brought forward. */
    readonly uidNext: number,
    public modseq: number,
  ) {}

  get length(): number {
    return this.uids.length;
  }

  /** Drops the expunged UIDs (ascending), into a new array: one handed out stays as it was. */
  removeExpunged(gone: readonly number[]): void {
    if (gone.length === 0) return;
    const kept = new Uint32Array(this.uids.length);
    let n = 0;
    for (let i = 0; i < this.uids.length; i++) {
      const uid = this.uids[i]!;
      const at = lowerBound(gone, gone.length, uid);
      if (at === gone.length || gone[at] !== uid) kept[n++] = uid;
    }
    this.uids = kept.subarray(0, n);
  }

  /**
   * The UIDs of `asked` (ascending) in sort order: read only, as it may be the kept order
   * itself (SORT of every message). When they lie close together (a folder's UIDs mostly do)
   * they are marked in a table of their span, one step a message; else each is found by binary
   * search.
   */
  among(asked: ArrayLike<number>): Uint32Array {
    if (asked.length === 0) return new Uint32Array(0);
    const low = asked[0]!;
    const span = asked[asked.length - 1]! - low + 1;
    const order = this.uids;
    let n = 0;
    if (span <= asked.length * 32) {
      const marked = new Uint8Array(span);
      for (let i = 0; i < asked.length; i++) marked[asked[i]! - low] = 1;
      // One unsigned comparison tests low ≤ uid < low + span.
      const held = (uid: number) => {
        const offset = (uid - low) >>> 0;
        return offset < span && marked[offset] === 1;
      };
      let count = 0;
      for (let i = 0; i < order.length; i++) if (held(order[i]!)) count++;
      // Every message asked for (SORT … ALL): the kept order is the answer, with no copy.
      if (count === order.length) return order;
      const out = new Uint32Array(count);
      for (let i = 0; i < order.length; i++) if (held(order[i]!)) out[n++] = order[i]!;
      return out;
    }
    const out = new Uint32Array(Math.min(asked.length, this.uids.length));
    for (let i = 0; i < order.length; i++) {
      const at = lowerBound(asked, asked.length, order[i]!);
      if (at < asked.length && asked[at] === order[i]) out[n++] = order[i]!;
    }
    return out.subarray(0, n);
  }
}
