import { SYSTEM_CLOCK, type StrataClock } from '../clock/strata-clock.js';
import { LRUCache } from 'lru-cache';
import { InvalidationsInFlight } from './invalidations-in-flight.js';
import type { CacheEntry } from '../codec/entry.envelope.js';
import type { CacheLayer, EntryToWrite, LayerRead } from './cache-layer.interface.js';
import { KeyDependencyWatch } from './key-dependency-watch.js';
import { mergeFloor, type MemoryRecord, type RemoteDelete } from './memory-record.js';
import type { MemoryLayerOptions } from './memory-layer.options.js';

export type { MemoryLayerOptions } from './memory-layer.options.js';

const RECORD_OVERHEAD_BYTES = 96;
const PRUNE_THRESHOLD = 10_000;
/** Most remembered deletes of keys this layer did not hold (announced by other instances). */
const MAX_REMOTE_DELETES = 10_000;

/**
 * The in-process layer: an LRU bounded by entries and bytes. It keeps tag and namespace
 * invalidation times on a logical clock (a counter), so it follows the same rules as Redis
 * without depending on wall-clock precision. Reads are synchronous: an L1 hit never waits
 * on the event loop.
 */
export class MemoryLayer implements CacheLayer {
  readonly name = 'l1' as const;
  private readonly records: LRUCache<string, MemoryRecord>;
  private readonly invalidations = new Map<string, { readonly at: number; readonly wall: number }>();
  private clock = 0;
  private longestLifetimeMs = 0;
  private lastPruneWall = 0;
  /** Latest store time of a record the LRU evicted: a write with an older token may not fill its gap. */
  private evictedUpTo = 0;
  /** The logical time of the last {@link MemoryLayer.clear}. */
  private clearedAt = 0;
  /** This instance's invalidations on their way to Redis: their entries are not written. */
  private readonly inFlight = new InvalidationsInFlight();
  /**
   * Deletes announced by other instances for keys this layer did not hold, by store time: a read
   * in flight for such a key must not store the value it got before the delete. Kept apart from
   * `records` so that other instances' writes cannot evict this instance's entries.
   */
  private readonly remoteDeletes: LRUCache<string, RemoteDelete>;
  /** While set, the longest an entry may live (`0`: nothing is stored): see {@link MemoryLayer.degrade}. */
  private lifetimeCapMs: number | undefined;
  /** Which key dependencies an entry may carry; absent without key dependencies. */
  private readonly keyDependencies: KeyDependencyWatch | undefined;

