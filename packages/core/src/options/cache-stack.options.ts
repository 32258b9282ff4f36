import type { CompressionOptions, EncryptionOptions } from './at-rest.options.js';
import type { Cluster, Redis } from 'ioredis';
import type { StrataClock } from '../clock/strata-clock.js';
import type { Duration } from '../duration/duration.js';
import type { LegacyCacheSource } from './legacy-cache.source.js';
import type { ClusterConnectionOptions, SentinelConnectionOptions } from './redis-connection.options.js';
import type { StaleReadStackOptions } from './stale-read.options.js';

/** The in-process (L1) layer. */
export interface L1Options {
  /**
   * Most entries kept; least recently used go first.
   * @default 10_000
   */
  readonly maxEntries?: number;
  /**
   * Most bytes kept, estimated from the encoded value and key sizes.
   * @default 67_108_864 (64 MiB)
   */
  readonly maxBytes?: number;
  /**
   * Upper bound on an L1 entry's life when L1 sits in front of Redis. With the invalidation bus,
   * a safety net (another instance's change reaches L1 through the bus at once); without it
   * (`bus: false`), how long another instance's change may go unseen.
   * @default '1m' with the bus, '10s' without
   */
  readonly ttl?: Duration;
}

/** Cross-instance single-flight: a Redis lease per key being loaded. */
export interface LeaseOptions {
  /**
   * How long a lease lives if its holder stops renewing it (it crashed): the other instances
   * load after that. A live holder renews its lease every third of this while its loader runs.
   * @default '5s'
   */
  readonly ttl?: Duration;
}

/** The invalidation bus: Redis pub/sub that keeps every instance's L1 coherent. */
export interface BusOptions {
  /**
   * Pub/sub channel. Instances that share a Redis and a `prefix` must share it (the default does).
   * @default '<prefix>:bus'
   */
  readonly channel?: string;
  /**
   * Longest life of an L1 entry while the bus is disconnected (other instances' changes cannot
   * reach L1 then; L1 is cleared when the bus drops and when it is back). `0`: L1 is not used at
   * all while the bus is down.
   * @default '1s'
   */
  readonly outageTtl?: Duration;
}

/** The Redis (L2) layer. */
export interface RedisOptions {
  /**
   * `redis://[user:password@]host:port[/db]` or `rediss://…`. Give exactly one of `url`,
   * `client`, `sentinel` and `cluster`: there is no default server, so a `redis` object with none
   * of them (or `url: ''`) fails at boot. Leave `redis` out for a memory-only cache.
   */
  readonly url?: string;
  /** An ioredis client (or `Cluster`) you own; Strata uses it and never closes it. */
  readonly client?: Redis | Cluster;
  /**
   * Connect through Redis Sentinel: `{ sentinels: [{ host, port }], name }`. Strata follows the
   * primary the sentinels name, and reconnects as soon as they announce a failover.
   */
  readonly sentinel?: SentinelConnectionOptions;
  /**
   * Connect to a Redis Cluster: `{ nodes: [{ host, port }] }` (some startup nodes; the rest are
   * discovered). Keys, tags, the bus, leases and the write-behind journal are slot-safe.
   */
  readonly cluster?: ClusterConnectionOptions;
  /**
   * Bound on the Redis time of one cache operation, all its commands together (a `getOrLoad`'s
   * read, token, lease and write; a `delete`'s marker, dependency time and bus announcement);
   * past it the call falls back to the loader. The loader's own time does not count.
   * @default '250ms'
   */
  readonly commandTimeout?: Duration;
  /**
   * How long boot waits for Redis before starting without it.
   * @default '2s'
   */
  readonly connectTimeout?: Duration;
  /**
   * Fail at boot when Redis does not answer within `connectTimeout`, instead of starting with
   * L2 skipped and using Redis once it answers.
   * @default false
   */
  readonly failOnUnavailable?: boolean;
}

/** The circuit breaker in front of Redis. */
export interface BreakerOptions {
  /**
   * Consecutive Redis failures that open the breaker (L2 is then skipped).
   * @default 3
   */
  readonly failureThreshold?: number;
  /**
   * How long L2 is skipped before one trial command.
   * @default '5s'
   */
  readonly breakDuration?: Duration;
}

/**
 * Options of a `CacheStack` (and of `StrataModule.forRoot`).
 *
 * @example
 * ```ts
 * { prefix: 'shop', ttl: '5m', redis: process.env.REDIS_URL ? { url: process.env.REDIS_URL } : undefined }
 * ```
 */
