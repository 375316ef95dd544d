// Sequence sets (RFC 3501 §9 "sequence-set", RFC 9051 §9, RFC 5182 "$").
//
// A set is kept as the ranges the client wrote, with `*` as STAR, until the session resolves it
// against the mailbox. Resolved sets are NumberRanges: sorted, disjoint, inclusive pairs. Nothing
// here expands a range into its members, so `1:4294967295` costs one pair, not four billion.

/** `*`: the largest number in use (RFC 3501 §9 seq-number), until a set is resolved. */
export const STAR = Number.POSITIVE_INFINITY;

/** Sequence numbers and UIDs are nz-number, at most 2^32 - 1 (RFC 3501 §9). */
export const MAX_NUMBER = 4294967295;

/** One element as written: `a`, `a:b` (either order), with STAR for `*`. */
export type SeqRange = [number, number];

export interface SequenceSet {
  ranges: SeqRange[];
}

/** `$`: the result saved by the last SEARCH RETURN (SAVE) (RFC 5182 §2). */
export type SavedSet = '$';

/** Inclusive [first, last] pairs, sorted ascending, neither overlapping nor adjacent. */
export type NumberRanges = [number, number][];

const ELEMENT = /^(\*|[1-9][0-9]{0,9})(?::(\*|[1-9][0-9]{0,9}))?$/;

function readNumber(text: string): number | null {
  if (text === '*') return STAR;
  const n = Number(text);
  return n <= MAX_NUMBER ? n : null;
}

/**
 * Parses `1:*,5,7:9`, `*` or `$`; null when the text is not a sequence set. Zero is not a
 * sequence number or UID, and `$` cannot be combined with other elements (RFC 5182 §2).
 */
export function parseSequenceSet(text: string): SequenceSet | SavedSet | null {
  if (text === '$') return '$';
  if (text.length === 0) return null;
  const ranges: SeqRange[] = [];
  for (const element of text.split(',')) {
    const m = ELEMENT.exec(element);
    if (m === null) return null;
    const first = readNumber(m[1]!);
    const last = m[2] === undefined ? first : readNumber(m[2]);
    if (first === null || last === null) return null;
    ranges.push([first, last]);
  }
  return { ranges };
}

function formatNumber(n: number): string {
  return n === STAR ? '*' : String(n);
}

/** The wire form of a set, element by element as it was written. */
export function formatSequenceSet(set: SequenceSet | SavedSet): string {
  if (set === '$') return '$';
  return set.ranges.map(([a, b]) => (a === b ? formatNumber(a) : `${formatNumber(a)}:${formatNumber(b)}`)).join(',');
}

/** True when the set names `*` anywhere. */
export function usesStar(set: SequenceSet): boolean {
  return set.ranges.some(([a, b]) => a === STAR || b === STAR);
}

/** The largest number the set names explicitly (0 when it only names `*`). */
export function highestNumber(set: SequenceSet): number {
  let high = 0;
  for (const [a, b] of set.ranges) {
    if (a !== STAR && a > high) high = a;
    if (b !== STAR && b > high) high = b;
  }
  return high;
}

/**
 * The members of `set` among 1..max, with `*` standing for max (RFC 3501 §6.4.8: "559:*"
 * includes the last UID even when 559 is higher). Numbers above max are left out; a session
 * that must reject them (sequence numbers, RFC 9051 §6.4.4) checks highestNumber() first.
 */
export function resolveSequenceSet(set: SequenceSet, max: number): NumberRanges {
  if (max < 1) return [];
  const ranges: SeqRange[] = [];
  for (const [a, b] of set.ranges) {
    const x = a === STAR ? max : a;
    const y = b === STAR ? max : b;
    const lo = Math.min(x, y);
    const hi = Math.min(Math.max(x, y), max);
    if (lo <= hi) ranges.push([lo, hi]);
  }
  return normalizeRanges(ranges);
}

/** Sorts and merges pairs (either order within a pair) into canonical NumberRanges. */
export function normalizeRanges(pairs: readonly (readonly [number, number])[]): NumberRanges {
  const sorted = pairs.map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a])).sort((p, q) => p[0] - q[0]);
  const out: NumberRanges = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) {
      if (hi > last[1]) last[1] = hi;
    } else {
      out.push([lo, hi]);
    }
  }
  return out;
}

/** How many numbers the ranges hold. */
export function rangesCount(ranges: NumberRanges): number {
  let count = 0;
  for (const [lo, hi] of ranges) count += hi - lo + 1;
  return count;
}

/** Whether `n` is in the ranges (binary search). */
export function rangesContain(ranges: NumberRanges, n: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const [first, last] = ranges[mid]!;
    if (n < first) hi = mid - 1;
    else if (n > last) lo = mid + 1;
    else return true;
  }
  return false;
}

/** The members one by one, ascending. Lazy: stop whenever the caller has enough. */
export function* iterateRanges(ranges: NumberRanges): Generator<number, void, undefined> {
  for (const [lo, hi] of ranges) for (let n = lo; n <= hi; n++) yield n;
}

/** Canonical ranges of a list of numbers, in any order, duplicates allowed. */
export function rangesFromNumbers(numbers: Iterable<number>): NumberRanges {
  const list = Array.from(numbers);
  let sorted = true;
  for (let i = 1; i < list.length && sorted; i++) sorted = list[i - 1]! <= list[i]!;
  if (!sorted) list.sort((a, b) => a - b);
  const out: NumberRanges = [];
  for (const n of list) {
    const last = out[out.length - 1];
    if (last !== undefined && n <= last[1] + 1) {
      if (n > last[1]) last[1] = n;
    } else {
      out.push([n, n]);
    }
  }
  return out;
}

/** `1:3,5,7:9` for canonical ranges; the empty string for none. */
export function formatRanges(ranges: NumberRanges): string {
  return ranges.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}:${hi}`)).join(',');
}

/** The shortest set string for a list of numbers: [1,2,3,5] → `1:3,5` (APPENDUID, COPYUID, ESEARCH). */
export function compressNumbers(numbers: Iterable<number>): string {
  return formatRanges(rangesFromNumbers(numbers));
}

/** A resolved set as a SequenceSet, e.g. to hand back to formatSequenceSet. */
export function setFromRanges(ranges: NumberRanges): SequenceSet {
  return { ranges: ranges.map(([lo, hi]): SeqRange => [lo, hi]) };
}
