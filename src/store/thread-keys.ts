// What THREAD (RFC 5256) reads of a folder's messages, as columns in memory: the sent date, the
// base subject and the Message-ID and References, the last three as numbers. Equal strings get
// equal numbers, so threading compares and indexes numbers (src/imap/sorting/thread.ts) and
// makes no Map of strings and no object per message. A message's keys are fixed when it is
// stored, so an engine keeps one of these per large folder and brings it forward from its
// change log as it does the folder map (folder-map.ts): new UIDs appended, expunged UIDs
// dropped. Nothing here does I/O.

/** A message's thread keys as the engine reads them; References as stored, ids between spaces. */
export type ThreadKeyRow = readonly [uid: number, sent: number, subjectKey: string, replyOrForward: number, messageId: string | null, references: string];

/** The thread keys of a set of messages, in UID order. */
export interface ThreadColumns {
  readonly length: number;
  readonly uids: Uint32Array;
  /** The Date field in ms, else INTERNALDATE. */
  readonly sent: Float64Array;
  /** The base subject (casemapped) as a number: 0 is the empty subject. */
  readonly subjects: Uint32Array;
  /** Each subject number's text, for ORDEREDSUBJECT's order. */
  readonly subjectTexts: readonly string[];
  /** 1 when a reply or forward marker was taken off the subject. */
  readonly replies: Uint8Array;
  /** The Message-ID as a number from 1 to idCount; 0 when the message has none. */
  readonly messageIds: Uint32Array;
  /** Message i's References (ids, oldest first) are refs[refStarts[i], refStarts[i + 1]). */
  readonly refStarts: Uint32Array;
  readonly refs: Uint32Array;
  readonly idCount: number;
}

/** The object form, for callers with a few messages (and the tests). */
export interface ThreadKeyMessage {
  uid: number;
  sent: number;
  subjectKey: string;
  replyOrForward: boolean;
  messageId: string | null;
  references: readonly string[];
}

export class ThreadKeys implements ThreadColumns {
  length = 0;
  uids = new Uint32Array(0);
  sent = new Float64Array(0);
  subjects = new Uint32Array(0);
  replies = new Uint8Array(0);
  messageIds = new Uint32Array(0);
  refStarts = new Uint32Array(1);
  refs = new Uint32Array(0);
  readonly subjectTexts: string[] = [''];
  private readonly subjectNumbers = new Map<string, number>([['', 0]]);
  private readonly idNumbers = new Map<string, number>();

  constructor(
    public readonly uidValidity = 0,
    /** UIDNEXT and HIGHESTMODSEQ of the folder when the keys were last brought forward. */
    public uidNext = 0,
    public modseq = 0,
  ) {}

  static fromMessages(messages: readonly ThreadKeyMessage[]): ThreadKeys {
    const keys = new ThreadKeys();
    keys.append([...messages].sort((a, b) => a.uid - b.uid)
      .map((m) => [m.uid, m.sent, m.subjectKey, m.replyOrForward ? 1 : 0, m.messageId, m.references.join(' ')] as const));
    return keys;
  }

  get idCount(): number {
    return this.idNumbers.size;
  }

  /**
   * True when most interned ids belong to messages expunged since the keys were read: the
   * engine then reads the folder again rather than keep them.
   */
  get wasteful(): boolean {
    const used = this.length + this.refStarts[this.length]!;
    return this.idNumbers.size > 1024 && this.idNumbers.size > 2 * used;
  }

  /** Adds messages with UIDs above the last held, ascending. */
  append(rows: readonly ThreadKeyRow[]): void {
    if (rows.length === 0) return;
    this.grow(this.length + rows.length);
    // Each message's own id first: those strings stand alone, where an id cut out of a
    // References string would keep all of that string in memory while the keys live.
    for (const row of rows) if (row[4] !== null && !this.idNumbers.has(row[4])) this.idNumbers.set(row[4], this.idNumbers.size + 1);
    let refLength = this.refStarts[this.length]!;
    for (const [uid, sent, subjectKey, reply, messageId, references] of rows) {
      if (this.length > 0 && uid <= this.uids[this.length - 1]!) throw new Error(`Thread keys appended out of UID order: ${uid}`);
      const i = this.length++;
      this.uids[i] = uid;
      this.sent[i] = sent;
      this.subjects[i] = this.subjectNumber(subjectKey);
      this.replies[i] = reply ? 1 : 0;
      this.messageIds[i] = messageId === null ? 0 : this.idNumbers.get(messageId)!;
      let from = 0;
      while (from < references.length) {
        let to = references.indexOf(' ', from);
        if (to < 0) to = references.length;
        if (to > from) {
          if (refLength === this.refs.length) this.refs = grown(this.refs, refLength + 1);
          this.refs[refLength++] = this.idNumber(references.slice(from, to));
        }
        from = to + 1;
      }
      this.refStarts[i + 1] = refLength;
    }
  }

