// Scenario 9's child: an instance with a CacheStack on the shared Redis (defaults: L1 and the
// invalidation bus on), acting as the writer (sets, deletes, raw PUBLISHes) or as a reader that
// records, on its own clock, when each watched key leaves its L1.
import { CacheStack } from '@strata/core';
import { CACHE_MISS } from '@strata/core/internal';
import { Redis } from 'ioredis';
import { makeValue } from '../value.js';
import { wallClockMs } from './protocol.js';
import { serve } from './serve.js';
import { engineOf } from '@strata/core/internal';
import { bentoPeer, type BentoPeer } from '../peers/bentocache.peer.js';
import { cacheablePeer, type CacheablePeer } from '../peers/cacheable.peer.js';

/**
 * How the writer changes a key: Strata `set` or `delete`, a raw ioredis `PUBLISH` of the key, or
 * a peer's `set` / `delete` (BentoCache, cacheable).
 */
export type WriteOp =
  'set' | 'delete' | 'publish' | 'bento-set' | 'bento-delete' | 'cacheable-set' | 'cacheable-delete';

/** The peer a write op goes through, if any. */
export function peerOf(op: WriteOp): 'bento' | 'cacheable' | undefined {
  if (op.startsWith('bento-')) return 'bento';
  return op.startsWith('cacheable-') ? 'cacheable' : undefined;
}

/** One write as the writer timed it (wall clock, ms). */
export interface TimedWrite {
  readonly key: string;
  /** Just before the call. */
  readonly start: number;
  /** When the call resolved. */
  readonly end: number;
}

export type BusCommands = {
  /** Connects the stack (prefix shared by all instances) and two plain clients for the raw baseline. */
  init(url: string, prefix: string, rawChannel: string): void;
  /** Writer: stores every key through `peer` or Strata (its set also announces them on the bus). */
  fill(keys: readonly string[], peer?: 'bento' | 'cacheable'): void;
  /** Reader: reads every key from Redis into L1, and watches them; returns how many are in L1. */
  prime(keys: readonly string[], peer?: 'bento' | 'cacheable'): number;
  /** Reader: watches raw messages carrying these keys. */
  watchRaw(keys: readonly string[]): void;
  /** Writer: one op per key, sequential, `gapMs` apart. */
  write(op: WriteOp, keys: readonly string[], gapMs: number): TimedWrite[];
  /** Reader: when each watched key was seen dropped (or its raw message arrived), then stops watching. */
  collect(): [string, number][];
  /** This process's wall clock, for the parent's offset estimate. */
  clock(): number;
};

let stack: CacheStack | undefined;
let bento: BentoPeer | undefined;
let cacheable: CacheablePeer | undefined;
let publisher: Redis | undefined;
let subscriber: Redis | undefined;
let channel = '';
let l2Errors = 0;
/** Full entry key or raw key -> key as the parent named it, for the keys watched now. */
const watched = new Map<string, string>();
const seen = new Map<string, number>();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('not initialized: call init first');
  return value;
}

await serve<BusCommands>(
  {
    async init(url, prefix, rawChannel) {
      const created = new CacheStack({ prefix, redis: { url, failOnUnavailable: true } });
      stack = created;
      created.events.on('l2:error', () => l2Errors++);
      await created.connect();
      const l1 = engineOf(created).l1;
      if (l1 === undefined || engineOf(created).bus?.connected !== true)
        throw new Error('expected L1 and a connected bus');
      // The moment the bus handler drops a remote key from L1: wrap the layer's deleteRemote (the
      // bus's only way into L1 for keys) and check, right after it, that peek now misses.
      const deleteRemote = l1.deleteRemote.bind(l1);
      l1.deleteRemote = (keys: readonly string[]): void => {
        deleteRemote(keys);
        const at = wallClockMs();
        for (const full of keys) {
          const key = watched.get(full);
          if (key !== undefined && !seen.has(key) && engineOf(created).peekEntry(full) === CACHE_MISS)
            seen.set(key, at);
        }
      };
      channel = rawChannel;
      publisher = new Redis(url, { lazyConnect: true });
      await publisher.connect();
      subscriber = new Redis(url, { lazyConnect: true });
      await subscriber.connect();
      subscriber.on('message', (from: string, key: string) => {
        const at = wallClockMs();
        if (from === channel && watched.get(key) === key && !seen.has(key)) seen.set(key, at);
      });
      await subscriber.subscribe(rawChannel);
      await initPeers(url, prefix);
    },
    async fill(keys, peer) {
      const value = makeValue();
      await Promise.all(
        keys.map(async (key) => {
          if (peer === 'bento') await must(bento).cache.set({ key, value, ttl: '10m' });
          else if (peer === 'cacheable') await must(cacheable).cache.set(key, value, '10m');
          else await must(stack).set(key, value, { ttl: '10m' });
        }),
      );
    },
    async prime(keys, peer) {
      if (peer !== undefined) return primePeer(keys, peer);
      const s = must(stack);
      let inL1 = 0;
      for (const key of keys) {
        if ((await s.get(key)) === undefined) throw new Error(`prime: "${key}" is not in Redis`);
        if (s.peek(key) !== CACHE_MISS) inL1++;
        watched.set(engineOf(s).keys.entry(key), key);
      }
      return inL1;
    },
    watchRaw(keys) {
      for (const key of keys) watched.set(key, key);
    },
    async write(op, keys, gapMs) {
      const s = must(stack);
      const pub = must(publisher);
      const value = makeValue();
      const timed: TimedWrite[] = [];
      const errorsBefore = l2Errors;
      for (const key of keys) {
        const start = wallClockMs();
        if (op === 'set') await s.set(key, value, { ttl: '10m' });
        else if (op === 'delete') await s.delete(key);
        else if (op === 'publish') await pub.publish(channel, key);
        else await writePeer(op, key, value);
        timed.push({ key, start, end: wallClockMs() });
        await sleep(gapMs);
      }
      if (l2Errors > errorsBefore) throw new Error(`${l2Errors - errorsBefore} L2 errors while writing`);
      return timed;
    },
    collect() {
      const result = [...seen];
      seen.clear();
      watched.clear();
      return result;
    },
    clock: () => wallClockMs(),
  },
  async () => {
    await stack?.close();
    await publisher?.quit();
    await subscriber?.quit();
    await bento?.close();
    await cacheable?.close();
  },
);

