/**
 * A hybrid logical clock for write versions: wall-clock milliseconds times 1 024 plus a counter,
 * strictly increasing in this process even if the wall clock steps back. It stays below
 * `Number.MAX_SAFE_INTEGER` until the year 2248, so versions are plain numbers writers can
 * compare and store in a `bigint` column.
 */
export class HybridClock {
  private last = 0;

  /** The next version; with `floor`, at least `floor` (a version derived from Redis time). */
  next(floor = 0): number {
    const candidate = Math.max(Date.now() * 1024, floor);
    this.last = candidate > this.last ? candidate : this.last + 1;
    return this.last;
  }

  /**
   * The version a Redis `TIME` in microseconds maps to, on the clock's scale (milliseconds × 1 024
   * plus the microseconds within the millisecond): later Redis times give higher versions.
   */
  static versionAt(redisMicros: number): number {
    return Math.floor(redisMicros / 1000) * 1024 + (redisMicros % 1000);
  }

  /** The last version handed out or observed (versions from now on are above it). */
  get current(): number {
    return this.last;
  }

  /** Moves the clock past a version seen elsewhere (another instance, a journal). */
  observe(version: number): void {
    if (version > this.last) this.last = version;
  }
}
