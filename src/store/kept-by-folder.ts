// What an engine keeps in memory per folder (thread keys, sort orders), shared by the process's
// sessions: least recently used first out once the entries hold more messages than the budget.
// The entry just used is always kept, however large, so a folder above the budget still gets
// the saving for as long as it is the one in use.

export class KeptByFolder<K, V extends { readonly length: number }> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly budget: number) {}

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Takes the entry out: the caller brings it forward (or drops it) and puts it back. */
  take(key: K): V | undefined {
    const value = this.entries.get(key);
    this.entries.delete(key);
    return value;
  }

  /** Keeps `value` as the most recently used, dropping the least recently used down to the budget. */
  put(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    let held = 0;
    for (const v of this.entries.values()) held += v.length;
    for (const [k, v] of this.entries) {
      if (held <= this.budget || k === key) break;
      this.entries.delete(k);
      held -= v.length;
    }
  }

  /** Messages held by every entry. */
  get held(): number {
    let held = 0;
    for (const v of this.entries.values()) held += v.length;
    return held;
  }
}
