// Scenario 8's child: one "instance" of an app on a shared Redis, holding three caches side by
// side (each under its own prefix), and starting many concurrent loads of one cold key on command.
import { CacheStack } from '@strata/core';
import { caching, type Cache } from 'cache-manager-v5';
import { redisInsStore, type RedisStore } from 'cache-manager-ioredis-yet';
import { Redis } from 'ioredis';
import { makeValue, VALUE_JSON, type Product } from '../value.js';
import { wallClockMs } from './protocol.js';
import { serve } from './serve.js';
import { engineOf } from '@strata/core/internal';
import { bentoPeer, type BentoPeer } from '../peers/bentocache.peer.js';
import { cacheablePeer, type CacheablePeer } from '../peers/cacheable.peer.js';

/**
 * The caches compared: Strata with its defaults (lease on), Strata with `lease: false`,
 * cache-manager `wrap`, BentoCache `getOrSet` and cacheable `getOrSet` (as their docs recommend).
 */
export type LoadSubject = 'strata' | 'strata-no-lease' | 'cache-manager' | 'bentocache' | 'cacheable';

/** What one child did for one `load` command. */
export interface LoadReport {
  /** Loader runs in this process. */
  readonly runs: number;
  /** Calls whose result was not the value. */
  readonly wrong: number;
  /** `l2:error` events of the Strata stacks during the calls. */
  readonly l2Errors: number;
  /** When this process started its calls and when the last one resolved (wall clock, ms). */
  readonly startedAt: number;
  readonly endedAt: number;
}

export type LoadCommands = {
  /** Connects the caches; keys under `<prefix>-lease`, `-nolease`, `-cm:`, `-bento`, `-cacheable`. */
  init(url: string, prefix: string): void;
  /** Starts `calls` concurrent loads of `key` (a loader taking `delayMs`) and waits for all. */
  load(subject: LoadSubject, key: string, calls: number, delayMs: number): LoadReport;
};

const TTL_MS = 600_000;
let strata: CacheStack | undefined;
let noLease: CacheStack | undefined;
let manager: Cache<RedisStore> | undefined;
let cmPrefix = '';
let bento: BentoPeer | undefined;
let cacheable: CacheablePeer | undefined;
let l2Errors = 0;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function connect(stack: CacheStack): Promise<CacheStack> {
  stack.events.on('l2:error', () => l2Errors++);
  await stack.connect();
  if (engineOf(stack).bus?.connected !== true) throw new Error('the invalidation bus did not connect');
  return stack;
}

await serve<LoadCommands>(
  {
    async init(url, prefix) {
      const redis = { url, failOnUnavailable: true };
      strata = await connect(new CacheStack({ prefix: `${prefix}-lease`, redis }));
      noLease = await connect(new CacheStack({ prefix: `${prefix}-nolease`, redis, lease: false }));
      const client = new Redis(url, { lazyConnect: true });
      await client.connect();
      manager = await caching(redisInsStore(client, { ttl: TTL_MS }));
      cmPrefix = `${prefix}-cm:`;
      bento = bentoPeer({ url, prefix: `${prefix}-bento` });
      cacheable = cacheablePeer({ url, namespace: `${prefix}-cacheable` });
      await cacheable.connect();
    },
    async load(subject, key, calls, delayMs) {
      let runs = 0;
      const loader = async (): Promise<Product> => {
        runs++;
        await sleep(delayMs);
        return makeValue();
      };
      const call = (): Promise<Product> => {
        if (subject === 'cache-manager') return must(manager).wrap(cmPrefix + key, loader, TTL_MS);
        if (subject === 'bentocache')
          return must(bento).cache.getOrSet({ key, factory: loader, ttl: TTL_MS });
        if (subject === 'cacheable')
          return must(cacheable).cache.getOrSet(key, loader, { ttl: TTL_MS }) as Promise<Product>;
        return must(subject === 'strata' ? strata : noLease).getOrLoad(key, loader, { ttl: TTL_MS });
      };
      const errorsBefore = l2Errors;
      const startedAt = wallClockMs();
      const results = await Promise.all(Array.from({ length: calls }, call));
      const endedAt = wallClockMs();
      const wrong = results.filter((value) => JSON.stringify(value) !== VALUE_JSON).length;
      return { runs, wrong, l2Errors: l2Errors - errorsBefore, startedAt, endedAt };
    },
  },
  async () => {
    await strata?.close();
    await noLease?.close();
    await manager?.store.client.quit();
    await bento?.close();
    await cacheable?.close();
  },
);

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('not initialized: call init first');
  return value;
}
