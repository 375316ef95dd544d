// What one IMAP session knows about its selected mailbox: the message sequence numbers it has
// announced, the flags it has shown, and the MODSEQ up to which it is in step with the store.
// Changes made by anyone (this session, another session, POP3, delivery) reach the client only
// when the view syncs, which happens at points the protocol allows (RFC 3501 §5.2, §7.4.1).
// The view also remembers which keywords the client has been told about in FLAGS: a keyword may
// appear in a FETCH response only after a FLAGS response named it (RFC 3501 §7.2.6).
import { lowerBound, sameElements } from '../lib/sorted-search.ts';
import type { Flag, FlagChangesSince, FolderSnapshot } from '../store/types.ts';

export interface ViewUpdate {
  /** Sequence numbers to announce as `* n EXPUNGE`, in the order they must be sent. */
  expunged: number[];
  /** UIDs removed, for `* VANISHED uid-set` when QRESYNC is enabled (RFC 7162 §3.2.10). */
  vanished: number[];
  /** The new `* n EXISTS` count, when it changed. */
  exists: number | null;
  /** Messages whose flags changed: `* n FETCH (FLAGS (...) [UID u] [MODSEQ (m)])`. */
  flagChanges: { seq: number; uid: number; flags: readonly Flag[]; modseq: number }[];
  /** A message brought a keyword the client has not been told about: FLAGS must be sent again. */
  keywordsAdded: boolean;
  highestModseq: number;
}

/** Keywords are the flags without a backslash; they compare without regard to case (RFC 3501 §2.3.2). */
function isKeyword(flag: Flag): boolean {
  return !flag.startsWith('\\');
}

export class SelectedView {
  /**
   * The UIDs the client knows, ascending, in the first `count` places: sequence number n is
   * uids[n - 1]. Four bytes a message, updated in place as messages come and go.
   */
  private uids: Uint32Array = new Uint32Array(16);
  private count = 0;
  /**
   * Flags this session sent itself (STORE, FETCH that set \Seen), by UID, with the MODSEQ they
   * had: a sync does not repeat them. Only changes above the view's MODSEQ are kept.
   */
  private readonly told = new Map<number, number>();
  /** Keywords named in the FLAGS responses sent so far, by lower case; the list only grows. */
  private readonly known = new Map<string, Flag>();
  private modseq = 0;
  /** The sequence number of the first message without \Seen when the view was loaded (0: none). */
  firstUnseen = 0;

  constructor(
    readonly folderId: number,
    readonly readOnly: boolean,
  ) {}

  /** Fills the view at SELECT/EXAMINE from the folder's snapshot (the store keeps it current). */
  load(snapshot: FolderSnapshot): void {
    this.uids = snapshot.uids.length > 0 ? snapshot.uids : new Uint32Array(16);
    this.count = snapshot.uids.length;
    this.told.clear();
    this.known.clear();
    this.admitKeywords(snapshot.keywords);
    this.modseq = snapshot.status.highestModseq;
    this.firstUnseen = snapshot.firstUnseenUid > 0 ? this.seqOf(snapshot.firstUnseenUid) : 0;
  }

  /** The keywords for the FLAGS response, in the order they became known. */
  keywords(): Flag[] {
    return [...this.known.values()];
  }

  /**
   * Adds the keywords of `flags` to those the client knows; true when one was new, and the
   * caller must send FLAGS before it shows these flags. The list never shrinks while the folder
   * is selected, so a client never sees a keyword it holds on a message dropped from FLAGS.
   */
  admitKeywords(flags: readonly Flag[]): boolean {
    let added = false;
    for (const f of flags) {
      if (!isKeyword(f)) continue;
      const key = f.toLowerCase();
      if (this.known.has(key)) continue;
      this.known.set(key, f);
      added = true;
    }
    return added;
  }

  get exists(): number {
    return this.count;
  }

  get highestModseq(): number {
    return this.modseq;
  }

  uidAt(seq: number): number | undefined {
    return seq >= 1 && seq <= this.count ? this.uids[seq - 1] : undefined;
  }

  /** The index of the first UID ≥ uid (count when there is none). */
  private lowerBound(uid: number): number {
    return lowerBound(this.uids, this.count, uid);
  }

  /** The sequence number of a UID, or 0 when the view does not hold it (binary search). */
  seqOf(uid: number): number {
    const i = this.lowerBound(uid);
    return i < this.count && this.uids[i] === uid ? i + 1 : 0;
  }

  /** True when the view's messages from sequence number `firstSeq` on are exactly `uids`. */
  holdsRun(firstSeq: number, uids: Uint32Array): boolean {
    const start = firstSeq - 1;
    if (start < 0 || start + uids.length > this.count) return false;
    return sameElements(this.uids.subarray(start, start + uids.length), uids);
  }

  /**
   * This session's own write took `modseq` (one MODSEQ per operation, storage.md). When it is
   * the next after the view's, nothing else changed the folder in between, and what the write
   * changed the session knows already: the view is in step up to it, and the sync after the
   * command need not read those rows back (27,000 after a STORE of 27,000).
   */
  noteOwnWrite(modseq: number): void {
    if (modseq !== this.modseq + 1) return;
    this.modseq = modseq;
    for (const [uid, told] of this.told) if (told <= modseq) this.told.delete(uid);
  }