// Stale reads (grace, staleWhileRevalidate, softTimeout, hardTimeout, earlyRefresh, graceRetry)
// come from StaleReadStackOptions: see stale-read.options.ts and docs/reads.md.
export interface CacheStackOptions extends StaleReadStackOptions {
  /**
   * Prefix of every key, so apps can share a Redis. Letters, digits, `_`, `.`, `-`.
   * @default 'strata'
   */
  readonly prefix?: string;
  /**
   * Default time to live: milliseconds or a duration string (`'30s'`, `'5m'`), at most 365 days
   * (`MAX_TTL_MS`), like every lifetime option.
   * @default '5m'
   */
  readonly ttl?: Duration;
  /**
   * Time to live of cached `null` results (kept short against cache penetration; capped at `ttl`).
   * @default '1m'
   */
  readonly nullTtl?: Duration;
  /**
   * Random spread of TTLs, as a fraction: 0.1 gives ±10 %, so keys written together do not
   * expire together.
   * @default 0.1
   */
  readonly jitter?: number;
  /**
   * Longest entry key in characters; longer keys end in a SHA-256 hash instead.
   * @default 512
   */
  readonly maxKeyLength?: number;
  /**
   * Largest value stored, in UTF-8 bytes of its encoded form (before any compression or
   * encryption), checked before any Redis call: a larger value would time out its write and open
   * the breaker for every key. A load's larger result is returned uncached (event
   * `value:too-large`); a `set` of one evicts the key and throws `ValueTooLargeError`. At most
   * 512 MiB.
   * @default 4_194_304 (4 MiB)
   */
  readonly maxValueBytes?: number;
  /**
   * Return the stored object itself, deep-frozen, instead of a fresh copy per read. Faster
   * (no decode per hit), but callers must not mutate (frozen objects throw in strict mode;
   * `Map`/`Set` contents cannot be frozen and must be treated as read-only).
   * @default false
   */
  readonly shareReferences?: boolean;
  /**
   * Compression of large values in Redis and in write-behind journals (raw DEFLATE, base64);
   * `false` turns it off. See docs/values-at-rest.md.
   * @default { threshold: 8192 }
   */
  readonly compression?: CompressionOptions | false;
  /**
   * Encryption of sensitive entries in Redis and in write-behind journals (AES-256-GCM): which
   * master keys, which one new writes use, which namespaces are sensitive. Absent: no entry can be
   * sensitive (a call that asks for it throws). See docs/security.md.
   * @default undefined
   */
  readonly encryption?: EncryptionOptions;
  /**
   * The in-process layer. Without `redis` it is the store and is always on. With `redis`, it
   * sits in front of Redis, kept coherent across instances by the bus; `false` turns it off.
   * With `bus: false` it is off unless given (another instance's writes would then reach it
   * only when its entries expire, after `l1.ttl`).
   * @default { maxEntries: 10_000, maxBytes: 64 MiB }
   */
  readonly l1?: L1Options | false;
  /** The Redis layer; absent means memory only. */
  readonly redis?: RedisOptions;
  /**
   * The invalidation bus (with `redis` only): every set, delete and invalidation drops the L1
   * copies of every other instance. `false` turns it off.
   * @default {} (on) with redis
   */
  readonly bus?: BusOptions | false;
  /**
   * Cross-instance single-flight (with `redis` only): on a miss, one instance loads under a
   * lease while the others wait for its value. `false` turns it off.
   * @default {} (on) with redis
   */
  readonly lease?: LeaseOptions | false;
  /** The circuit breaker in front of Redis. */
  readonly breaker?: BreakerOptions;
  /**
   * How long a delete keeps loads that began before it from storing their (older) result.
   * Should exceed your slowest loader.
   * @default '1m'
   */
  readonly tombstoneTtl?: Duration;
  /**
   * Dependency tracking (docs/dependencies.md): inside `CacheStack.trackDependencies` (the HTTP
   * cache runs each handler in it), every key and tag read through the stack is recorded, and an
   * entry computed there (a page, a cached method that called other cached methods) depends on
   * them: changing or deleting one of those keys, or invalidating one of those tags, drops it.
   * For that, `set` and `delete` record when each key changed (with Redis: one more command per
   * call, and a small key in the tags slot that lives `dependencyTtl` or as long as a dependent
   * entry). `false` turns both off: `trackDependencies` then records nothing.
   * @default true
   */
  readonly dependencies?: boolean;
  /**
   * How long the time of a key's last change is kept in Redis when no entry depends on the key
   * yet. It must exceed the longest computation that reads the key before storing a dependent
   * entry (a handler, a loader); past that, a change during such a computation can be missed.
   * @default '10m'
   */
  readonly dependencyTtl?: Duration;
  /**
   * A cache this one replaces during a rolling deploy, so the new fleet does not start cold: a
   * `getOrLoad` that misses in Redis first reads the legacy entry of its key and, when there is one,
   * stores it as a Strata entry (for at most the legacy entry's remaining life and the call's
   * `ttl`) instead of running the loader. Off the hot path: hits never touch it. A legacy entry
   * that cannot be read or decoded is a miss. Needs `redis`. See
   * docs/migrating-from-cache-manager.md for what is and is not carried over.
   * @default undefined (no migration)
   * @example `migrateFrom: legacyCacheManagerSource({ client })`
   */
  readonly migrateFrom?: LegacyCacheSource;
  /**
   * Time source, for tests: entry freshness, L1 expiry and lease waits read it.
   * @default `Date.now` (read at each call, so fake timers apply)
   */
  readonly clock?: StrataClock;
}
