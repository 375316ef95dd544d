// THREAD answers of large folders, kept for the next THREAD over the same messages. A client
// that threads (Roundcube does, on every list page) sends the same THREAD each time it shows
// the folder; at 100,000 messages building the tree costs about a second. Dovecot keeps a
// thread index for the same reason.
//
// An answer depends only on which messages it covers: the keys THREAD reads (sent date, base
// subject, Message-ID, References) are fixed when a message is stored, and a UID never names
// another message while UIDVALIDITY stays. So an entry needs no invalidation: it is used when
// the search gave exactly the UIDs it was made for, and replaced when it did not.
import type { MailStore } from '../../store/types.ts';

/** Smaller folders thread in a few milliseconds: not worth the memory. */
const MIN_MESSAGES = 2000;
/**
 * All entries together, UIDs and tokens: a few large folders (100,000 messages take 2.4 MB,
 * 1,000,000 of the same mix about 24 MB).
 */
const MAX_BYTES = 32 * 1024 * 1024;

export type ThreadAlgorithm = 'REFERENCES' | 'ORDEREDSUBJECT';

interface Entry {
  store: WeakRef<MailStore>;
  folderId: number;
  uidValidity: number;
  algorithm: ThreadAlgorithm;
  uids: Uint32Array;
  tokens: Float64Array;
}

const bytesOf = (e: Entry) => e.uids.byteLength + e.tokens.byteLength;

function sameUids(kept: Uint32Array, uids: ArrayLike<number>): boolean {
  if (kept.length !== uids.length) return false;
  for (let i = 0; i < uids.length; i++) if (kept[i] !== uids[i]) return false;
  return true;
}

export class ThreadCache {
  /** Least recently used first. */
  private entries: Entry[] = [];

  constructor(private readonly maxBytes = MAX_BYTES, private readonly minMessages = MIN_MESSAGES) {}

  /** The tokens (sorting/thread.ts threadTokens) kept for exactly these UIDs of the folder, if any. */
  get(store: MailStore, folderId: number, uidValidity: number, algorithm: ThreadAlgorithm, uids: ArrayLike<number>): Float64Array | undefined {
    const at = this.entries.findIndex((e) => this.matches(e, store, folderId, uidValidity, algorithm));
    if (at < 0) return undefined;
    const entry = this.entries[at]!;
    if (!sameUids(entry.uids, uids)) return undefined;
    this.entries.splice(at, 1);
    this.entries.push(entry);
    return entry.tokens;
  }

  set(store: MailStore, folderId: number, uidValidity: number, algorithm: ThreadAlgorithm, uids: ArrayLike<number>, tokens: Float64Array): void {
    if (uids.length < this.minMessages) return;
    // One entry per folder and algorithm: an answer for an older state is never asked for again.
    this.entries = this.entries.filter((e) => e.store.deref() !== undefined && !this.matches(e, store, folderId, uidValidity, algorithm));
    const entry: Entry = { store: new WeakRef(store), folderId, uidValidity, algorithm, uids: Uint32Array.from(uids), tokens };
    if (bytesOf(entry) > this.maxBytes) return;
    this.entries.push(entry);
    let total = this.entries.reduce((sum, e) => sum + bytesOf(e), 0);
    while (total > this.maxBytes) total -= bytesOf(this.entries.shift()!);
  }

  /** Bytes held, for tests and the figures in docs/benchmarks.md. */
  get bytes(): number {
    return this.entries.reduce((sum, e) => sum + bytesOf(e), 0);
  }

  private matches(e: Entry, store: MailStore, folderId: number, uidValidity: number, algorithm: ThreadAlgorithm): boolean {
    return e.folderId === folderId && e.algorithm === algorithm && e.uidValidity === uidValidity && e.store.deref() === store;
  }
}

/** The one cache of this process (its back end's sessions share their stores). */
export const threadCache = new ThreadCache();