/** Watched-key marker of a peer's key, kept apart from Strata's full keys and raw keys. */
const peerKey = (peer: 'bento' | 'cacheable', key: string): string => `${peer}\u0000${key}`;

/**
 * BentoCache (memory L1, Redis L2, Redis bus) and cacheable (memory primary, @keyv/redis,
 * `nonBlocking: true`, CacheableSync) as their docs recommend, with what each reader records:
 * for BentoCache, its `bus:message:received` event, which it emits synchronously just before its
 * handler expires (a set) or deletes (a delete) the keys in L1; for cacheable, the end of the
 * sync handler's write to the primary (the new value stored, or the key deleted), by wrapping
 * the primary Keyv's `set` and `delete`.
 */
async function initPeers(url: string, prefix: string): Promise<void> {
  const b = bentoPeer({ url, prefix: `${prefix}-bento` });
  bento = b;
  b.cache.on('bus:message:received', ({ message }: { message: { keys: string[] } }) => {
    const at = wallClockMs();
    for (const key of message.keys) {
      const marked = peerKey('bento', key);
      if (watched.has(marked) && !seen.has(key)) seen.set(key, at);
    }
  });
  const c = cacheablePeer({ url, namespace: `${prefix}-cacheable` });
  cacheable = c;
  const primary = c.cache.primary;
  const record = (key: string): void => {
    const at = wallClockMs();
    if (watched.has(peerKey('cacheable', key)) && !seen.has(key)) seen.set(key, at);
  };
  const set = primary.set.bind(primary);
  const del = primary.delete.bind(primary);
  primary.set = (async (key: string, value: unknown, ttl?: number) => {
    const done = await set(key, value, ttl);
    record(key);
    return done;
  }) as typeof primary.set;
  primary.delete = (async (key: string | string[]) => {
    const done = await del(key as string);
    if (typeof key === 'string') record(key);
    return done;
  }) as typeof primary.delete;
  // Both connect on first use and subscribe in the background: connect, then give the subscriptions time.
  await b.cache.get({ key: 'connect' });
  await c.connect();
  await sleep(200);
}

async function primePeer(keys: readonly string[], peer: 'bento' | 'cacheable'): Promise<number> {
  let inL1 = 0;
  for (const key of keys) {
    if (peer === 'bento') {
      if ((await must(bento).cache.get({ key })) === undefined)
        throw new Error(`prime: "${key}" is not in Redis`);
      inL1++; // BentoCache has no L1-only read: a hit from Redis is stored in L1 before it returns.
    } else {
      const c = must(cacheable).cache;
      if ((await c.get(key, { nonBlocking: false })) === undefined)
        throw new Error(`prime: "${key}" is not in Redis`);
      if ((await c.primary.get(key)) !== undefined) inL1++;
    }
    watched.set(peerKey(peer, key), key);
  }
  return inL1;
}

async function writePeer(op: WriteOp, key: string, value: unknown): Promise<void> {
  if (op === 'bento-set') await must(bento).cache.set({ key, value, ttl: '10m' });
  else if (op === 'bento-delete') await must(bento).cache.delete({ key });
  else if (op === 'cacheable-set') await must(cacheable).cache.set(key, value, '10m');
  else if (op === 'cacheable-delete') await must(cacheable).cache.delete(key);
}
