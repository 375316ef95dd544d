// Binary search over an ascending list of numbers (UIDs, dates): the folder map, the selected
// view, THREAD's date order and FETCH's \Recent walk all look values up this way.

/** The first index in sorted[0, length) whose value is ≥ `value` (`length` when there is none). */
export function lowerBound(sorted: ArrayLike<number>, length: number, value: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
