import type { InvalidationBus } from '../bus/invalidation-bus.js';
import type { StrataClock } from '../clock/strata-clock.js';
import { decodeValue, type EncodedValue } from '../codec/value.codec.js';
import type { DependencyTracker } from '../dependencies/dependency-tracker.js';
import type { EntryEvents } from '../events/entry-events.js';
import type { StrataEvents } from '../events/strata-events.js';
import type { KeyBuilder } from '../keys/key-builder.js';
import type { L2Guard } from '../layers/l2-guard.js';
import type { MemoryLayer } from '../layers/memory.layer.js';
import type { RedisLayer } from '../layers/redis.layer.js';
import type { LoadLeases } from '../lease/load-lease.js';
import type { GetOptions, LoadOptions, ReadOptions, WriteOptions } from '../options/call-options.js';
import type { CacheStackOptions } from '../options/cache-stack.options.js';
import type { ResolvedStackOptions } from '../options/resolve-options.js';
import { ReadPath } from '../reads/read-path.js';
import type { RedisConnection } from '../redis/redis-connection.js';
import { Tiers } from '../tiers/tiers.js';
import { EntryWriter } from '../writes/entry-writer.js';
import { KeyChanges } from '../writes/key-changes.js';
import { WritePath } from '../writes/write-path.js';
import { CACHE_MISS } from './cache-miss.js';
import { EntryLoads } from './entry-loads.js';

/**
 * The engine behind a `CacheStack`: builds the {@link Tiers} (options, clock, keys, layers), the
 * write path and the read path over them, and offers the reads and writes by full key that the
 * stack and Strata's own features call. Internal: strategies, write-behind, the HTTP cache and
 * `@Cacheable` reach it with `engineOf`; users call the stack.
 *
 * The parts of the tiers are also fields here, the same objects, so that a caller (and the L1 hit
 * path of `peekEntry`) reaches them without one more property read.
 */
export class Engine {
  /** The parts the paths work on. */
  readonly tiers: Tiers;
  /** The validated options. */
  readonly options: ResolvedStackOptions;
  /** Time for freshness, expiry and leases (the `clock` option). */
  readonly clock: StrataClock;
  /** The key layout. */
  readonly keys: KeyBuilder;
  /** The stack's events. */
  readonly events: StrataEvents;
  /** Emits the per-entry events (`hit`, `miss`, `stale`) with their cache name. */
  readonly entryEvents: EntryEvents;
  /** The in-process layer, when on. */
  readonly l1: MemoryLayer | undefined;
  /** The Redis layer, when configured. */
  readonly l2: RedisLayer | undefined;
  /** Every Redis command goes through it (timeouts, breaker, replayed evictions). */
  readonly guard: L2Guard | undefined;
  /** The invalidation bus, with Redis unless `bus: false`. */
  readonly bus: InvalidationBus | undefined;
  /** The Redis connection, when configured. */
  readonly connection: RedisConnection | undefined;
  /** Cross-instance single-flight, with Redis unless `lease: false`. */
  readonly leases: LoadLeases | undefined;
  /** What a computation inside `trackDependencies` read. */
  readonly tracker: DependencyTracker;
  /** The one write of an entry to Redis then L1, for loads and sets. */
  readonly writer: EntryWriter;
  /** Records and announces each set and delete. */
  readonly changes: KeyChanges;
  /** Sets, deletes and invalidations. */
  readonly writes: WritePath;
  /** L2 reads, stale reads, early refresh. */
  readonly reads: ReadPath;
  /** `getOrLoad` past its key: single-flight, stale serving, the loader. */
  readonly loads: EntryLoads;

  /** Validates `options` (throws `StrataConfigError`) and builds the tiers and the paths over them. */
  constructor(options: CacheStackOptions, events: StrataEvents) {
    const tiers = new Tiers(options, events);
    this.tiers = tiers;
    ({ options: this.options, clock: this.clock, keys: this.keys, events: this.events } = tiers);
    ({ entryEvents: this.entryEvents, tracker: this.tracker } = tiers);
    ({ l1: this.l1, l2: this.l2, guard: this.guard, bus: this.bus } = tiers);
    ({ connection: this.connection, leases: this.leases } = tiers);
    this.writer = new EntryWriter(tiers);
    this.changes = new KeyChanges(tiers);
    this.writes = new WritePath(tiers, this.writer, this.changes);
    this.reads = new ReadPath(tiers, this.writer);
    this.loads = new EntryLoads(tiers, this.reads);
  }

  /** Whether `close` was called: loads no longer start. */
  get closed(): boolean {
    return this.tiers.closed;
  }

