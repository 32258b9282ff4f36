import { CacheStoreError } from '../errors/cache-store.error.js';
import type { StrataEvents } from '../events/strata-events.js';
import type { RedisLayer } from './redis.layer.js';

/**
 * Told of evictions replayed after an outage: `keys` deleted (with their delete versions) or
 * `tagKeys` invalidated.
 */
export type ReplayListener = (
  keys: readonly string[],
  versions: readonly number[],
  tagKeys: readonly string[],
) => void;

/** Most deletes and invalidations remembered while Redis is unreachable. */
const MAX_PENDING = 100_000;

/**
 * Deletes and invalidations that could not reach Redis, kept for a replay before Redis serves
 * again: an entry evicted during an outage must not come back with Redis. Bounded: past
 * {@link MAX_PENDING}, the oldest are dropped (reported as an `l2:error`, operation `repair`).
 */
export class PendingEvictions {
  private readonly deletes = new Set<string>();
  private readonly invalidations = new Set<string>();
  private replaying: Promise<void> | undefined;
  private replayed: ReplayListener | undefined;

  constructor(
    private readonly layer: RedisLayer,
    private readonly events: StrataEvents,
  ) {}

  /** How many keys and tag keys wait. */
  get size(): number {
    return this.deletes.size + this.invalidations.size;
  }

  /** Whether an entry of `key` carrying `tags` is evicted by one that waits (reads skip it). */
  covers(key: string, tags: readonly string[]): boolean {
    return this.deletes.has(key) || tags.some((tag) => this.invalidations.has(tag));
  }

  /** Remembers deletes of full entry keys. */
  rememberDeletes(keys: readonly string[]): void {
    this.remember(this.deletes, keys);
  }

  /** Remembers invalidations of tag, namespace or key dependency keys. */
  rememberInvalidations(tagKeys: readonly string[]): void {
    this.remember(this.invalidations, tagKeys);
  }

  /** Listens for replayed evictions (the invalidation bus announces them). */
  onReplay(listener: ReplayListener): void {
    this.replayed = listener;
  }

  /** Replays what waits; one replay at a time, concurrent callers wait for it. A failure leaves the rest. */
  replay(): Promise<void> {
    this.replaying ??= (async () => {
      try {
        if (this.deletes.size > 0) {
          const keys = [...this.deletes];
          const versions = await this.layer.deleteVersions(keys);
          for (const key of keys) this.deletes.delete(key);
          this.replayed?.(keys, versions, []);
        }
        if (this.invalidations.size > 0) {
          const tags = [...this.invalidations];
          await this.layer.invalidate(tags);
          for (const tag of tags) this.invalidations.delete(tag);
          this.replayed?.([], [], tags);
        }
      } finally {
        this.replaying = undefined;
      }
    })();
    return this.replaying;
  }

  /** Waits for a replay in progress (shutdown); its failure was reported to its caller. */
  async settled(): Promise<void> {
    await this.replaying?.catch(() => undefined);
  }

  private remember(pending: Set<string>, keys: readonly string[]): void {
    for (const key of keys) pending.add(key);
    if (this.size <= MAX_PENDING) return;
    this.events.emit('l2:error', {
      operation: 'repair',
      error: new CacheStoreError(
        'repair',
        `more than ${MAX_PENDING} evictions wait for Redis; oldest dropped`,
      ),
    });
    for (const oldest of pending) {
      if (this.size <= MAX_PENDING) break;
      pending.delete(oldest);
    }
  }
}
