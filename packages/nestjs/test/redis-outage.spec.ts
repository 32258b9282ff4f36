import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Cacheable, CacheEvict, CachePut, CacheService } from '@strata/nestjs';
import { afterEach, describe, expect, it } from 'vitest';
import { closeApps, createApp, RecordingLogger, uniquePrefix } from './support/app.js';
import { deferred, sleep, waitFor, type Deferred } from './support/deferred.js';
import { useRedisServer } from './support/redis.js';

// Append-only, so what was cached before a crash is still in Redis after the restart.
const redis = useRedisServer({ appendOnly: true });

@Injectable()
class InventoryService {
  readonly stock = new Map<string, number>();
  loads = 0;
  /** When set, loads of the SKU 'slow' wait for it. */
  gate: Deferred<void> | undefined;

  @Cacheable({ key: (sku: string) => `stock:${sku}`, ttl: '5m' })
  async level(sku: string): Promise<{ sku: string; level: number }> {
    this.loads++;
    const level = this.stock.get(sku) ?? 0;
    if (sku === 'slow') await this.gate?.promise;
    return { sku, level };
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

const gates: Deferred<void>[] = [];

afterEach(async () => {
  for (const gate of gates.splice(0)) gate.resolve();
  await closeApps();
});

async function inventoryApp(
  logger?: RecordingLogger,
): Promise<{ inventory: InventoryService; cache: CacheService }> {
  const moduleRef = await createApp(
    {
      prefix: uniquePrefix(),
      jitter: 0,
      // L1 off: these tests count loader runs against Redis alone (L1 under outages: the bus tests).
      l1: false,
      redis: { url: redis.url, commandTimeout: '200ms' },
      breaker: { breakDuration: '500ms' },
    },
    [InventoryService],
    { logger },
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

    // Calls keep coming while Redis dies, and one is in flight across the crash.
    inventory.gate = deferred();
    const gate = inventory.gate;
    gates.push(gate);
    const inFlight = inventory.level('slow');
    await waitFor(() => inventory.loads === 3, 2_000, 'the slow call to start');
    const durations: number[] = [];
    let running = true;
    const traffic = (async () => {
      for (let i = 0; running; i++) {
        const sku = i % 2 === 0 ? 'pear' : `mid-${i}`;
        const started = performance.now();
        const result = await inventory.level(sku);
        durations.push(performance.now() - started);
        expect(result).toEqual({ sku, level: sku === 'pear' ? 5 : 0 });
        await sleep(5);
      }
    })();
    // Some calls before the crash, then a stream of them through it (the breaker opens meanwhile).
    await waitFor(() => durations.length >= 5, 2_000, 'calls before the crash');
    await redis.server.kill();
    const atCrash = durations.length;
    await waitFor(() => durations.length >= atCrash + 20, 10_000, 'calls during the outage');
    running = false;
    await traffic;
    expect(durations.length).toBeGreaterThan(20);
    expect(Math.max(...durations)).toBeLessThan(1_000);
    gate.resolve();
    expect(await timed(() => inFlight)).toEqual({ sku: 'slow', level: 0 });

    // Every call falls back to the method, each within the bound.
    const loadsAtCrash = inventory.loads;
    for (let i = 0; i < 5; i++) {
      expect(await timed(() => inventory.level('pear'))).toEqual({ sku: 'pear', level: 5 });
      await sleep(50);
    }
    expect(inventory.loads).toBe(loadsAtCrash + 5);
    // Writes and evictions also answer; both are remembered for when Redis is back.
    expect(await timed(() => inventory.restock('pear', 6))).toEqual({ sku: 'pear', level: 6 });
    await timed(() => inventory.sell('apple'));
    expect(await timed(() => inventory.level('apple'))).toEqual({ sku: 'apple', level: 9 });
    const burst = await timed(() =>
      Promise.all(Array.from({ length: 50 }, (_, i) => inventory.level(i % 2 === 0 ? 'apple' : 'pear'))),
    );
    expect(burst.filter((r) => r.sku === 'apple' && r.level === 9)).toHaveLength(25);
    expect(burst.filter((r) => r.sku === 'pear' && r.level === 6)).toHaveLength(25);

    await redis.server.restart();
    await waitForCaching(inventory);

    // The eviction and the put made during the outage were replayed: the entries persisted from
    // before the crash (apple 10, pear 5) do not come back.
    expect(await inventory.level('apple')).toEqual({ sku: 'apple', level: 9 });
    expect(await inventory.level('pear')).toEqual({ sku: 'pear', level: 6 });
    const loads = inventory.loads;
    expect(await inventory.level('apple')).toEqual({ sku: 'apple', level: 9 });
    expect(await inventory.level('pear')).toEqual({ sku: 'pear', level: 6 });
    expect(inventory.loads).toBe(loads);
    expect(cache.stack.l2Available).toBe(true);
  });

  it('answers within 1 s while Redis hangs (commands time out, the breaker opens), then caches again', async () => {
    const logger = new RecordingLogger();
    const { inventory } = await inventoryApp(logger);
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
    // A warning when the breaker opened (again after each failed trial), a line when Redis is back.
    const lines = logger.from('Strata');
    const warnings = lines.filter((line) => line.level === 'warn' && /failing/.test(line.message));
    const recoveries = lines.filter((line) => line.level === 'log' && /answers again/.test(line.message));
    expect(warnings.length).toBeGreaterThan(0);
    expect(recoveries).toHaveLength(1);
    expect(lines.at(-1)).toBe(recoveries[0]);
  });

  it('boots while Redis is down, answers from the method, and uses Redis once it is back', async () => {
    await redis.server.kill();
    const started = performance.now();
    const moduleRef = await createApp(
      {
        prefix: uniquePrefix(),
        jitter: 0,
        l1: false,
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