  /** The ioredis command connection, for `duplicate()` by features that subscribe or block. */
  get redisClient(): RedisConnection['client'] | undefined {
    return this.connection?.client;
  }

  /**
   * `CacheStack.peek` by full key (from `keys.entry(key, namespace)`), for callers that build the
   * key once, such as `@Cacheable` with a constant key. Allocates nothing on a hit.
   */
  peekEntry(full: string): unknown {
    const l1 = this.l1;
    if (l1 === undefined) return CACHE_MISS;
    // One clock read serves both the L1 expiry and the freshness check.
    const now = this.clock.now();
    const record = l1.lookup(full, now);
    if (record === undefined || record.entry.freshUntil <= now) return CACHE_MISS;
    if (this.events.has('hit')) this.entryEvents.hit(full, 'l1');
    this.tracker.record(full, record.entry.tags);
    // `Tiers.materialize`, inline: this is the hottest path of the library.
    const shared = record.shared;
    return shared !== undefined ? shared : decodeValue(record.entry.value);
  }

  /**
   * `CacheStack.getOrLoad` by full key, after the caller's own L1 peek: with early refresh off,
   * the caller has already looked for a fresh L1 entry (`peekEntry`), so this does not again.
   */
  loadEntry(full: string, loader: () => unknown, options: LoadOptions<unknown>): Promise<unknown> {
    return this.loads.load(full, loader, options);
  }

  /** `CacheStack.get` by full key, after the caller's L1 peek missed: L2, or `undefined` on a miss. */
  readEntry(full: string, options: GetOptions): Promise<unknown> {
    return this.loads.read(full, options);
  }

  /**
   * Encodes `value` as the stack stores it, for a caller that must know before it acts (a
   * write-through or write-behind cache, before it persists or journals the value). Throws
   * `UncacheableValueError`, or `ValueTooLargeError` over `maxValueBytes`; nothing is evicted.
   */
  encode(
    key: string,
    value: unknown,
    options: ReadOptions & { readonly target?: string } = {},
  ): EncodedValue {
    return this.writes.encode(key, value, options);
  }

  /**
   * `CacheStack.set` for a caller that has already encoded `value` with `encode` (a write-behind
   * journal does, to snapshot it): the value is not encoded twice.
   */
  setEncoded(key: string, value: unknown, encoded: EncodedValue, options: WriteOptions = {}): Promise<void> {
    const guard = this.guard;
    if (guard === undefined) return this.writes.setEncoded(key, value, encoded, options, undefined);
    // One operation, its budget handed on explicitly: the usual set enters no async context,
    // which costs every promise created in it (write-path.ts enters it where a set needs it).
    const budget = guard.budget();
    return guard.explicitOperation(
      () => this.writes.setEncoded(key, value, encoded, options, budget),
      budget,
    );
  }

  /**
   * `CacheStack.delete`: one operation, its budget handed on explicitly, as a set's (write-path.ts
   * enters its async context only where a delete sends more than its script call).
   */
  delete(keys: string | readonly string[], options: ReadOptions | undefined): Promise<void> {
    const guard = this.guard;
    if (guard === undefined) return this.writes.delete(keys, options, undefined);
    const budget = guard.budget();
    return guard.explicitOperation(() => this.writes.delete(keys, options, budget), budget);
  }

  /**
   * What a script that writes an entry itself (the Redis write-behind journal) needs: the full
   * key, the entry's life in Redis (`ttlMs`: its TTL plus the stack's stale window, for `PX`), and
   * its Redis form up to its value (`serializeEntryTail` without it).
   */
  entryHead(
    key: string,
    value: unknown,
    options: WriteOptions = {},
  ): { full: string; ttlMs: number; head: string } {
    return this.writes.entryHead(key, value, options);
  }

  /**
   * Runs a write that sends several Redis commands as one operation: they share one budget of
   * Redis time (`redis.commandTimeout`), so a frozen Redis holds it once
   * (docs/failure-behaviour.md). A read needs no scope: a load enters one on a miss.
   */
  l2Operation<T>(fn: () => Promise<T>): Promise<T> {
    return this.guard === undefined ? fn() : this.guard.operation(fn);
  }

  /**
   * Waits for loads, refreshes and the script calls of sets in flight (at most
   * `drainTimeoutMs`), then closes the Redis connection Strata owns, the bus and L1. Idempotent.
   */
  close(drainTimeoutMs: number): Promise<void> {
    return this.tiers.close(
      () => Promise.all([this.loads.drain(), this.reads.drain(), this.writes.drain()]),
      drainTimeoutMs,
    );
  }
}
