// cacheable (npm `cacheable`, Keyv's layered cache) set up as its README recommends for Redis:
// the default in-memory primary (`@cacheable/memory` through Keyv), `@keyv/redis` as the
// secondary made with `createKeyvNonBlocking`, `nonBlocking: true`, and CacheableSync over Redis
// pub/sub (`@qified/redis`) so the primaries of other instances follow sets and deletes.
import { RedisMessageProvider } from '@qified/redis';
import { createKeyv, createKeyvNonBlocking } from '@keyv/redis';
import { Cacheable, Keyv, createKeyv as createMemoryKeyv } from 'cacheable';

/** The version the bench depends on, for method texts. */
export const CACHEABLE_VERSION = '2.5';

/** How one `Cacheable` instance is set up. */
export interface CacheablePeerOptions {
  readonly url: string;
  /** Namespace of its keys and of its sync channels, unique to the run. */
  readonly namespace: string;
  /**
   * The primary (L1): `copy` is the default in-memory store, which returns a `structuredClone`
   * per hit; `shared` the same store with `useClone: false`; `none` a primary that keeps nothing,
   * so every read goes to Redis (for L2 measurements).
   */
  readonly primary?: 'copy' | 'shared' | 'none';
  /**
   * The README's recommended `nonBlocking: true` (default) with `createKeyvNonBlocking`: a set
   * resolves once the primary has the value, Redis is written in the background, and a get that
   * misses the primary returns `undefined` while Redis is read in the background. `false`: every
   * set and get waits for Redis.
   */
  readonly nonBlocking?: boolean;
  /** CacheableSync over Redis pub/sub (default `true`). */
  readonly sync?: boolean;
}

/** One `Cacheable` instance, and how to close it. */
export interface CacheablePeer {
  readonly cache: Cacheable;
  /** `error` events so far (with `nonBlocking`, failed background writes to Redis land here). */
  errors(): number;
  /**
   * Opens its Redis connections, which it otherwise opens on first use: with the non-blocking
   * client (no offline queue), the writes sent while the connection opens would fail.
   */
  connect(): Promise<void>;
  close(): Promise<void>;
}

/** A Keyv `Map` store that keeps nothing: every read misses. */
class NothingMap<K, V> extends Map<K, V> {
  override set(): this {
    return this;
  }
}

/** A `Cacheable` on Redis; its connections open on first use. */
export function cacheablePeer(options: CacheablePeerOptions): CacheablePeer {
  const nonBlocking = options.nonBlocking ?? true;
  const secondary = nonBlocking ? createKeyvNonBlocking(options.url) : createKeyv(options.url);
  const primaryKind = options.primary ?? 'copy';
  const primary =
    primaryKind === 'none'
      ? new Keyv({ store: new NothingMap<string, unknown>() })
      : createMemoryKeyv({ useClone: primaryKind === 'copy' });
  const provider = (options.sync ?? true) ? new RedisMessageProvider({ uri: options.url }) : undefined;
  const cache = new Cacheable({
    primary,
    secondary,
    nonBlocking,
    namespace: options.namespace,
    ...(provider ? { sync: { qified: provider } } : {}),
  });
  let errors = 0;
  cache.on('error', () => errors++);
  return {
    cache,
    errors: () => errors,
    async connect() {
      await cache.get('connect', { nonBlocking: false });
      await provider?.connect();
    },
    close: () => cache.disconnect(),
  };
}
