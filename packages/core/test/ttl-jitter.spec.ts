import { startRedis, type RedisServer } from '@strata/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CacheStack } from '../src/index.js';
import { sleep, uniquePrefix } from './support.js';
import { engineOf } from '../src/internal.js';

describe('TTL and jitter on the memory store (fake Date)', () => {
  let stack: CacheStack | undefined;

  afterEach(async () => {
    vi.useRealTimers();
    await stack?.close();
    stack = undefined;
  });

  it('serves an entry until its ttl and not after', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    stack = new CacheStack({ prefix: uniquePrefix(), ttl: '10s', jitter: 0 });
    await stack.set('k', 'v');
    await stack.set('short', 'v', { ttl: 500 });
    let loads = 0;
    await stack.getOrLoad('loaded', () => ++loads);

    vi.setSystemTime(t0 + 499);
    expect(await stack.get('short')).toBe('v');
    vi.setSystemTime(t0 + 500);
    expect(await stack.get('short')).toBeUndefined();

    vi.setSystemTime(t0 + 9_999);
    expect(await stack.get('k')).toBe('v');
    expect(await stack.getOrLoad('loaded', () => ++loads)).toBe(1);

    vi.setSystemTime(t0 + 10_000);
    expect(await stack.get('k')).toBeUndefined();
    expect(await stack.getOrLoad('loaded', () => ++loads)).toBe(2);
    expect(loads).toBe(2);
  });

  it('spreads the expiries of 1000 keys within ±10 % with jitter 0.1', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const ttl = 10_000;
    stack = new CacheStack({ prefix: uniquePrefix(), ttl, jitter: 0.1 });
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    for (const key of keys) await stack.set(key, 1);

    const l1 = engineOf(stack).l1;
    if (!l1) throw new Error('memory store expected');
    const lifetimes = keys.map((key) => {
      const read = l1.read(engineOf(stack!).keys.entry(key));
      if (read.entry === undefined) throw new Error(`${key} missing`);
      return read.entry.freshUntil - t0;
    });
    const min = Math.min(...lifetimes);
    const max = Math.max(...lifetimes);
    expect(min).toBeGreaterThanOrEqual(ttl * 0.9);
    expect(max).toBeLessThanOrEqual(ttl * 1.1);
    expect(new Set(lifetimes).size).toBeGreaterThan(500);
    // Spread over the range, not bunched: each fifth of it holds some keys.
    for (let fifth = 0; fifth < 5; fifth++) {
      const from = ttl * 0.9 + fifth * ttl * 0.04;
      const inFifth = lifetimes.filter((ms) => ms >= from && ms <= from + ttl * 0.04).length;
      expect(inFifth).toBeGreaterThan(100);
    }

    const hits = async (): Promise<number> =>
      (await Promise.all(keys.map((key) => stack!.get(key)))).filter((v) => v !== undefined).length;
    vi.setSystemTime(t0 + ttl * 0.9 - 1);
    expect(await hits()).toBe(1000);
    vi.setSystemTime(t0 + ttl);
    const atTtl = await hits();
    expect(atTtl).toBeGreaterThan(300);
    expect(atTtl).toBeLessThan(700);
    vi.setSystemTime(t0 + ttl * 1.1);
    expect(await hits()).toBe(0);
  });

  it('gives every key the same lifetime with jitter 0', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    stack = new CacheStack({ prefix: uniquePrefix(), ttl: 10_000, jitter: 0 });
    for (let i = 0; i < 50; i++) await stack.set(`k${i}`, i);
    const lifetimes = new Set(
      Array.from(
        { length: 50 },
        (_, i) => engineOf(stack!).l1!.read(engineOf(stack!).keys.entry(`k${i}`)).entry!.freshUntil - t0,
      ),
    );
    expect([...lifetimes]).toStrictEqual([10_000]);
  });
});

describe('TTL on Redis (real time)', () => {
  let server: RedisServer;
  let stack: CacheStack | undefined;

  beforeAll(async () => {
    server = await startRedis();
  });

  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it('expires an entry with a 300 ms ttl', async () => {
    stack = new CacheStack({ prefix: uniquePrefix(), redis: { url: server.url }, jitter: 0 });
    expect(await stack.connect()).toBe(true);
    await stack.set('short', 'v', { ttl: 300 });
    await stack.set('long', 'v', { ttl: '1m' });
    expect(await stack.get('short')).toBe('v');
    const pttl = await engineOf(stack).redisClient!.pttl(engineOf(stack).keys.entry('short'));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(300);
    await sleep(400);
    expect(await stack.get('short')).toBeUndefined();
    expect(await engineOf(stack).redisClient!.exists(engineOf(stack).keys.entry('short'))).toBe(0);
    expect(await stack.get('long')).toBe('v');
  });

  it('spreads Redis expiries within ±10 % with jitter 0.1', async () => {
    stack = new CacheStack({ prefix: uniquePrefix(), redis: { url: server.url }, ttl: '100s', jitter: 0.1 });
    expect(await stack.connect()).toBe(true);
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((key) => stack!.set(key, 1)));
    const client = engineOf(stack).redisClient!;
    const ttls = await Promise.all(keys.map((key) => client.pttl(engineOf(stack!).keys.entry(key))));
    expect(Math.min(...ttls)).toBeGreaterThan(90_000 - 2_000);
    expect(Math.max(...ttls)).toBeLessThanOrEqual(110_000);
    expect(Math.max(...ttls) - Math.min(...ttls)).toBeGreaterThan(10_000);
  });
});
