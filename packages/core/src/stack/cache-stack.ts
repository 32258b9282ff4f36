import { decodeValue, encodeValue, type EncodedValue } from '../codec/value.codec.js';
import type { InvalidationBus } from '../bus/invalidation-bus.js';
import { type Collected, DependencyTracker } from '../dependencies/dependency-tracker.js';
import { StrataEvents } from '../events/strata-events.js';
import { EntryEvents } from '../events/entry-events.js';
import type { CircuitState } from '../circuit-breaker/circuit-breaker.js';
import { KeyBuilder } from '../keys/key-builder.js';
import type { MemoryLayer } from '../layers/memory.layer.js';
import type { RedisLayer } from '../layers/redis.layer.js';
import type { CacheStackOptions } from '../options/cache-stack.options.js';
import { resolveStackOptions, type ResolvedStackOptions } from '../options/resolve-options.js';
import type { RedisConnection } from '../redis/redis-connection.js';
import { SingleFlight } from '../single-flight/single-flight.js';
import { TtlPolicy } from '../ttl/ttl-policy.js';
import type { GetOptions, LoadOptions, ReadOptions, WriteOptions, WriteTicket } from './cache-stack.types.js';
import { EntryWriter } from '../writes/entry-writer.js';
import { KeyChanges } from '../writes/key-changes.js';
import { WritePath } from '../writes/write-path.js';
import type { L2Guard } from '../layers/l2-guard.js';
import { buildStackLayers } from '../engine/stack-layers.js';
import { NOT_SERVED, ReadPath, type Loaded } from '../reads/read-path.js';
import { invalidTtl, resolveReadPolicy } from '../reads/stale-policy.js';

/** What {@link CacheStack.peek} returns when L1 has no fresh entry. */
export const CACHE_MISS: unique symbol = Symbol('strata:cache-miss');

const NO_TAGS: readonly string[] = [];

/**
 * The cache engine: an in-process LRU (L1) and/or Redis (L2), with keys, namespaces, tags,
 * TTL jitter, single-flight loading and no stale sets. Framework-free; `@strata/nestjs` builds
 * one per `StrataModule.forRoot`.
 *
 * A hit means an entry exists: `0`, `''`, `false` and `null` are cached values. `undefined`
 * means "do not cache".
 *
 * @example
 * ```ts
 * const stack = new CacheStack({ prefix: 'shop', redis: { url: 'redis://127.0.0.1:6379' } });
 * await stack.connect();
 * const product = await stack.getOrLoad(`product:${id}`, () => db.product(id), { tags: [`product:${id}`] });
 * await stack.invalidateTags([`product:${id}`]);
 * await stack.close();
 * ```
 */
export class CacheStack {
  /** Typed events for logs and metrics. */
  readonly events = new StrataEvents();
  /** The key layout. */
  readonly keys: KeyBuilder;
  /** The validated options. */
  readonly options: ResolvedStackOptions;
  /** The in-process layer, when on. */
  readonly l1: MemoryLayer | undefined;
  /** The Redis layer, when configured. */
  readonly l2: RedisLayer | undefined;
  /** The invalidation bus, with Redis unless `bus: false`. */
  readonly bus: InvalidationBus | undefined;
  private readonly connection: RedisConnection | undefined;
  private readonly guard: L2Guard | undefined;
  private readonly flights = new SingleFlight<Loaded>();
  private readonly ttl: TtlPolicy;
  private readonly writer: EntryWriter;
  /** The load path past the L1 fast path: L2 reads, stale reads, early refresh (read-path.ts). */
  private readonly reader: ReadPath;
  /** What a computation inside {@link CacheStack.trackDependencies} read. */
  private readonly tracker: DependencyTracker;
  /** Sets, deletes and invalidations (write-path.ts). */
  private readonly writes: WritePath;
  private readonly entryEvents: EntryEvents;
  private closed = false;

