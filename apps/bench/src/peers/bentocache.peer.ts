// BentoCache (npm `bentocache`) set up as its multi-tier docs show for production: a memory L1
// (LRU, 10 MB; 1,000 entries when unserialized), Redis as L2 through ioredis, and the Redis bus that keeps the L1 copies of other
// instances in step. Grace periods are off (its default); everything else is its defaults.
import { BentoCache, bentostore, type BentoStore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import type { RedisOptions } from 'ioredis';

/** The version the bench depends on, for method texts. */
export const BENTOCACHE_VERSION = '1.6';

/** How one BentoCache instance is set up. */
export interface BentoPeerOptions {
  readonly url: string;
  /** Key prefix, unique to the run (and shared by the instances that must see each other). */
  readonly prefix: string;
  /** Memory L1 in front of Redis (default `true`); `false` is BentoCache's one-level Redis mode. */
  readonly l1?: boolean;
  /** The Redis bus between L1s (default: on when L1 is). */
  readonly bus?: boolean;
  /**
   * The memory driver's `serialize` (default `true`: L1 keeps the JSON and every hit decodes a
   * fresh copy; `false`: every hit returns the stored object itself).
   */
  readonly serializeL1?: boolean;
}

/** One BentoCache instance: its single store, and how to close it. */
export interface BentoPeer {
  readonly cache: BentoCache<Record<string, BentoStore>>;
  close(): Promise<void>;
}

/** ioredis connection options for a `redis://host:port[/db]` URL. */
export function redisOptionsOf(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.slice(1) || '0');
  return {
    host: parsed.hostname,
    port: Number(parsed.port || '6379'),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    db,
  };
}

/**
 * A BentoCache with one store named after the prefix: its bus channel carries the store's name, so
 * instances with the same prefix hear each other and no other. Connections open on first use.
 */
export function bentoPeer(options: BentoPeerOptions): BentoPeer {
  const connection = redisOptionsOf(options.url);
  const l1 = options.l1 ?? true;
  let store = bentostore();
  if (l1) {
    // A byte bound needs serialized entries; unserialized ones are bounded by count (its default 1,000).
    const serialize = options.serializeL1 ?? true;
    store = store.useL1Layer(memoryDriver(serialize ? { maxSize: '10mb' } : { serialize: false }));
  }
  store = store.useL2Layer(redisDriver({ connection }));
  if (options.bus ?? l1) store = store.useBus(redisBusDriver({ connection }));
  const cache = new BentoCache<Record<string, BentoStore>>({
    default: options.prefix,
    prefix: options.prefix,
    ttl: '10m',
    stores: { [options.prefix]: store },
  });
  return {
    cache,
    close: () => cache.disconnect(),
  };
}