  /** Records flags this session already told the client about, so a sync does not repeat them. */
  noteFlags(uid: number, modseq: number): void {
    if (modseq > this.modseq && modseq > (this.told.get(uid) ?? 0)) this.told.set(uid, modseq);
  }

  /**
   * The UIDs among `uids` (ascending) that the view holds. A long list (UNSEEN of a large
   * folder) is walked beside the view's own; a short one is looked up by binary search.
   */
  heldUids(uids: readonly number[]): number[] {
    if (uids.length * 16 < this.count) return uids.filter((uid) => this.seqOf(uid) > 0);
    const { uids: mine, count } = this;
    // Usually every one is held (the view is in step with the store): then the list is the answer.
    let i = 0;
    let k = 0;
    for (; k < uids.length; k++) {
      const uid = uids[k]!;
      while (i < count && mine[i]! < uid) i++;
      if (i === count || mine[i] !== uid) break;
    }
    if (k === uids.length) return uids.slice();
    const out = uids.slice(0, k);
    for (k++; k < uids.length; k++) {
      const uid = uids[k]!;
      while (i < count && mine[i]! < uid) i++;
      if (i < count && mine[i] === uid) out.push(uid);
    }
    return out;
  }

  /** The view's UIDs, ascending, as its own array: read only, and only until the view next syncs. */
  heldUidArray(): Uint32Array {
    return this.uids.subarray(0, this.count);
  }

  allUids(): number[] {
    return Array.from(this.uids.subarray(0, this.count));
  }

  maxUid(): number {
    return this.count > 0 ? this.uids[this.count - 1]! : 0;
  }

  /** UIDs in [from, to] that the view holds, ascending. */
  uidsInRange(from: number, to: number): number[] {
    const start = this.lowerBound(from);
    const end = to >= this.maxUid() ? this.count : this.lowerBound(to + 1);
    return end > start ? Array.from(this.uids.subarray(start, end)) : [];
  }

  /** The sequence numbers [first, last] of the UIDs in [from, to], or null when none is held. */
  seqRange(from: number, to: number): [number, number] | null {
    const start = this.lowerBound(from);
    const end = to >= this.maxUid() ? this.count : this.lowerBound(to + 1);
    return end > start ? [start + 1, end] : null;
  }

  private push(uid: number): void {
    if (this.count === this.uids.length) {
      const grown = new Uint32Array(Math.max(16, this.count * 2));
      grown.set(this.uids);
      this.uids = grown;
    }
    this.uids[this.count++] = uid;
  }

  /**
   * Applies the store's changes since the view's MODSEQ. With `allowExpunge` false (a command
   * that uses sequence numbers is running, RFC 3501 §7.4.1), removed messages stay in the view
   * until a later sync, so sequence numbers do not shift under the client.
   */
  apply(changes: FlagChangesSince, allowExpunge: boolean): ViewUpdate {
    const update: ViewUpdate = { expunged: [], vanished: [], exists: null, flagChanges: [], keywordsAdded: false, highestModseq: this.modseq };
    let keepModseq = false;
    if (changes.expunged.length > 0) {
      if (allowExpunge) {
        const gone = new Set(changes.expunged);
        // Announce from the highest sequence number down: each EXPUNGE renumbers the messages
        // after it, and going downwards keeps the numbers we send valid as they are applied.
        for (let i = this.count - 1; i >= 0; i--) {
          const uid = this.uids[i]!;
          if (gone.has(uid)) {
            update.expunged.push(i + 1);
            update.vanished.push(uid);
            this.told.delete(uid);
          }
        }
        if (update.expunged.length > 0) {
          let kept = 0;
          for (let i = 0; i < this.count; i++) {
            const uid = this.uids[i]!;
            if (!gone.has(uid)) this.uids[kept++] = uid;
          }
          this.count = kept;
        }
        update.vanished.sort((a, b) => a - b);
      } else if (changes.expunged.some((u) => this.seqOf(u) > 0)) {
        keepModseq = true;
      }
    }
    const max = this.maxUid();
    const before = this.count;
    for (const m of changes.changed) {
      if (m.uid > max) {
        this.push(m.uid);
        if (this.admitKeywords(m.flags)) update.keywordsAdded = true;
        continue;
      }
      const seq = this.seqOf(m.uid);
      if (seq === 0) continue;
      if (this.admitKeywords(m.flags)) update.keywordsAdded = true;
      // Changed since the view's MODSEQ, and not by what this session already sent.
      if ((this.told.get(m.uid) ?? 0) >= m.modseq) continue;
      update.flagChanges.push({ seq, uid: m.uid, flags: m.flags, modseq: m.modseq });
      this.told.set(m.uid, m.modseq);
    }
    if (this.count !== before || update.expunged.length > 0) update.exists = this.count;
    // Held-back expunges must be found again by the next sync, so the MODSEQ stays put.
    if (!keepModseq) {
      this.modseq = changes.highestModseq;
      for (const [uid, modseq] of this.told) if (modseq <= this.modseq) this.told.delete(uid);
    }
    update.highestModseq = this.modseq;
    return update;
  }
}
