import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { catalogApp, closeCatalogApps, type CacheManagerImport } from './cache-manager-apps.support.js';

/**
 * The behaviour a service written against `@nestjs/cache-manager` relies on. Registered once per
 * cache module: `@nestjs/cache-manager`'s own (the reference) and Strata's over each backend.
 */
export function describeCacheManagerBehaviour(sources: readonly CacheManagerImport[]): void {
  afterEach(closeCatalogApps);
  describe.each(sources)('CACHE_MANAGER from $name', behaviour);
}

const FALSY = [0, '', false, null] as const;

function behaviour(source: CacheManagerImport): void {
  it('answers a miss with undefined, and set returns the value it stored', async () => {
    const { cache } = await catalogApp(source);
    expect(await cache.get('missing')).toBeUndefined();
    const value = { sku: 'a', tags: ['x'] };
    expect(await cache.set('k', value)).toStrictEqual(value);
    expect(await cache.get('k')).toStrictEqual(value);
  });

  it.each(FALSY)('stores %j as a value, not as a miss', async (value) => {
    const { cache } = await catalogApp(source);
    await cache.set('falsy', value, 60_000);
    expect(await cache.get('falsy')).toBe(value);
    expect(await cache.mget(['falsy', 'missing'])).toStrictEqual([value, undefined]);
    let loads = 0;
    const load = (): typeof value => {
      loads++;
      return value;
    };
    expect(await cache.wrap('wrapped', load, 60_000)).toBe(value);
    expect(await cache.wrap('wrapped', load, 60_000)).toBe(value);
    expect(loads).toBe(1);
  });

  it('mset returns the list with each ttl, mget answers in order', async () => {
    const { cache } = await catalogApp(source);
    const list = [
      { key: 'a', value: 1, ttl: 60_000 },
      { key: 'b', value: 2 },
    ];
    expect(await cache.mset(list)).toStrictEqual([
      { key: 'a', value: 1, ttl: 60_000 },
      { key: 'b', value: 2, ttl: undefined },
    ]);
    expect(await cache.mget(['b', 'missing', 'a'])).toStrictEqual([2, undefined, 1]);
  });

  it('del and mdel return true and remove the keys', async () => {
    const { cache } = await catalogApp(source);
    await cache.mset([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
      { key: 'c', value: 3 },
    ]);
    expect(await cache.del('a')).toBe(true);
    expect(await cache.mdel(['b', 'c'])).toBe(true);
    expect(await cache.mget(['a', 'b', 'c'])).toStrictEqual([undefined, undefined, undefined]);
  });

  it('ttl returns the expiry timestamp in milliseconds, undefined for a miss', async () => {
    const { cache } = await catalogApp(source);
    const before = Date.now();
    await cache.set('k', 'v', 60_000);
    const after = Date.now();
    const expires = await cache.ttl('k');
    expect(expires).toBeGreaterThanOrEqual(before + 60_000);
    expect(expires).toBeLessThanOrEqual(after + 60_000);
    expect(await cache.ttl('missing')).toBeUndefined();
  });

  it('forgets a value once its TTL in milliseconds has passed', async () => {
    const { cache } = await catalogApp(source);
    await cache.set('short', 0, 150);
    await cache.set('long', false, 60_000);
    const expires = await cache.ttl('short');
    expect(await cache.get('short')).toBe(0);
    // Real time is the point here: the entry must be gone from every layer once its time is up.
    await sleep(Math.max(0, (expires ?? 0) - Date.now()) + 30);
    expect(await cache.get('short')).toBeUndefined();
    expect(await cache.ttl('short')).toBeUndefined();
    expect(await cache.get('long')).toBe(false);
  });

  it('wrap loads once, for sequential and for concurrent callers', async () => {
    const catalog = await catalogApp(source);
    const [first, second] = await Promise.all([catalog.price('sku-1'), catalog.price('sku-1')]);
    expect(first).toStrictEqual({ sku: 'sku-1', cents: 500 });
    expect(second).toStrictEqual(first);
    expect(await catalog.price('sku-1')).toStrictEqual(first);
    expect(catalog.loads).toBe(1);
    expect(await catalog.cache.get('price:sku-1')).toStrictEqual(first);
  });

  it('wrap takes a ttl, an options object, a ttl function and raw mode', async () => {
    const { cache } = await catalogApp(source);
    const before = Date.now();
    await cache.wrap('fixed', () => 'v', 60_000);
    await cache.wrap('options', () => 'v', { ttl: 60_000 });
    await cache.wrap('computed', () => 6, { ttl: (value: number) => value * 10_000 });
    for (const key of ['fixed', 'options']) {
      expect(await cache.ttl(key)).toBeGreaterThanOrEqual(before + 60_000);
    }
    expect(await cache.ttl('computed')).toBeGreaterThanOrEqual(before + 60_000);
    expect(await cache.ttl('computed')).toBeLessThan(Date.now() + 61_000);
    const raw = await cache.wrap('fixed', () => 'other', { ttl: 60_000, raw: true });
    expect(raw?.value).toBe('v');
    expect(raw?.expires).toBe(await cache.ttl('fixed'));
  });

  it('wrap with refreshThreshold returns the cached value and reloads in the background', async () => {
    const { cache } = await catalogApp(source);
    let version = 0;
    const load = (): number => ++version;
    expect(await cache.wrap('r', load, 60_000, 120_000)).toBe(1);
    const refreshed = new Promise<unknown>((resolve) => {
      cache.on('refresh', (data) => resolve(data));
    });
    expect(await cache.wrap('r', load, 60_000, 120_000)).toBe(1);
    expect(await refreshed).toStrictEqual({ key: 'r', value: 2 });
    expect(await cache.get('r')).toBe(2);
  });

  it('does not refresh a value that concurrent wrap callers just loaded', async () => {
    const catalog = await catalogApp(source);
    const refreshes: unknown[] = [];
    catalog.cache.on('refresh', (data) => void refreshes.push(data));
    const load = (): Promise<string> => catalog.loadPrice('a').then((price) => price.sku);
    const values = await Promise.all([1, 2, 3].map(() => catalog.cache.wrap('k', load, 60_000, 120_000)));
    expect(values).toStrictEqual(['a', 'a', 'a']);
    // A background refresh calls the loader at once, before wrap returns: it would count here.
    expect(catalog.loads).toBe(1);
    expect(refreshes).toStrictEqual([]);
  });

  it('clear returns true and empties the cache', async () => {
    const { cache } = await catalogApp(source);
    await cache.mset([
      { key: 'a', value: 1 },
      { key: 'b', value: null },
    ]);
    expect(await cache.clear()).toBe(true);
    expect(await cache.mget(['a', 'b'])).toStrictEqual([undefined, undefined]);
    await cache.set('a', 2);
    expect(await cache.get('a')).toBe(2);
  });

  it('emits set, del and clear to listeners until they are removed', async () => {
    const { cache } = await catalogApp(source);
    const seen: unknown[] = [];
    const onSet = (data: unknown): void => void seen.push(['set', data]);
    const onDel = (data: unknown): void => void seen.push(['del', data]);
    const onClear = (): void => void seen.push(['clear']);
    cache.on('set', onSet);
    cache.on('del', onDel);
    cache.on('clear', onClear);
    await cache.set('k', 1);
    await cache.del('k');
    await cache.clear();
    cache.off('set', onSet);
    await cache.set('k', 2);
    // cache-manager also emits `set` once per store, with a `store` label: not part of the contract.
    const overall = seen.filter((event) => !JSON.stringify(event).includes('"store"'));
    expect(overall).toStrictEqual([['set', { key: 'k', value: 1 }], ['del', { key: 'k' }], ['clear']]);
    expect(typeof cache.cacheId()).toBe('string');
    expect(Array.isArray(cache.stores)).toBe(true);
  });
}
