// A folder's messages as columns in memory, in UID order: the UIDs (what SELECT hands each
// session) and, once a FETCH of flags asked for them, each message's MODSEQ and flag list. An
// engine keeps one per recently used folder, shared by every session on it, and brings it
// forward from its change log (UIDs expunged since the map's MODSEQ, rows changed since it)
// instead of reading the folder again. Nothing here does I/O: the engine reads, the map merges.
import { lowerBound } from '../lib/sorted-search.ts';
import type { Flag, FlagColumns, FlagRow } from './types.ts';

/** A row changed since the map's MODSEQ, as the engine read it: flags as the stored JSON text. */
export type ChangedRow = readonly [uid: number, modseq: number, flagJson: string];

export class FolderMap {
  uids: Uint32Array;
  length: number;
  /** MODSEQ per message; null until flags were first asked for (SELECT alone needs UIDs). */
  private modseqs: Float64Array | null = null;
  /** Index into `lists` per message, with `modseqs`. */
  private listIds: Uint32Array | null = null;
  /** Each distinct flag list once (a folder has few), by its stored JSON. */
  private lists: (readonly Flag[])[] = [];
  private listIndex = new Map<string, number>();

  constructor(
    uids: readonly number[],
    public readonly uidValidity: number,
    /** UIDNEXT and HIGHESTMODSEQ of the folder when the map was last brought forward. */
    public uidNext: number,
    public modseq: number,
  ) {
    this.uids = new Uint32Array(capacityFor(uids.length));
    this.uids.set(uids);
    this.length = uids.length;
  }

  /** A map with every column, from rows in UID order. */
  static withFlags(rows: readonly ChangedRow[], uidValidity: number, uidNext: number, modseq: number): FolderMap {
    const map = new FolderMap([], uidValidity, uidNext, modseq);
    map.grow(rows.length);
    map.modseqs = new Float64Array(map.uids.length);
    map.listIds = new Uint32Array(map.uids.length);
    for (const [i, [uid, rowModseq, json]] of rows.entries()) {
      map.uids[i] = uid;
      map.modseqs[i] = rowModseq;
      map.listIds[i] = map.listId(json);
    }
    map.length = rows.length;
    return map;
  }

  get hasFlags(): boolean {
    return this.modseqs !== null;
  }

  /** Drops the expunged UIDs (ascending) from every column. */
  removeExpunged(gone: readonly number[]): void {
    if (gone.length === 0) return;
    let j = 0;
    let kept = 0;
    for (let i = 0; i < this.length; i++) {
      const uid = this.uids[i]!;
      while (j < gone.length && gone[j]! < uid) j++;
      if (j < gone.length && gone[j] === uid) continue;
      this.uids[kept] = uid;
      if (this.modseqs) {
        this.modseqs[kept] = this.modseqs[i]!;
        this.listIds![kept] = this.listIds![i]!;
      }
      kept++;
    }
    this.length = kept;
  }

  /** Adds UIDs from the map's UIDNEXT on (ascending), for a map without flag columns. */
  appendUids(added: readonly number[]): void {
    this.grow(this.length + added.length);
    this.uids.set(added, this.length);
    this.length += added.length;
  }

  /**
   * Merges the rows changed since the map's MODSEQ (ascending by UID): a known UID gets its new
   * MODSEQ and flags, a UID above the last is added. False when a row fits neither (a UID
   * below the last that the map does not hold): the engine then reads the folder again.
   */
  applyChanged(rows: readonly ChangedRow[]): boolean {
    if (!this.modseqs) throw new Error('applyChanged needs the flag columns');
    for (const [uid, rowModseq, json] of rows) {
      let at = this.length > 0 && uid <= this.uids[this.length - 1]! ? lowerBound(this.uids, this.length, uid) : this.length;
      if (at < this.length && this.uids[at] !== uid) return false;
      if (at === this.length) {
        this.grow(this.length + 1);
        this.uids[at] = uid;
        this.length++;
      }
      this.modseqs[at] = rowModseq;
      this.listIds![at] = this.listId(json);
    }
    return true;
  }

  /** UID, MODSEQ and flags of the messages with UIDs in [fromUid, toUid], ascending: copies. */
  flagColumns(fromUid: number, toUid: number): FlagColumns {
    if (!this.modseqs) throw new Error('flagColumns needs the flag columns');
    const start = lowerBound(this.uids, this.length, fromUid);
    const end = Math.max(start, lowerBound(this.uids, this.length, toUid + 1));
    return {
      length: end - start,
      uids: this.uids.slice(start, end),
      modseqs: this.modseqs.slice(start, end),
      listIds: this.listIds!.slice(start, end),
      lists: this.lists,
    };
  }

  /** UIDs, ascending, of the messages whose flag list passes `test`, asked once per distinct list. */
  uidsWhere(test: (flags: readonly Flag[]) => boolean): number[] {
    if (!this.listIds) throw new Error('uidsWhere needs the flag columns');
    const passes = Uint8Array.from(this.lists, (list) => (test(list) ? 1 : 0));
    const { listIds, uids, length } = this;
    let count = 0;
    for (let i = 0; i < length; i++) count += passes[listIds[i]!]!;
    const out = new Array<number>(count);
    for (let i = 0, n = 0; n < count; i++) if (passes[listIds[i]!] === 1) out[n++] = uids[i]!;
    return out;
  }

  private listId(json: string): number {
    let id = this.listIndex.get(json);
    if (id === undefined) {
      id = this.lists.length;
      this.lists.push(Object.freeze(JSON.parse(json) as Flag[]));
      this.listIndex.set(json, id);
    }
    return id;
  }

  /** Room for `needed` messages in every column, with a quarter to spare so that appends rarely copy. */
  private grow(needed: number): void {
    if (needed <= this.uids.length) return;
    const capacity = capacityFor(needed);
    const uids = new Uint32Array(capacity);
    uids.set(this.uids.subarray(0, this.length));
    this.uids = uids;
    if (this.modseqs) {
      const modseqs = new Float64Array(capacity);
      modseqs.set(this.modseqs.subarray(0, this.length));
      this.modseqs = modseqs;
      const listIds = new Uint32Array(capacity);
      listIds.set(this.listIds!.subarray(0, this.length));
      this.listIds = listIds;
    }
  }
}

function capacityFor(messages: number): number {
  return Math.max(1024, Math.ceil(messages * 1.25));
}

/** Columns as one object per message (the tests, and callers with a few messages). */
export function flagRowsOf(columns: FlagColumns): FlagRow[] {
  return Array.from(columns.uids, (uid, i) => ({ uid, modseq: columns.modseqs[i]!, flags: columns.lists[columns.listIds[i]!]! }));
}
