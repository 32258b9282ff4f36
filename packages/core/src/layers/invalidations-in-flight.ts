/**
 * The entry keys and tag keys of this instance's invalidations on their way to Redis: from the
 * moment L1 drops them until Redis stored the markers or tag times. Meanwhile Redis still holds
 * the old entries as valid, so L1 must not take them back from a read (see
 * `MemoryLayer.holdBack`). Counted: two invalidations of one tag overlap.
 */
export class InvalidationsInFlight {
  private readonly counts = new Map<string, number>();

  /** Whether no invalidation is on its way (the usual case, checked first on every L1 write). */
  get none(): boolean {
    return this.counts.size === 0;
  }

  add(keys: readonly string[]): void {
    for (const key of keys) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  remove(keys: readonly string[]): void {
    for (const key of keys) {
      const count = (this.counts.get(key) ?? 0) - 1;
      if (count > 0) this.counts.set(key, count);
      else this.counts.delete(key);
    }
  }

  /** Whether an entry of `key` carrying `tags` would be one an invalidation on its way drops. */
  covers(key: string, tags: readonly string[]): boolean {
    if (this.counts.has(key)) return true;
    for (const tag of tags) if (this.counts.has(tag)) return true;
    return false;
  }
}