  constructor(
    private readonly options: MemoryLayerOptions,
    /** Wall time, for expiry (the logical `clock` orders writes). */
    private readonly time: StrataClock = SYSTEM_CLOCK,
  ) {
    this.records = new LRUCache<string, MemoryRecord>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (record, key) =>
        RECORD_OVERHEAD_BYTES + key.length * 2 + (record.entry ? record.entry.value.length * 2 : 0),
      // An evicted delete marker or newer entry can no longer stop a load that began before it.
      dispose: (record, _key, reason) => {
        if (reason !== 'evict') return;
        const at = record.entry ? record.entry.created : record.deletedAt;
        if (at > this.evictedUpTo) this.evictedUpTo = at;
      },
    });
    this.keyDependencies =
      options.keyDependencyPrefix === undefined
        ? undefined
        : new KeyDependencyWatch(options.keyDependencyPrefix, () => this.clock);
    this.remoteDeletes = new LRUCache<string, RemoteDelete>({
      max: MAX_REMOTE_DELETES,
      ttl: options.tombstoneTtlMs,
      dispose: ({ at }, _key, reason) => {
        if (reason === 'evict' && at > this.evictedUpTo) this.evictedUpTo = at;
      },
    });
  }

  /** Number of records held (entries and delete markers). */
  get size(): number {
    return this.records.size;
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.records.calculatedSize;
  }

  read(key: string): LayerRead {
    const record = this.lookup(key, this.time.now());
    if (record === undefined) return { entry: undefined, token: this.missToken() };
    return { entry: record.entry, token: this.clock, shared: record.shared };
  }

  /**
   * The live record of `key` (not expired, not invalidated), or `undefined`. Allocates nothing:
   * this is the L1 hit path. After a miss, take a write token with {@link MemoryLayer.missToken}.
   */
  lookup(key: string, now: number): { readonly entry: CacheEntry; readonly shared: unknown } | undefined {
    const record = this.records.get(key);
    if (record?.entry === undefined) return undefined;
    if (record.expiresAt <= now || this.isInvalidated(record.entry)) {
      this.records.delete(key);
      return undefined;
    }
    return record;
  }

  /** A token for a write that follows a miss (see {@link LayerRead.token}). */
  missToken(_key?: string): number {
    return ++this.clock;
  }

  /**
   * Writes an entry unless something newer is known for the key. `token` (a logical time from
   * {@link MemoryLayer.missToken}, taken before the value was read or written in Redis) refuses
   * the write if the key was deleted, written or cleared since. `version` is the entry's Redis
   * version (`created` in Redis): it is refused if that version is at most the newest one known
   * to be outdated, from a delete or an announcement of another instance (the bus), whatever
   * order the messages and the replies came in. Where both are known, the version decides (it
   * orders changes as Redis applied them), except at the held entry's own version, which a
   * write-behind counter keeps while its value changes; there, and where a version is not known,
   * the token does.
   *
   * @returns Whether the entry was stored.
   */
  write(
    key: string,
    entry: EntryToWrite,
    ttlMs: number,
    token?: number,
    shared?: unknown,
    version?: number,
  ): boolean {
    if (this.lifetimeCapMs !== undefined) {
      if (this.lifetimeCapMs === 0) return false;
      ttlMs = Math.min(ttlMs, this.lifetimeCapMs);
    }
    if ((token !== undefined || version !== undefined) && this.isOutdated(key, token, version)) return false;
    if (!this.inFlight.none && this.inFlight.covers(key, entry.tags)) return false;
    const created = token ?? ++this.clock;
    this.keyDependencies?.watch(entry.tags);
    this.longestLifetimeMs = Math.max(this.longestLifetimeMs, ttlMs);
    const floor = version === undefined ? undefined : version - 1;
    const expiresAt = this.time.now() + ttlMs;
    this.records.set(key, { entry: { ...entry, created }, shared, expiresAt, floor });
    return true;
  }

  /** Whether a write under `token` / of `version` is older than what this layer knows of `key`. */
  private isOutdated(key: string, token: number | undefined, version: number | undefined): boolean {
    const current = this.records.peek(key);
    if (current !== undefined) {
      // A version known on both sides orders the two as Redis did, even past the record's expiry.
      if (version !== undefined && current.floor !== undefined) {
        if (version <= current.floor) return true;
        // The same version as the entry held can be another value: a write-behind counter's
        // increments change its entry under one version. Then, as without versions, the token
        // decides: a read that began before the held copy was stored is older than it.
        if (current.entry === undefined || version - 1 !== current.floor) return false;
      }
      if (token === undefined || current.expiresAt <= this.time.now()) return false;
      return (current.entry ? current.entry.created : current.deletedAt) >= token;
    }
    const remote = this.remoteDeletes.get(key);
    if (remote !== undefined) {
      if (version !== undefined && remote.floor !== undefined) {
        if (version <= remote.floor) return true;
      } else if (token !== undefined && token <= remote.at) return true;
    }
    // Evicted or cleared since the token: what it recorded is gone.
    return token !== undefined && token <= this.evictedUpTo;
  }

  delete(keys: readonly string[]): void {
    this.markDeleted(keys);
  }

  /**
   * Changes announced by another instance (the bus). `upTo[i]`: copies of `keys[i]` whose
   * version is at most this are outdated (`undefined`: not known, every copy is). An outdated
   * held record becomes a delete marker as with {@link MemoryLayer.delete}; a held entry newer
   * than the change (the message came late) stays. For a key not held, the change is remembered
   * apart (bounded), so it stops reads in flight without taking room from this instance's entries.
   */
  deleteRemote(keys: readonly string[], upTo: readonly (number | undefined)[] = []): void {
    const deletedAt = ++this.clock;
    const expiresAt = this.time.now() + this.options.tombstoneTtlMs;
    keys.forEach((key, i) => {
      const floor = upTo[i];
      const current = this.records.peek(key);
      if (current === undefined) {
        const remote = this.remoteDeletes.get(key);
        const unknown = remote !== undefined && remote.floor === undefined;
        this.remoteDeletes.set(key, { at: deletedAt, floor: mergeFloor(unknown, remote?.floor, floor) });
        return;
      }
      if (
        current.entry !== undefined &&
        floor !== undefined &&
        current.floor !== undefined &&
        current.floor >= floor
      )
        return;
      // A marker of unknown version (a local delete, an announcement without versions) stays
      // unknown: writes are then refused by token, which is stricter.
      const unknown = current.entry === undefined && current.floor === undefined;
      this.records.set(key, {
        entry: undefined,
        deletedAt,
        expiresAt,
        floor: mergeFloor(unknown, current.floor, floor),
      });
    });
  }

  /** Delete markers for `keys` (their Redis version is not known yet). */
  private markDeleted(keys: readonly string[]): void {
    const deletedAt = ++this.clock;
    const expiresAt = this.time.now() + this.options.tombstoneTtlMs;
    for (const key of keys)
      this.records.set(key, { entry: undefined, deletedAt, expiresAt, floor: undefined });
  }

  /**
   * While other instances' invalidations may not arrive (the bus is down): entries written from
   * now on live at most `capMs` (`0`: none is stored, every read goes past L1). Entries already
   * held are not touched; {@link MemoryLayer.clear} drops them.
   */
  degrade(capMs: number): void {
    this.lifetimeCapMs = capMs;
  }

  /** Ends {@link MemoryLayer.degrade}: entries live as long as written again. */
  restore(): void {
    this.lifetimeCapMs = undefined;
  }

  /**
   * Watches key dependencies a tracked computation read (docs/dependencies.md), so that their
   * changes from now on are remembered for the entry it will store.
   */
  watchDependencies(dependencies: readonly string[]): void {
    this.keyDependencies?.watch(dependencies);
  }

  invalidate(tagKeys: readonly string[]): void {
    const at = ++this.clock;
    const wall = this.time.now();
    const watch = this.keyDependencies;
    for (const tagKey of tagKeys) {
      if (watch === undefined || watch.matters(tagKey)) this.invalidations.set(tagKey, { at, wall });
    }
    this.prune(wall);
  }

  /**
   * Drops every record (the bus uses this when it may have missed invalidations), and refuses the
   * writes of reads that began before, whose values could have missed them too.
   */
  clear(): void {
    this.records.clear();
    this.remoteDeletes.clear();
    this.evictedUpTo = this.clock;
    this.clearedAt = this.clock;
  }

  /**
   * Drops `keys` and `tagKeys` (as {@link MemoryLayer.delete} and {@link MemoryLayer.invalidate})
   * for an invalidation of this instance that is on its way to Redis, and refuses to store their
   * entries until {@link MemoryLayer.letThrough}: a read meanwhile finds the old entry in Redis,
   * still valid there, and would put it back (this instance skips its own announcements).
   */
  holdBack(keys: readonly string[], tagKeys: readonly string[]): void {
    if (keys.length > 0) this.markDeleted(keys);
    if (tagKeys.length > 0) this.invalidate(tagKeys);
    this.inFlight.add(keys);
    this.inFlight.add(tagKeys);
  }

  /**
   * Ends {@link MemoryLayer.holdBack} once Redis has the invalidation (or will replay it), and
   * drops again what a read that began before may still store.
   */
  letThrough(keys: readonly string[], tagKeys: readonly string[]): void {
    this.inFlight.remove(keys);
    this.inFlight.remove(tagKeys);
    if (keys.length > 0) this.markDeleted(keys);
    if (tagKeys.length > 0) this.invalidate(tagKeys);
  }

  /**
   * Whether `key` was deleted (here or by another instance), or one of `tagKeys` invalidated, or
   * L1 cleared, since `token` (a {@link MemoryLayer.missToken}): a load that began under it
   * computes an older value than a read that comes now may return.
   */
  changedSince(key: string, tagKeys: readonly string[], token: number): boolean {
    if (token <= this.clearedAt) return true;
    const current = this.records.peek(key);
    if (current !== undefined && current.entry === undefined && current.deletedAt > token) return true;
    const remote = this.remoteDeletes.get(key);
    if (remote !== undefined && remote.at > token) return true;
    for (const tagKey of tagKeys) {
      const invalidation = this.invalidations.get(tagKey);
      if (invalidation !== undefined && invalidation.at > token) return true;
    }
    return false;
  }

  close(): Promise<void> {
    this.records.clear();
    this.remoteDeletes.clear();
    this.invalidations.clear();
    return Promise.resolve();
  }

  private isInvalidated(entry: CacheEntry): boolean {
    for (const tag of entry.tags) {
      const invalidation = this.invalidations.get(tag);
      if (invalidation !== undefined && invalidation.at >= entry.created) return true;
      if (this.keyDependencies?.missed(tag, entry.created) === true) return true;
    }
    return false;
  }

  // An invalidation older than the longest lifetime ever written cannot concern a live entry.
  private prune(now: number): void {
    if (this.invalidations.size < PRUNE_THRESHOLD || now - this.lastPruneWall < 1000) return;
    this.lastPruneWall = now;
    const horizon = now - this.longestLifetimeMs - 1;
    for (const [tag, invalidation] of this.invalidations) {
      if (invalidation.wall < horizon) this.invalidations.delete(tag);
    }
  }
}