  /** Validates `options` (throws `StrataConfigError`) and builds the layers; an owned Redis client starts connecting at once. */
  constructor(options: CacheStackOptions = {}) {
    this.options = resolveStackOptions(options);
    const o = this.options;
    this.keys = new KeyBuilder(o.prefix, o.maxKeyLength);
    this.ttl = new TtlPolicy(o);
    const layers = buildStackLayers(o, this.keys, this.events);
    ({ l1: this.l1, l2: this.l2, bus: this.bus, connection: this.connection, guard: this.guard } = layers);
    const watch = (dependency: string): void => this.l1?.watchDependencies([dependency]);
    this.tracker = new DependencyTracker(o.dependencies, this.keys, watch);
    this.entryEvents = new EntryEvents(this.events, this.keys.prefix);
    const { keys, l1, l2, guard, bus } = this;
    const isKeyDependency = (dependency: string): boolean => keys.isKeyDependency(dependency);
    this.writer = new EntryWriter(guard, l1, o.l1?.ttlMs, isKeyDependency, o.bus?.outageTtlMs);
    const changes = new KeyChanges({ enabled: o.dependencies, keys, l1, l2, guard, bus });
    const { events, ttl, writer } = this;
    this.writes = new WritePath({ options: o, events, keys, ttl, l1, guard, bus, writer, changes });
    this.reader = new ReadPath({
      options: o,
      events: this.events,
      keys: this.keys,
      ttl: this.ttl,
      l1: this.l1,
      guard: this.guard,
      leases: layers.leases,
      write: (write, l1Token, l2Token) => this.writer.write(write, l1Token, l2Token),
      isClosed: () => this.closed,
      tracker: this.tracker,
    });
  }

  /**
   * Connects to Redis, if configured, waiting up to `redis.connectTimeout`. Resolves `true` when
   * Redis answered (or none is configured), `false` when the stack starts with L2 skipped (it uses
   * Redis as soon as it answers); throws `RedisUnavailableError` with `redis.failOnUnavailable`.
   */
  async connect(): Promise<boolean> {
    if (!this.connection || !this.options.redis) return true;
    const started = Date.now();
    const { connectTimeoutMs, failOnUnavailable } = this.options.redis;
    const connected = await this.connection.connect(connectTimeoutMs, failOnUnavailable);
    // Until the bus is subscribed, L1 entries live at most `bus.outageTtl`.
    if (connected) await this.bus?.waitUntilConnected(Math.max(connectTimeoutMs - (Date.now() - started), 0));
    return connected;
  }

  /** Whether Redis is configured, connected and its breaker closed. */
  get l2Available(): boolean {
    return this.connection?.ready === true && this.guard?.breakerState === 'closed';
  }

  /** The L2 circuit breaker's state (`undefined` without Redis), for health checks and metrics. */
  get breakerState(): CircuitState | undefined {
    return this.guard?.breakerState;
  }

  /** The ioredis command connection, for `duplicate()` by features that subscribe or block. */
  get redisClient(): RedisConnection['client'] | undefined {
    return this.connection?.client;
  }

  /**
   * Synchronous L1-only lookup: the value of a fresh L1 entry, or {@link CACHE_MISS}. Never
   * touches Redis and allocates nothing on a hit: the hot path of `@Cacheable`, which goes on
   * to {@link CacheStack.getOrLoad} only on a miss.
   */
  peek(key: string, namespace?: string): unknown {
    return this.l1 === undefined ? CACHE_MISS : this.peekEntry(this.keys.entry(key, namespace));
  }

