import type { InvalidationBus } from '../bus/invalidation-bus.js';
import { isStrataClock, SYSTEM_CLOCK, type StrataClock } from '../clock/strata-clock.js';
import { decodeValue, type EncodedValue } from '../codec/value.codec.js';
import { DependencyTracker } from '../dependencies/dependency-tracker.js';
import { StrataConfigError } from '../errors/strata-config.error.js';
import { EntryEvents } from '../events/entry-events.js';
import type { StrataEvents } from '../events/strata-events.js';
import { KeyBuilder } from '../keys/key-builder.js';
import type { L2Guard } from '../layers/l2-guard.js';
import type { MemoryLayer } from '../layers/memory.layer.js';
import type { RedisLayer } from '../layers/redis.layer.js';
import type { LoadLeases } from '../lease/load-lease.js';
import type { CacheStackOptions } from '../options/cache-stack.options.js';
import { resolveStackOptions, type ResolvedStackOptions } from '../options/resolve-options.js';
import type { LoadRequest } from '../reads/load-request.js';
import { ReadPath } from '../reads/read-path.js';
import type { ReadPolicy } from '../options/stale-policy.js';
import type { RedisConnection } from '../redis/redis-connection.js';
import type { GetOptions, LoadOptions, ReadOptions, WriteOptions } from '../options/call-options.js';
import { TtlPolicy } from '../ttl/ttl-policy.js';
import { EntryWriter } from '../writes/entry-writer.js';
import { KeyChanges } from '../writes/key-changes.js';
import { WritePath } from '../writes/write-path.js';
import { CACHE_MISS } from './cache-miss.js';
import { EntryLoads } from './entry-loads.js';
import { buildStackLayers } from './stack-layers.js';

/**
 * The engine behind a `CacheStack`: the resolved options, the key layout, the clock, the layers
 * (L1, the guarded Redis layer, the bus, the leases) and the read and write paths over them.
 * Internal: strategies, write-behind, the HTTP cache and `@Cacheable` reach it with `tiersOf`;
 * users call the stack.
 */
export class Tiers {
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
  /** TTLs with jitter, per value. */
  readonly ttl: TtlPolicy;
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
  /** L2 reads, stale reads, early refresh. */
  readonly reads: ReadPath;
  /** Sets, deletes and invalidations. */
  readonly writes: WritePath;
  /** `getOrLoad` past its key: single-flight, stale serving, the loader. */
  readonly loads: EntryLoads;
  #closed = false;

  /** Validates `options` (throws `StrataConfigError`) and builds the layers. */
  constructor(options: CacheStackOptions, events: StrataEvents) {
    const { clock = SYSTEM_CLOCK, ...rest } = options;
    if (!isStrataClock(clock)) throw new StrataConfigError('clock', clock, 'expected { now(): number }');
    this.clock = clock;
    this.options = resolveStackOptions(rest);
    this.events = events;
    this.keys = new KeyBuilder(this.options.prefix, this.options.maxKeyLength);
    this.ttl = new TtlPolicy(this.options);
    const layers = buildStackLayers(this.options, this.keys, events, clock);
    ({ l1: this.l1, l2: this.l2, bus: this.bus, connection: this.connection, guard: this.guard } = layers);
    this.leases = layers.leases;
    const watch = (dependency: string): void => this.l1?.watchDependencies([dependency]);
    this.tracker = new DependencyTracker(this.options.dependencies, this.keys, watch);
    this.entryEvents = new EntryEvents(events, this.keys.prefix);
    this.writer = new EntryWriter(this);
    this.changes = new KeyChanges(this);
    this.writes = new WritePath(this);
    this.reads = new ReadPath(this);
    this.loads = new EntryLoads(this);
  }

  /** Whether `close` was called: loads no longer start. */
  get closed(): boolean {
    return this.#closed;
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
    return this.materialize(record.entry.value, record.shared);
  }

  /**
   * `CacheStack.getOrLoad` by full key, after the caller's own L1 peek: with early refresh off,
   * the caller has already looked for a fresh L1 entry (`peekEntry`), so this does not again.
   */
  loadEntry(full: string, loader: () => unknown, options: LoadOptions<unknown>): Promise<unknown> {
    return this.loads.load(full, loader, options);
  }

  /** `CacheStack.get` by full key, after the caller's L1 peek missed: L2, or `CACHE_MISS`. */
  readEntry(full: string, options: GetOptions): Promise<unknown> {
    return this.loads.read(full, options);
  }

  /** The {@link LoadRequest} of one call. */
  loadRequest(
    full: string,
    loader: () => unknown,
    options: LoadOptions<unknown>,
    policy: ReadPolicy,
  ): LoadRequest {
    return { full, loader, options, policy, tagKeys: this.tagKeys(options) };
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
  async setEncoded(
    key: string,
    value: unknown,
    encoded: EncodedValue,
    options: WriteOptions = {},
  ): Promise<void> {
    await this.l2Operation(() => this.writes.setEncoded(key, value, encoded, options));
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

  /** A stored value as a caller gets it: the shared frozen one, or a fresh decode. */
  materialize(encoded: EncodedValue, shared: unknown): unknown {
    return shared !== undefined ? shared : decodeValue(encoded);
  }

  /** The dependency keys of a call's tags and namespace. */
  tagKeys(options: GetOptions): readonly string[] {
    return this.keys.dependencies(options.namespace, options.tags);
  }

  /**
   * Waits for loads in flight (at most `drainTimeoutMs`), then closes the Redis connection
   * Strata owns, the bus and L1. Idempotent.
   */
  async close(drainTimeoutMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([this.loads.drain(), this.reads.drain()]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    await this.guard?.drain();
    await this.bus?.close();
    await this.connection?.close();
    await this.l1?.close();
    this.events.clear();
  }
}
