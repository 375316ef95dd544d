// Binary search over an ascending list of numbers (UIDs, dates): the folder map, the selected
// view, THREAD's date order and FETCH's \Recent walk all look values up this way. And the
// comparison of two runs of UIDs or MODSEQs that the kept FETCH lines and the view make.

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

/** Whether two typed arrays hold the same values, compared as bytes (one memcmp, not a loop). */
export function sameElements(a: Uint32Array | Float64Array, b: Uint32Array | Float64Array): boolean {
  if (a.length !== b.length || a.BYTES_PER_ELEMENT !== b.BYTES_PER_ELEMENT) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