  /** Drops the expunged UIDs (ascending) from every column. */
  removeExpunged(gone: readonly number[]): void {
    if (gone.length === 0) return;
    let j = 0;
    let kept = 0;
    let refLength = 0;
    for (let i = 0; i < this.length; i++) {
      const uid = this.uids[i]!;
      while (j < gone.length && gone[j]! < uid) j++;
      if (j < gone.length && gone[j] === uid) continue;
      const from = this.refStarts[i]!;
      const to = this.refStarts[i + 1]!;
      this.uids[kept] = uid;
      this.sent[kept] = this.sent[i]!;
      this.subjects[kept] = this.subjects[i]!;
      this.replies[kept] = this.replies[i]!;
      this.messageIds[kept] = this.messageIds[i]!;
      this.refs.copyWithin(refLength, from, to);
      this.refStarts[kept] = refLength;
      refLength += to - from;
      kept++;
    }
    this.length = kept;
    this.refStarts[kept] = refLength;
  }

  /**
   * The keys of the held messages among `uids` (ascending; a UID not held is left out). All of
   * them is the columns themselves; a subset is copied.
   */
  columns(uids: readonly number[]): ThreadColumns {
    if (uids.length === this.length && (this.length === 0 || (uids[0] === this.uids[0] && uids[uids.length - 1] === this.uids[this.length - 1]))) {
      // The same count and the same ends: the same UIDs only if every one is held, which the
      // walk below would find; checked here in one pass without copying.
      let same = true;
      for (let i = 0; i < uids.length && same; i++) same = uids[i] === this.uids[i];
      if (same) return this.view();
    }
    const rows: number[] = [];
    let i = 0;
    for (const uid of uids) {
      while (i < this.length && this.uids[i]! < uid) i++;
      if (i < this.length && this.uids[i] === uid) rows.push(i++);
    }
    let refCount = 0;
    for (const row of rows) refCount += this.refStarts[row + 1]! - this.refStarts[row]!;
    const n = rows.length;
    const out = {
      length: n,
      uids: new Uint32Array(n),
      sent: new Float64Array(n),
      subjects: new Uint32Array(n),
      subjectTexts: this.subjectTexts,
      replies: new Uint8Array(n),
      messageIds: new Uint32Array(n),
      refStarts: new Uint32Array(n + 1),
      refs: new Uint32Array(refCount),
      idCount: this.idCount,
    };
    let refLength = 0;
    for (let k = 0; k < n; k++) {
      const row = rows[k]!;
      out.uids[k] = this.uids[row]!;
      out.sent[k] = this.sent[row]!;
      out.subjects[k] = this.subjects[row]!;
      out.replies[k] = this.replies[row]!;
      out.messageIds[k] = this.messageIds[row]!;
      out.refStarts[k] = refLength;
      for (let r = this.refStarts[row]!; r < this.refStarts[row + 1]!; r++) out.refs[refLength++] = this.refs[r]!;
    }
    out.refStarts[n] = refLength;
    return out;
  }

  private view(): ThreadColumns {
    const n = this.length;
    return {
      length: n,
      uids: this.uids.subarray(0, n),
      sent: this.sent.subarray(0, n),
      subjects: this.subjects.subarray(0, n),
      subjectTexts: this.subjectTexts,
      replies: this.replies.subarray(0, n),
      messageIds: this.messageIds.subarray(0, n),
      refStarts: this.refStarts.subarray(0, n + 1),
      refs: this.refs.subarray(0, this.refStarts[n]),
      idCount: this.idCount,
    };
  }

  private subjectNumber(text: string): number {
    let n = this.subjectNumbers.get(text);
    if (n === undefined) {
      n = this.subjectTexts.length;
      this.subjectTexts.push(text);
      this.subjectNumbers.set(text, n);
    }
    return n;
  }

  private idNumber(id: string): number {
    let n = this.idNumbers.get(id);
    if (n === undefined) {
      n = this.idNumbers.size + 1;
      // A copy of its own (see append): a slice of a one-character-longer string that is
      // made here, so the References string it came from can be collected.
      this.idNumbers.set(` ${id}`.slice(1), n);
    }
    return n;
  }

  /** Room for `needed` messages, with a quarter to spare so that appends rarely copy. */
  private grow(needed: number): void {
    if (needed <= this.uids.length) return;
    const capacity = Math.max(1024, Math.ceil(needed * 1.25));
    this.uids = grown(this.uids, capacity);
    this.sent = grown(this.sent, capacity);
    this.subjects = grown(this.subjects, capacity);
    this.replies = grown(this.replies, capacity);
    this.messageIds = grown(this.messageIds, capacity);
    this.refStarts = grown(this.refStarts, capacity + 1);
  }
}

type Column = Uint32Array | Float64Array | Uint8Array;

/** The column with room for at least `capacity` (a quarter more when it must grow for one). */
function grown<T extends Column>(column: T, capacity: number): T {
  if (capacity <= column.length) return column;
  const bigger = new (column.constructor as new (n: number) => T)(Math.max(capacity, Math.ceil(column.length * 1.25)));
  bigger.set(column as ArrayLike<number> & T);
  return bigger;
}
