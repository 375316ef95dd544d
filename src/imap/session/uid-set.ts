// A set of UIDs that also hands out its members in ascending order, kept from one call to the
// next until the set changes. A session's \Recent messages are one: after the first SELECT of
// a folder filled by migration, all 100,000 of them are, and FETCH 1:* (FLAGS) walks that
// order beside its own instead of asking the set once per message.
export class UidSet extends Set<number> {
  private ascending: Uint32Array | null = null;

  override add(uid: number): this {
    if (!this.has(uid)) this.ascending = null;
    return super.add(uid);
  }

  override delete(uid: number): boolean {
    const deleted = super.delete(uid);
    if (deleted) this.ascending = null;
    return deleted;
  }

  override clear(): void {
    this.ascending = null;
    super.clear();
  }

  /** The members in ascending order; read only (shared until the set changes). */
  sorted(): Uint32Array {
    return (this.ascending ??= Uint32Array.from(this).sort());
  }
}
