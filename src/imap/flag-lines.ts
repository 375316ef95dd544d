// The response bytes of FETCH (UID FLAGS) — what every client sends to resync a folder — kept
// for runs of a folder's messages and shared by the sessions of this process. A run is the
// messages at sequence numbers [first, first + RUN − 1] of a session whose view holds exactly
// the store's messages there; while those messages keep their UIDs and MODSEQs (every flag
// change moves the MODSEQ, RFC 7162 §3.1), the run's lines are the same bytes for every such
// session, and FETCH 1:* of 100,000 messages writes 13 kept buffers instead of making 100,000
// lines. A session's \Recent (RFC 3501 §2.3.2) is its own: a run whose messages are all recent
// to it (the first session to open a folder a migration filled) is kept apart, and a run with
// some recent and some not is made for it alone and not kept. Nothing here does I/O.
import { sameElements } from '../lib/sorted-search.ts';
import type { Flag } from '../store/types.ts';

/** Messages in a run: the FETCH's slices are this long, so a run is one store read. */
export const RUN = 8192;

export interface FlagLinesRun {
  /** The run's UIDs and MODSEQs when its bytes were made: it is good while they are the same. */
  readonly uids: Uint32Array;
  readonly modseqs: Float64Array;
  /** The distinct flag lists its lines show: their keywords must be known to the client first. */
  readonly lists: readonly (readonly Flag[])[];
  readonly bytes: Buffer;
}

/** Where a run belongs: the store's mailbox database, the folder, and the response's shape. */
export interface RunKey {
  store: object;
  folderId: number;
  uidValidity: number;
  /** The items in the order they are written ("UID FLAGS", "UID FLAGS MODSEQ"…). */
  items: string;
  firstSeq: number;
}

/** Kept runs, least recently used first out once they hold more than `budget` bytes. */
export class FlagLinesCache {
  private readonly runs = new Map<string, FlagLinesRun>();
  private readonly storeIds = new WeakMap<object, number>();
  private held = 0;

  constructor(private readonly budget: number) {}

  /** Bytes held (lines, UIDs and MODSEQs), for the tests and the budget. */
  get heldBytes(): number {
    return this.held;
  }

  get size(): number {
    return this.runs.size;
  }

  /** The kept run for these messages, or undefined when none is kept or it was made for others. */
  get(key: RunKey, uids: Uint32Array, modseqs: Float64Array): FlagLinesRun | undefined {
    const name = this.name(key);
    const run = this.runs.get(name);
    if (!run) return undefined;
    if (!sameElements(run.uids, uids) || !sameElements(run.modseqs, modseqs)) return undefined;
    this.runs.delete(name);
    this.runs.set(name, run);
    return run;
  }

  /** Keeps a run (replacing what was kept for the same place); its arrays must not change after. */
  put(key: RunKey, run: FlagLinesRun): void {
    const name = this.name(key);
    const old = this.runs.get(name);
    if (old) {
      this.runs.delete(name);
      this.held -= weight(old);
    }
    if (weight(run) > this.budget) return;
    this.runs.set(name, run);
    this.held += weight(run);
    for (const [k, v] of this.runs) {
      if (this.held <= this.budget) break;
      this.runs.delete(k);
      this.held -= weight(v);
    }
  }

  private name(key: RunKey): string {
    let id = this.storeIds.get(key.store);
    if (id === undefined) {
      id = nextStoreId++;
      this.storeIds.set(key.store, id);
    }
    return `${id}/${key.folderId}/${key.uidValidity}/${key.items}/${key.firstSeq}`;
  }
}

let nextStoreId = 1;

function weight(run: FlagLinesRun): number {
  return run.bytes.length + run.uids.byteLength + run.modseqs.byteLength;
}

/**
 * The one cache of this process. 32 MB holds the lines of about 550,000 messages: a few large
 * folders' resyncs; a run not kept is made as before, so the budget bounds only the saving.
 */
export const flagLines = new FlagLinesCache(32 * 1024 * 1024);
