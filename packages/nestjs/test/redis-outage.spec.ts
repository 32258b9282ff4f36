import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Cacheable, CacheEvict, CachePut, CacheService } from '@strata/nestjs';
import { afterEach, describe, expect, it } from 'vitest';
import { closeApps, createApp, uniquePrefix } from './support/app.js';
import { sleep } from './support/deferred.js';
import { useRedisServer } from './support/redis.js';

// Append-only, so what was cached before a crash is still in Redis after the restart.
const redis = useRedisServer({ appendOnly: true });

@Injectable()
class InventoryService {
  readonly stock = new Map<string, number>();
  loads = 0;

  @Cacheable({ key: (sku: string) => `stock:${sku}`, ttl: '5m' })
  async level(sku: string): Promise<{ sku: string; level: number }> {
    this.loads++;
    return { sku, level: this.stock.get(sku) ?? 0 };
  }

  @CachePut({ key: (sku: string) => `stock:${sku}` })
  async restock(sku: string, level: number): Promise<{ sku: string; level: number }> {
    this.stock.set(sku, level);
    return { sku, level };
  }

  @CacheEvict({ keys: (sku: string) => `stock:${sku}` })
  async sell(sku: string): Promise<void> {
    this.stock.set(sku, (this.stock.get(sku) ?? 0) - 1);
  }
}

afterEach(closeApps);

async function inventoryApp(): Promise<{ inventory: InventoryService; cache: CacheService }> {
  const moduleRef = await createApp(
    {
      prefix: uniquePrefix(),
      jitter: 0,
      redis: { url: redis.url, commandTimeout: '200ms' },
      breaker: { breakDuration: '500ms' },
    },
    [InventoryService],
  );
  return { inventory: moduleRef.get(InventoryService), cache: moduleRef.get(CacheService) };
}

/** Runs `call`, asserting it settles within `limitMs`. */
async function timed<T>(call: () => Promise<T>, limitMs = 1_000): Promise<T> {
  const started = performance.now();
  const result = await call();
  const elapsed = performance.now() - started;
  expect(elapsed, `a decorated call took ${Math.round(elapsed)} ms`).toBeLessThan(limitMs);
  return result;
}

/** Polls until two calls in a row run the loader only once (the second is a cache hit). */
async function waitForCaching(inventory: InventoryService, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const sku = `probe-${attempt}`;
    await timed(() => inventory.level(sku));
    const before = inventory.loads;
    await timed(() => inventory.level(sku));
    if (inventory.loads === before) return;
    await sleep(100);
  }
  throw new Error(`caching did not resume within ${timeoutMs} ms`);
}

describe('Redis outage', () => {
  it('answers every decorated call within 1 s while Redis is killed, and caches again after restart', async () => {
    const { inventory, cache } = await inventoryApp();
    inventory.stock.set('apple', 10);
    inventory.stock.set('pear', 5);

    // Cached in Redis before the crash.
    expect(await inventory.level('apple')).toEqual({ sku: 'apple', level: 10 });
    expect(await inventory.level('apple')).toEqual({ sku: 'apple', level: 10 });
    expect(await inventory.level('pear')).toEqual({ sku: 'pear', level: 5 });
    expect(inventory.loads).toBe(2);
    expect(cache.stack.l2Available).toBe(true);

    await redis.server.kill();

    // Every call falls back to the method, each within the bound.
    const loadsAtCrash = inventory.loads;
    for (let i = 0; i < 5; i++) {
      expect(await timed(() => inventory.level('pear'))).toEqual({ sku: 'pear', level: 5 });
      await sleep(50);
    }
    expect(inventory.loads).toBe(loadsAtCrash + 5);
    // Writes and evictions also answer; the eviction is remembered for when Redis is back.
    expect(await timed(() => inventory.restock('plum', 3))).toEqual({ sku: 'plum', level: 3 });
    await timed(() => inventory.sell('apple'));
    expect(await timed(() => inventory.level('apple'))).toEqual({ sku: 'apple', level: 9 });
    const burst = await timed(() =>
      Promise.all(Array.from({ length: 50 }, (_, i) => inventory.level(i % 2 === 0 ? 'apple' : 'pear'))),
    );
    expect(burst.filter((r) => r.sku === 'apple' && r.level === 9)).toHaveLength(25);
    expect(burst.filter((r) => r.sku === 'pear' && r.level === 5)).toHaveLength(25);

    await redis.server.restart();
    await waitForCaching(inventory);

    // The eviction made during the outage was replayed: the 'apple' entry persisted from before
    // the crash (level 10) does not come back.
    expect(await inventory.level('apple')).toEqual({ sku: 'apple', level: 9 });
    const loads = inventory.loads;
    expect(await inventory.level('apple')).toEqual({ sku: 'apple', level: 9 });
    expect(inventory.loads).toBe(loads);
    expect(cache.stack.l2Available).toBe(true);
  });

  it('answers within 1 s while Redis hangs (commands time out, the breaker opens), then caches again', async () => {
    const { inventory } = await inventoryApp();
    inventory.stock.set('fig', 7);
    expect(await inventory.level('fig')).toEqual({ sku: 'fig', level: 7 });

    const pause = redis.server.pause(2_500);
    try {
      for (let i = 0; i < 8; i++) {
        expect(await timed(() => inventory.level(`hang-${i}`))).toEqual({ sku: `hang-${i}`, level: 0 });
      }
      expect(await timed(() => inventory.level('fig'))).toEqual({ sku: 'fig', level: 7 });
    } finally {
      await pause;
    }

    await waitForCaching(inventory);
  });

  it('boots while Redis is down, answers from the method, and uses Redis once it is back', async () => {
    await redis.server.kill();
    const started = performance.now();
    const moduleRef = await createApp(
      {
        prefix: uniquePrefix(),
        jitter: 0,
        redis: { url: redis.url, connectTimeout: '300ms', commandTimeout: '200ms' },
        breaker: { breakDuration: '500ms' },
      },
      [InventoryService],
    );
    expect(performance.now() - started).toBeLessThan(1_000);
    const inventory = moduleRef.get(InventoryService);
    const cache = moduleRef.get(CacheService);
    expect(cache.stack.l2Available).toBe(false);

    expect(await timed(() => inventory.level('kiwi'))).toEqual({ sku: 'kiwi', level: 0 });
    expect(await timed(() => inventory.level('kiwi'))).toEqual({ sku: 'kiwi', level: 0 });
    expect(inventory.loads).toBe(2);

    await redis.server.restart();
    await waitForCaching(inventory);
    expect(cache.stack.l2Available).toBe(true);
  });
});
