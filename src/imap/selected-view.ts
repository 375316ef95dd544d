// What one IMAP session knows about its selected mailbox: the message sequence numbers it has
// announced, the flags it has shown, and the MODSEQ up to which it is in step with the store.
// Changes made by anyone (this session, another session, POP3, delivery) reach the client only
// when the view syncs, which happens at points the protocol allows (RFC 3501 §5.2, §7.4.1).
// The view also remembers which keywords the client has been told about in FLAGS: a keyword may
// appear in a FETCH response only after a FLAGS response named it (RFC 3501 §7.2.6).
import type { ChangesSince, Flag, MessageSummary } from '../store/types.ts';

export interface ViewUpdate {
  /** Sequence numbers to announce as `* n EXPUNGE`, in the order they must be sent. */
  expunged: number[];
  /** UIDs removed, for `* VANISHED uid-set` when QRESYNC is enabled (RFC 7162 §3.2.10). */
  vanished: number[];
  /** The new `* n EXISTS` count, when it changed. */
  exists: number | null;
  /** Messages whose flags changed: `* n FETCH (FLAGS (...) [UID u] [MODSEQ (m)])`. */
  flagChanges: { seq: number; uid: number; flags: Flag[]; modseq: number }[];
  /** A message brought a keyword the client has not been told about: FLAGS must be sent again. */
  keywordsAdded: boolean;
  highestModseq: number;
}

/** Keywords are the flags without a backslash; they compare without regard to case (RFC 3501 §2.3.2). */
function isKeyword(flag: Flag): boolean {
  return !flag.startsWith('\\');
}

export class SelectedView {
  private uids: number[] = [];
  private readonly flags = new Map<number, Flag[]>();
  /** Keywords named in the FLAGS responses sent so far, by lower case; the list only grows. */
  private readonly known = new Map<string, Flag>();
  private modseq = 0;

  constructor(
    readonly folderId: number,
    readonly readOnly: boolean,
  ) {}

  /** Fills the view at SELECT/EXAMINE from the folder's messages. */
  load(messages: readonly MessageSummary[], highestModseq: number): void {
    this.uids = messages.map((m) => m.uid);
    this.flags.clear();
    this.known.clear();
    for (const m of messages) {
      this.flags.set(m.uid, m.flags);
      this.admitKeywords(m.flags);
    }
    this.modseq = highestModseq;
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
    return this.uids.length;
  }

  get highestModseq(): number {
    return this.modseq;
  }

  uidAt(seq: number): number | undefined {
    return this.uids[seq - 1];
  }

  /** The sequence number of a UID, or 0 when the view does not hold it (binary search). */
  seqOf(uid: number): number {
    let lo = 0;
    let hi = this.uids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.uids[mid]!;
      if (v === uid) return mid + 1;
      if (v < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  flagsOf(uid: number): Flag[] {
    return this.flags.get(uid) ?? [];
  }

  /** Records flags this session already told the client about, so a sync does not repeat them. */
  noteFlags(uid: number, flags: Flag[]): void {
    if (this.flags.has(uid)) this.flags.set(uid, flags);
  }

  allUids(): readonly number[] {
    return this.uids;
  }

  maxUid(): number {
    return this.uids.length > 0 ? this.uids[this.uids.length - 1]! : 0;
  }

  /** UIDs in [from, to] that the view holds, ascending. */
  uidsInRange(from: number, to: number): number[] {
    const out: number[] = [];
    for (const uid of this.uids) {
      if (uid > to) break;
      if (uid >= from) out.push(uid);
    }
    return out;
  }

  /**
   * Applies the store's changes since the view's MODSEQ. With `allowExpunge` false (a command
   * that uses sequence numbers is running, RFC 3501 §7.4.1), removed messages stay in the view
   * until a later sync, so sequence numbers do not shift under the client.
   */
  apply(changes: ChangesSince, allowExpunge: boolean): ViewUpdate {
    const update: ViewUpdate = { expunged: [], vanished: [], exists: null, flagChanges: [], keywordsAdded: false, highestModseq: this.modseq };
    let keepModseq = false;
    if (changes.expunged.length > 0) {
      if (allowExpunge) {
        const gone = new Set(changes.expunged);
        // Announce from the highest sequence number down: each EXPUNGE renumbers the messages
        // after it, and going downwards keeps the numbers we send valid as they are applied.
        for (let i = this.uids.length - 1; i >= 0; i--) {
          const uid = this.uids[i]!;
          if (gone.has(uid)) {
            update.expunged.push(i + 1);
            update.vanished.push(uid);
            this.flags.delete(uid);
          }
        }
        this.uids = this.uids.filter((u) => !gone.has(u));
        update.vanished.sort((a, b) => a - b);
      } else if (changes.expunged.some((u) => this.flags.has(u))) {
        keepModseq = true;
      }
    }
    const max = this.maxUid();
    const before = this.uids.length;
    for (const m of changes.changed) {
      if (m.uid > max) {
        this.uids.push(m.uid);
        this.flags.set(m.uid, m.flags);
        if (this.admitKeywords(m.flags)) update.keywordsAdded = true;
      } else if (this.flags.has(m.uid)) {
        const previous = this.flags.get(m.uid)!;
        this.flags.set(m.uid, m.flags);
        if (this.admitKeywords(m.flags)) update.keywordsAdded = true;
        if (previous.join(' ') !== m.flags.join(' ')) {
          update.flagChanges.push({ seq: this.seqOf(m.uid), uid: m.uid, flags: m.flags, modseq: m.modseq });
        }
      }
    }
    if (this.uids.length !== before || update.expunged.length > 0) update.exists = this.uids.length;
    // Held-back expunges must be found again by the next sync, so the MODSEQ stays put.
    if (!keepModseq) this.modseq = changes.highestModseq;
    update.highestModseq = this.modseq;
    return update;
  }
}
