import { encodeValue } from '../codec/value.codec.js';
import type { Collected } from '../dependencies/dependency-tracker.js';
import type { CircuitState } from '../circuit-breaker/circuit-breaker.js';
import { CACHE_MISS } from '../engine/cache-miss.js';
import { Engine } from '../engine/engine.js';
import { StrataEvents } from '../events/strata-events.js';
import type { CacheStackOptions } from '../options/cache-stack.options.js';
import type {
  GetOptions,
  LoadOptions,
  ReadOptions,
  WriteOptions,
  WriteTicket,
} from '../options/call-options.js';

export { CACHE_MISS } from '../engine/cache-miss.js';

let readEngine: (stack: CacheStack) => Engine;

/** The options of a call that gives none: one object for all of them. */
const NO_OPTIONS: GetOptions = Object.freeze({});

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
  readonly events: StrataEvents;
  readonly #engine: Engine;

  static {
    readEngine = (stack) => stack.#engine;
  }

  /** Validates `options` (throws `StrataConfigError`) and builds the layers; an owned Redis client starts connecting at once. */
  constructor(options: CacheStackOptions = {}) {
    this.events = new StrataEvents();
    this.#engine = new Engine(options, this.events);
  }

  /**
   * Connects to Redis, if configured, waiting up to `redis.connectTimeout`. Resolves `true` when
   * Redis answered (or none is configured), `false` when the stack starts with L2 skipped (it uses
   * Redis as soon as it answers); throws `RedisUnavailableError` with `redis.failOnUnavailable`.
   */
  async connect(): Promise<boolean> {
    const { connection, options, bus } = this.#engine;
    if (!connection || !options.redis) return true;
    const started = Date.now();
    const { connectTimeoutMs, failOnUnavailable } = options.redis;
    const connected = await connection.connect(connectTimeoutMs, failOnUnavailable);
    // Until the bus is subscribed, L1 entries live at most `bus.outageTtl`.
    if (connected) await bus?.waitUntilConnected(Math.max(connectTimeoutMs - (Date.now() - started), 0));
    return connected;
  }

  /** Whether Redis is configured, connected and its breaker closed. */
  get l2Available(): boolean {
    const { connection, guard } = this.#engine;
    return connection?.ready === true && guard?.breakerState === 'closed';
  }

  /** The L2 circuit breaker's state (`undefined` without Redis), for health checks and metrics. */
  get breakerState(): CircuitState | undefined {
    return this.#engine.guard?.breakerState;
  }

  /**
   * Synchronous L1-only lookup: the value of a fresh L1 entry, or {@link CACHE_MISS}. Never
   * touches Redis and allocates nothing on a hit: the hot path of `@Cacheable`, which goes on
   * to load only on a miss.
   */
  peek(key: string, namespace?: string): unknown {
    const engine = this.#engine;
    return engine.l1 === undefined ? CACHE_MISS : engine.peekEntry(engine.keys.entry(key, namespace));
  }

  /** Reads a value; `undefined` on a miss. */
  get<T>(key: string, options: GetOptions = NO_OPTIONS): Promise<T | undefined> {
    // Not an async function (one frame fewer on an L2 hit), so what throws becomes a rejection here.
    try {
      const engine = this.#engine;
      const full = engine.keys.entry(key, options.namespace);
      const local = engine.peekEntry(full);
      if (local !== CACHE_MISS) return Promise.resolve(local as T);
      return engine.readEntry(full, options) as Promise<T | undefined>;
    } catch (error) {
      // What was thrown, unchanged, as an async function would have rejected with it.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error);
    }
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
    const engine = this.#engine;
    const full = engine.keys.entry(key, options.namespace);
    if ((options.earlyRefresh ?? engine.options.reads.earlyRefresh) === false) {
      const local = engine.peekEntry(full);
      if (local !== CACHE_MISS) return local as T;
    }
    return (await engine.loadEntry(full, loader, options as LoadOptions<unknown>)) as T;
  }

  /**
   * Stores a value unconditionally (it wins over loads in flight). `undefined` is not stored.
   * Throws `ValueTooLargeError` when the encoded value is over `maxValueBytes`, after evicting the
   * key (so an older value does not outlive the call), `UncacheableValueError` when it cannot be
   * encoded, `InvalidTtlError` for a bad `ttl`.
   */
  async set<T>(key: string, value: T, options: WriteOptions = {}): Promise<void> {
    if (value === undefined) return;
    await this.#engine.setEncoded(key, value, encodeValue(value, key), options);
  }

  /**
   * Tokens for a value computed outside `getOrLoad` (an HTTP page): take them before computing
   * it, then give them to `set` as {@link WriteOptions.ticket}, so that a change made meanwhile
   * (by any instance) to the entry, its tags or its dependencies keeps the older value out.
   * With Redis, one round trip.
   */
  async writeTicket(key: string, options: ReadOptions = {}): Promise<WriteTicket> {
    return this.#engine.writes.writeTicket(key, options);
  }

  /**
   * Redis time (µs) on the node of `key`'s entry, for {@link WriteOptions.ifUnchangedSince}:
   * take it before changing the source of truth, then write the cache with it. `undefined`
   * without Redis or when Redis fails (then write unconditionally).
   */
  async writeToken(key: string, options: ReadOptions = {}): Promise<number | undefined> {
    const engine = this.#engine;
    return engine.guard?.missToken(engine.keys.entry(key, options.namespace));
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
    return this.#engine.tracker.collect(fn);
  }

  /** Deletes keys; loads in flight for them will not store their result. */
  async delete(keys: string | readonly string[], options?: ReadOptions): Promise<void> {
    await this.#engine.delete(keys, options);
  }

  /** Drops every entry carrying any of `tags`, in O(1) round trips whatever their number. */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    const engine = this.#engine;
    await engine.l2Operation(() => engine.writes.invalidateTags(tags));
  }

  /** Drops every entry of a namespace, in one round trip. */
  async invalidateNamespace(namespace: string): Promise<void> {
    const engine = this.#engine;
    await engine.l2Operation(() => engine.writes.invalidateNamespace(namespace));
  }

  /**
   * Waits for loads in flight (at most `drainTimeoutMs`, so one stuck loader cannot hold shutdown
   * forever; its callers still get its result), then closes the Redis connection Strata owns.
   * Idempotent.
   */
  async close(drainTimeoutMs = 10_000): Promise<void> {
    await this.#engine.close(drainTimeoutMs);
  }
}

/**
 * The engine of `stack`, for Strata's own features (strategies, write-behind, the HTTP cache,
 * `@Cacheable`): not part of the public API.
 */
export function engineOf(stack: CacheStack): Engine {
  return readEngine(stack);
}
