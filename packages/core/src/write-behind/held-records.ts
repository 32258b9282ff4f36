import type { StreamRecord } from './stream-entries.js';

/** Stream records of one key this consumer holds, with its retry state. */
interface HeldKey {
  readonly records: StreamRecord[];
  attempts: number;
  notBefore: number;
}

/**
 * The stream records of one journal partition that the Redis flusher read for this consumer and
 * has not delivered yet, by key, with each key's retry state. They stay unacknowledged in Redis
 * meanwhile, so a crash loses nothing: another instance claims them.
 */
export class HeldRecords {
  private readonly byKey = new Map<string, HeldKey>();

  /** How many keys have records held. */
  get size(): number {
    return this.byKey.size;
  }

  /** Holds records read; a record read again (same stream id) is held once. */
  add(records: readonly StreamRecord[]): void {
    for (const record of records) {
      const held = this.byKey.get(record.key);
      if (held === undefined) this.byKey.set(record.key, { records: [record], attempts: 0, notBefore: 0 });
      else if (!held.records.some((r) => r.id === record.id)) held.records.push(record);
    }
  }

  /**
   * At most `limit` keys to deliver now, in the order they were first held: every key with
   * `force`, else those whose retry backoff is over at `now`.
   */
  due(limit: number, force: boolean, now: number): string[] {
    const due: string[] = [];
    for (const [key, held] of this.byKey) {
      if (due.length >= limit) break;
      if (force || held.notBefore <= now) due.push(key);
    }
    return due;
  }

  /** Whether a delivery of `key` failed before (a retry goes alone, so it cannot fail a batch). */
  isRetry(key: string): boolean {
    return (this.byKey.get(key)?.attempts ?? 0) > 0;
  }

  /**
   * Whether delivering `key` at `version` must evict its cache entry: one of the records it covers
   * is a re-driven dead letter, whose write may be older than what the cache holds.
   */
  evicts(key: string, version: number): boolean {
    return this.byKey.get(key)?.records.some((r) => r.evict && r.version <= version) ?? false;
  }

  /**
   * Forgets the held stream records of `key` up to `version` (their writes were delivered) and
   * returns their ids. Later records of the key stay held, with a fresh retry state.
   */
  release(key: string, version: number): string[] {
    const held = this.byKey.get(key);
    if (held === undefined) return [];
    const covered = held.records.filter((r) => r.version <= version);
    const rest = held.records.filter((r) => r.version > version);
    if (rest.length === 0) this.byKey.delete(key);
    else this.byKey.set(key, { records: rest, attempts: 0, notBefore: 0 });
    return covered.map((r) => r.id);
  }

  /**
   * Counts a failed delivery of `key` and, below `maxAttempts`, defers the next one by
   * `delayOf(attempt)`. Returns the attempts so far; `undefined` when `key` is not held.
   */
  failed(key: string, maxAttempts: number, delayOf: (attempt: number) => number): number | undefined {
    const held = this.byKey.get(key);
    if (held === undefined) return undefined;
    held.attempts++;
    if (held.attempts < maxAttempts) held.notBefore = Date.now() + delayOf(held.attempts);
    return held.attempts;
  }
}
