// The peers' Redis-only reads and writes, for the L2 scenarios (3, 4, and the large values): each
// peer on its own connections and prefix, its value written through its own `set`.
import type { Subject } from '../measure.js';
import type { BenchRedis } from '../redis.js';
import { bentoPeer, type BentoPeer } from './bentocache.peer.js';
import { cacheablePeer, type CacheablePeer } from './cacheable.peer.js';

/** Subject names of the peers' L2 reads. */
export const BENTO_L2_GET = 'BentoCache get (L2 only)';
export const CACHEABLE_L2_GET = 'cacheable get (L2 only)';

/** What the L2 peers read and write, set up once per scenario. */
export interface L2Peers {
  readonly bento: BentoPeer;
  readonly cacheable: CacheablePeer;
  close(): Promise<void>;
}

/** How the L2 peers are configured, for method texts. */
export const L2_PEERS_METHOD =
  'Peers: BentoCache with Redis as its only layer (its one-level mode: `bentostore().useL2Layer(redisDriver(...))`, no L1, no bus), and cacheable with a primary that keeps nothing and `nonBlocking: false`, so that every get reads @keyv/redis (with its recommended `nonBlocking: true`, a get that misses the primary returns undefined and reads Redis in the background), no sync.';

/** BentoCache and cacheable with Redis as their only layer, under `<prefix>-<tag>-bento` / `-cacheable`. */
export function l2Peers(redis: BenchRedis, tag: string): L2Peers {
  const bento = bentoPeer({ url: redis.url, prefix: `${redis.prefix}-${tag}-bento`, l1: false });
  const cacheable = cacheablePeer({
    url: redis.url,
    namespace: `${redis.prefix}-${tag}-cacheable`,
    primary: 'none',
    nonBlocking: false,
    sync: false,
  });
  return {
    bento,
    cacheable,
    async close() {
      await Promise.allSettled([bento.close(), cacheable.close()]);
    },
  };
}

/** Writes `value` under `key` through each peer and returns their reads of it. */
export async function l2PeerReads(peers: L2Peers, key: string, value: unknown): Promise<Subject[]> {
  await peers.cacheable.connect();
  await peers.bento.cache.set({ key, value, ttl: '10m' });
  if (!(await peers.cacheable.cache.set(key, value, '10m'))) throw new Error('cacheable: set failed');
  return [
    { name: BENTO_L2_GET, run: () => peers.bento.cache.get({ key }) },
    { name: CACHEABLE_L2_GET, run: () => peers.cacheable.cache.get(key) },
  ];
}