  /**
   * {@link CacheStack.peek} by full key (from `stack.keys.entry(key, namespace)`), for callers
   * that build the key once, such as `@Cacheable` with a constant key.
   */
  peekEntry(fullKey: string): unknown {
    if (this.l1 === undefined) return CACHE_MISS;
    // One clock read serves both the L1 expiry and the freshness check.
    const now = Date.now();
    const record = this.l1.lookup(fullKey, now);
    if (record === undefined || record.entry.freshUntil <= now) return CACHE_MISS;
    if (this.events.has('hit')) this.entryEvents.hit(fullKey, 'l1');
    this.tracker.record(fullKey, record.entry.tags);
    return this.materialize(record.entry.value, record.shared);
  }

  /** Reads a value; `undefined` on a miss. */
  async get<T>(key: string, options: GetOptions = {}): Promise<T | undefined> {
    const full = this.keys.entry(key, options.namespace);
    const local = this.peekEntry(full);
    if (local !== CACHE_MISS) return local as T;
    const l2 = await this.reader.readL2(
      full,
      this.l1?.missToken(),
      this.tagKeys(options),
      false,
      options.share,
    );
    if (l2.hit) {
      this.tracker.record(full, l2.entry.tags);
      return this.materialize(l2.entry.value, l2.shared) as T;
    }
    this.entryEvents.miss(full);
    // A later set of the key would change what the caller read.
    this.tracker.record(full, NO_TAGS);
    return undefined;
  }

  /**
   * Returns the cached value, or runs `loader` once per key in this process (concurrent callers
   * share its result or error) and, with Redis, once across instances (a lease: the others wait
   * for the value; docs/distributed.md), stores what it returns, and returns it. A result is not stored
   * when the key, one of its tags or its namespace was invalidated while the loader ran.
   * Expired entries may be served inside `grace` / `staleWhileRevalidate`, and fresh ones
   * refreshed early (`earlyRefresh`): see {@link LoadOptions} and docs/reads.md.
   */
  async getOrLoad<T>(key: string, loader: () => T | Promise<T>, options: LoadOptions<T> = {}): Promise<T> {
    const full = this.keys.entry(key, options.namespace);
    const untyped = options as LoadOptions<unknown>;
    if ((options.earlyRefresh ?? this.options.reads.earlyRefresh) === false) {
      const local = this.peekEntry(full);
      if (local !== CACHE_MISS) return local as T;
    }
    const policy = resolveReadPolicy(options, this.options.reads, undefined, invalidTtl);
    // A bad TTL fails the call before its loader runs, not after.
    if (options.ttl !== undefined || options.nullTtl !== undefined)
      this.ttl.check(options.ttl, options.nullTtl);
    if (policy.early !== undefined || policy.swrMs > 0) {
      const local = this.reader.fromL1(full, loader, untyped, policy);
      if (local !== NOT_SERVED) return local as T;
    }
    const l1Token = this.l1?.missToken();
    let leader = false;
    const loaded = await this.flights.run(full, () => {
      leader = true;
      return this.reader.load(full, loader, untyped, l1Token, policy);
    });
    this.tracker.record(full, loaded.tags ?? this.tagKeys(options));
    if (leader || this.options.shareReferences || options.share === true) return loaded.value as T;
    // Not stored (`shouldCache` said no): followers still get their own copy, not the leader's.
    if (loaded.encoded === undefined) return cloneForFollower(loaded.value) as T;
    return decodeValue(loaded.encoded) as T;
  }

