import type { Cluster, Redis } from 'ioredis';
import type { Duration } from '../duration/duration.js';

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
   * Upper bound on an L1 entry's life when L1 sits in front of Redis, so another instance's
   * change is seen within this time (until the invalidation bus exists).
   * @default '10s'
   */
  readonly ttl?: Duration;
}

/** The Redis (L2) layer. */
export interface RedisOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. Ignored when `client` is given. */
  readonly url?: string;
  /** An ioredis client (or `Cluster`) you own; Strata uses it and never closes it. */
  readonly client?: Redis | Cluster;
  /**
   * Bound on every Redis command; past it the call falls back to the loader.
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
 * { prefix: 'shop', ttl: '5m', redis: { url: process.env.REDIS_URL } }
 * ```
 */
export interface CacheStackOptions {
  /**
   * Prefix of every key, so apps can share a Redis. Letters, digits, `_`, `.`, `-`.
   * @default 'strata'
   */
  readonly prefix?: string;
  /**
   * Default time to live: milliseconds or a duration string (`'30s'`, `'5m'`).
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
   * Return the stored object itself, deep-frozen, instead of a fresh copy per read. Faster
   * (no decode per hit), but callers must not mutate (frozen objects throw in strict mode;
   * `Map`/`Set` contents cannot be frozen and must be treated as read-only).
   * @default false
   */
  readonly shareReferences?: boolean;
  /**
   * The in-process layer. Without `redis` it is the store and is always on. With `redis`, it
   * sits in front of Redis only when given (off by default until the invalidation bus exists,
   * since another instance's writes would not reach it); `false` turns it off.
   * @default { maxEntries: 10_000, maxBytes: 64 MiB } without redis; off with redis
   */
  readonly l1?: L1Options | false;
  /** The Redis layer; absent means memory only. */
  readonly redis?: RedisOptions;
  /** The circuit breaker in front of Redis. */
  readonly breaker?: BreakerOptions;
  /**
   * How long a delete keeps loads that began before it from storing their (older) result.
   * Should exceed your slowest loader.
   * @default '1m'
   */
  readonly tombstoneTtl?: Duration;
}
