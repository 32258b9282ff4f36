// The peers' L1 hits with Redis and their bus configured, for scenario 10: BentoCache and
// cacheable as their docs recommend (a fresh copy per hit), and each with its shared-object
// setting (BentoCache's memory driver `serialize: false`, cacheable's `useClone: false`).
import { isDeepStrictEqual } from 'node:util';
import { alternateBatches, type BatchOptions, type Subject } from '../measure.js';
import type { BenchRedis } from '../redis.js';
import { makeValue } from '../value.js';
import { bentoPeer, type BentoPeer } from './bentocache.peer.js';
import { cacheablePeer, type CacheablePeer } from './cacheable.peer.js';

export const BENTO_L1_COPY = 'BentoCache get (L1 + Redis + bus)';
export const BENTO_L1_SHARED = 'BentoCache get (L1 + Redis + bus, serialize: false)';
export const CACHEABLE_L1_COPY = 'cacheable get (L1 + Redis + sync)';
export const CACHEABLE_L1_SHARED = 'cacheable get (L1 + Redis + sync, useClone: false)';

/**
 * Fewer calls and rounds than the Strata rows: a peer's hit costs up to several times Strata's,
 * and scenario 10 must stay short.
 */
export const L1_PEERS_BATCH: BatchOptions = { calls: 1_000, rounds: 10, warmupRounds: 2 };

/** How the L1 peers are configured, for method texts. */
export const L1_PEERS_METHOD =
  "Peers, reading the same key already in their L1: BentoCache with a memory L1 (its default `serialize: true`: it keeps the entry's JSON and decodes a fresh copy per hit), Redis L2 and the Redis bus; cacheable with its default memory primary (a `structuredClone` per hit), @keyv/redis as secondary (`createKeyvNonBlocking`, `nonBlocking: true`) and CacheableSync over Redis pub/sub; and each with its shared-object setting (BentoCache's memory driver with `serialize: false`, cacheable's primary with `useClone: false`: every hit returns the stored object), compared with the shareReferences pair. " +
  `The peers are measured after the Strata rows, alternating with the two memory-only stacks again (their ratios are to that run), in ${L1_PEERS_BATCH.rounds} rounds of ${L1_PEERS_BATCH.calls.toLocaleString('en-US')} calls after ${L1_PEERS_BATCH.warmupRounds} warm-up rounds.` +
  " A peer's copy is no more isolated than Strata's: BentoCache's JSON round trip and cacheable's structuredClone both give the caller an object of its own.";

/** The four peer subjects, each primed (value stored, read once) and checked. */
export interface L1Peers {
  readonly subjects: readonly Subject[];
  /** Alternates the peers with `baselines` (measured again), in {@link L1_PEERS_BATCH}. */
  measure(baselines: readonly Subject[]): Promise<Map<string, number[]>>;
  close(): Promise<void>;
}

/** BentoCache and cacheable with L1 in front of Redis, under `<prefix>-s10-…`. */
export async function l1Peers(redis: BenchRedis): Promise<L1Peers> {
  const base = `${redis.prefix}-s10`;
  const bentos: [string, BentoPeer][] = [
    [BENTO_L1_COPY, bentoPeer({ url: redis.url, prefix: `${base}-bento` })],
    [BENTO_L1_SHARED, bentoPeer({ url: redis.url, prefix: `${base}-bento-shared`, serializeL1: false })],
  ];
  const cacheables: [string, CacheablePeer][] = [
    [CACHEABLE_L1_COPY, cacheablePeer({ url: redis.url, namespace: `${base}-cacheable` })],
    [
      CACHEABLE_L1_SHARED,
      cacheablePeer({ url: redis.url, namespace: `${base}-cacheable-shared`, primary: 'shared' }),
    ],
  ];
  const close = async (): Promise<void> => {
    await Promise.allSettled([...bentos, ...cacheables].map(([, peer]) => peer.close()));
  };
  try {
    const subjects: Subject[] = [];
    for (const [name, peer] of bentos) {
      await peer.cache.set({ key: 'product', value: makeValue(), ttl: '10m' });
      subjects.push({ name, run: () => peer.cache.get({ key: 'product' }) });
    }
    for (const [name, peer] of cacheables) {
      await peer.connect();
      await peer.cache.set('product', makeValue(), '10m');
      subjects.push({ name, run: () => peer.cache.get('product') });
    }
    for (const subject of subjects) {
      if (!isDeepStrictEqual(await subject.run(), makeValue()))
        throw new Error(`${subject.name}: the value differs`);
    }
    return {
      subjects,
      measure: (baselines) => alternateBatches([...baselines, ...subjects], L1_PEERS_BATCH),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