  /**
   * Stores a value unconditionally (it wins over loads in flight). `undefined` is not stored.
   * Throws `ValueTooLargeError` when the encoded value is over `maxValueBytes`, after evicting the
   * key (so an older value does not outlive the call), `UncacheableValueError` when it cannot be
   * encoded, `InvalidTtlError` for a bad `ttl`.
   */
  async set<T>(key: string, value: T, options: WriteOptions = {}): Promise<void> {
    if (value === undefined) return;
    await this.setEncoded(key, value, encodeValue(value, key), options);
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
   * {@link CacheStack.set} for a caller that has already encoded `value` with `encodeValue`
   * (a write-behind journal does, to snapshot it): the value is not encoded twice.
   */
  async setEncoded<T>(
    key: string,
    value: T,
    encoded: EncodedValue,
    options: WriteOptions = {},
  ): Promise<void> {
    await this.l2Operation(() => this.writes.setEncoded(key, value, encoded, options));
  }

  /**
   * Tokens for a value computed outside `getOrLoad` (an HTTP page): take them before computing
   * it, then give them to `set` as {@link WriteOptions.ticket}, so that a change made meanwhile
   * (by any instance) to the entry, its tags or its dependencies keeps the older value out.
   * With Redis, one round trip.
   */
  async writeTicket(key: string, options: ReadOptions = {}): Promise<WriteTicket> {
    return this.writes.writeTicket(key, options);
  }

  /**
   * Runs `fn` and returns, with its result, the full dependency keys of every entry it read
   * through this stack, hit or miss (the key itself, and the tags and namespace the entry
   * carries, including what its own loader read when it was computed under tracking). Store a
   * value computed from them with `set(key, value, { dependsOn: dependencies })`: setting or
   * deleting one of those keys, or invalidating one of those tags or namespaces, then drops it.
   * Nested calls record into the enclosing ones too. With `dependencies: false`, records nothing.
   *
   * @example
   * ```ts
   * const ticket = await stack.writeTicket(pageKey);
   * const { value: page, dependencies } = await stack.trackDependencies(() => render(id));
   * await stack.set(pageKey, page, { ticket, dependsOn: dependencies });
   * await stack.delete(`product:${id}`); // render() read it: the page is gone too
   * ```
   */
  trackDependencies<T>(fn: () => T | Promise<T>): Promise<Collected<T>> {
    return this.tracker.collect(fn);
  }

  /**
   * Redis time (µs) on the node of `key`'s entry, for {@link WriteOptions.ifUnchangedSince}:
   * take it before changing the source of truth, then write the cache with it. `undefined`
   * without Redis or when Redis fails (then write unconditionally).
   */
  async writeToken(key: string, options: ReadOptions = {}): Promise<number | undefined> {
    return this.guard?.missToken(this.keys.entry(key, options.namespace));
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

  /** Deletes keys; loads in flight for them will not store their result. */
  async delete(keys: string | readonly string[], options?: ReadOptions): Promise<void> {
    await this.l2Operation(() => this.writes.delete(keys, options));
  }

  /** Drops every entry carrying any of `tags`, in O(1) round trips whatever their number. */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    await this.l2Operation(() => this.writes.invalidateTags(tags));
  }

  /** Drops every entry of a namespace, in one round trip. */
  async invalidateNamespace(namespace: string): Promise<void> {
    await this.l2Operation(() => this.writes.invalidateNamespace(namespace));
  }

  /**
   * Waits for loads in flight (at most `drainTimeoutMs`, so one stuck loader cannot hold shutdown
   * forever; its callers still get its result), then closes the Redis connection Strata owns.
   * Idempotent.
   */
  async close(drainTimeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([this.flights.drain(), this.reader.drain()]),
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

  /**
   * Runs a write that sends several Redis commands as one operation: they share one budget of
   * Redis time (`redis.commandTimeout`), so a frozen Redis holds it once
   * (docs/failure-behaviour.md). A read needs no scope: `getOrLoad` enters one on a miss.
   */
  private l2Operation<T>(fn: () => Promise<T>): Promise<T> {
    return this.guard === undefined ? fn() : this.guard.operation(fn);
  }

  private materialize(encoded: EncodedValue, shared: unknown): unknown {
    if (shared !== undefined) return shared;
    return decodeValue(encoded);
  }

  private tagKeys(options: GetOptions): readonly string[] {
    return this.keys.dependencies(options.namespace, options.tags);
  }
}

function cloneForFollower(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  try {
    return structuredClone(value);
  } catch {
    // Not cloneable (holds functions or class instances with private state): share it.
    return value;
  }
}
