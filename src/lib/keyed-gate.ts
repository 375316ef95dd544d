// One holder per key at a time; the others wait in FIFO order in a queue of bounded length, and
// are refused when it is full. Keys without a holder take no memory.
export class KeyedGate {
  private readonly gates = new Map<string, (() => void)[]>();

  /** @param maxWaiting callers allowed to queue behind the holder of one key. */
  constructor(private readonly maxWaiting: number) {}

  /**
   * Resolves to the function that releases the key (idempotent) once this caller holds it, or
   * to null at once when the key's queue is full.
   */
  acquire(key: string): Promise<(() => void) | null> {
    const waiters = this.gates.get(key);
    if (waiters === undefined) {
      this.gates.set(key, []);
      return Promise.resolve(this.releaser(key));
    }
    if (waiters.length >= this.maxWaiting) return Promise.resolve(null);
    return new Promise((resolve) => waiters.push(() => resolve(this.releaser(key))));
  }

  /** Whether someone holds the key now. */
  busy(key: string): boolean {
    return this.gates.has(key);
  }

  /** Callers queued for a key. */
  waiting(key: string): number {
    return this.gates.get(key)?.length ?? 0;
  }

  /** Keys held now. */
  get size(): number {
    return this.gates.size;
  }

  private releaser(key: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const waiters = this.gates.get(key);
      const next = waiters?.shift();
      if (next) next();
      else this.gates.delete(key);
    };
  }
}
