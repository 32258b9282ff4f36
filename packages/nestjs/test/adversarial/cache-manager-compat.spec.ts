import 'reflect-metadata';
import { InvalidTtlError } from '@strata/core';
import { CACHE_MANAGER, CacheService, StrataCacheManagerModule } from '@strata/nestjs';
import type { StrataModuleOptions } from '../../src/module/strata-module.options.js';
import type { Cache } from 'cache-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { closeApps, createApp, uniquePrefix } from '../support/app.js';
import { deferred } from '../support/deferred.js';
import { useRedisServer } from '../support/redis.js';

const redis = useRedisServer();

async function app(options: StrataModuleOptions): Promise<{ cache: Cache; service: CacheService }> {
  const moduleRef = await createApp(options, [], {
    imports: [StrataCacheManagerModule.forRoot({ namespace: 'legacy' })],
  });
  return { cache: moduleRef.get<Cache>(CACHE_MANAGER), service: moduleRef.get(CacheService) };
}

afterEach(closeApps);

describe.each([
  { name: 'memory', options: (): StrataModuleOptions => ({ prefix: uniquePrefix(), jitter: 0 }) },
  {
    name: 'redis',
    options: (): StrataModuleOptions => ({ prefix: uniquePrefix(), jitter: 0, redis: { url: redis.url } }),
  },
])('CACHE_MANAGER against hostile input on $name', ({ options }) => {
  it('a stored value that looks like the internal record comes back as it was stored', async () => {
    const { cache } = await app(options());
    const lookalike = { strataCacheManager: 1, value: 'inner', expires: 1 };
    await cache.set('k', lookalike, 60_000);
    expect(await cache.get('k')).toStrictEqual(lookalike);
    expect(await cache.ttl('k')).toBeGreaterThan(Date.now());
  });

  it('an entry of the same namespace written by other code is a miss, never leaked raw', async () => {
    const { cache, service } = await app(options());
    await service.set('foreign', 'secret', { namespace: 'legacy' });
    expect(await cache.get('foreign')).toBeUndefined();
    expect(await cache.ttl('foreign')).toBeUndefined();
    expect(await cache.wrap('foreign', () => 'mine')).toBe('mine');
    expect(await cache.get('foreign')).toBe('mine');
  });

  it('keys full of pattern, separator and control characters stay separate keys', async () => {
    const { cache } = await app(options());
    const keys = ['*', 'a*', 'a:b', 'a{b}c', 'line\nbreak', '\u0000', 'ключ', ' ', 'x'.repeat(2_000)];
    await cache.mset(keys.map((key, i) => ({ key, value: i })));
    await cache.del('*');
    await cache.del('a');
    expect(await cache.mget(keys)).toStrictEqual([undefined, ...keys.slice(1).map((_, i) => i + 1)]);
  });

  it('a failing wrap loader reaches its caller and caches nothing', async () => {
    const { cache } = await app(options());
    await expect(cache.wrap('k', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.wrap('k', () => 'loaded')).toBe('loaded');
  });

  it('a failing background refresh keeps the cached value and reports the error', async () => {
    const { cache } = await app(options());
    await cache.wrap('k', () => 'old', 60_000);
    const reported = new Promise<{ value?: unknown; error?: unknown }>((resolve) => {
      cache.on('refresh', (data) => resolve(data));
    });
    const failing = (): Promise<string> => Promise.reject(new Error('db down'));
    expect(await cache.wrap('k', failing, { ttl: 60_000, refreshThreshold: 120_000 })).toBe('old');
    const report = await reported;
    expect(report.value).toBe('old');
    expect(report.error).toBeInstanceOf(Error);
    expect(await cache.get('k')).toBe('old');
  });

  it('a delete or clear during a background refresh keeps the refreshed value out', async () => {
    const { cache } = await app(options());
    for (const invalidate of [() => cache.del('k'), () => cache.clear()]) {
      await cache.wrap('k', () => 'old', 60_000);
      const reload = deferred<string>();
      const started = deferred();
      const refreshed = new Promise<unknown>((resolve) => {
        cache.on('refresh', (data) => resolve(data));
      });
      const slow = (): Promise<string> => {
        started.resolve();
        return reload.promise;
      };
      expect(await cache.wrap('k', slow, { ttl: 60_000, refreshThreshold: 120_000 })).toBe('old');
      await started.promise;
      await invalidate();
      reload.resolve('computed before the delete');
      await refreshed;
      expect(await cache.get('k')).toBeUndefined();
    }
  });

  it('a delete during a load with a ttl function keeps its result out', async () => {
    const { cache } = await app(options());
    const reload = deferred<string>();
    const started = deferred();
    const loading = cache.wrap(
      'k',
      () => {
        started.resolve();
        return reload.promise;
      },
      { ttl: () => 60_000 },
    );
    await started.promise;
    await cache.del('k');
    reload.resolve('computed before the delete');
    expect(await loading).toBe('computed before the delete');
    expect(await cache.get('k')).toBeUndefined();
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects a ttl of %s, storing nothing', async (ttl) => {
    const { cache } = await app(options());
    const errors: unknown[] = [];
    cache.on('set', (data) => void errors.push(data.error));
    await expect(cache.set('k', 'v', ttl)).rejects.toBeInstanceOf(InvalidTtlError);
    expect(errors).toHaveLength(1);
    expect(await cache.get('k')).toBeUndefined();
  });

  it('clear leaves other namespaces of the same prefix alone', async () => {
    const { cache, service } = await app(options());
    await service.set('k', 'default namespace');
    await service.set('k', 'other namespace', { namespace: 'legacy-2' });
    await cache.set('k', 'legacy');
    await cache.clear();
    expect(await cache.get('k')).toBeUndefined();
    expect(await service.get('k')).toBe('default namespace');
    expect(await service.get('k', { namespace: 'legacy-2' })).toBe('other namespace');
  });

  it('a value cannot be changed through the object a caller set or got', async () => {
    const { cache } = await app(options());
    const value = { roles: ['user'] };
    const returned = await cache.set('k', value);
    returned.roles.push('admin');
    (await cache.get<{ roles: string[] }>('k'))?.roles.push('admin');
    (await cache.wrap('k', () => ({ roles: ['other'] }))).roles.push('admin');
    expect(await cache.get('k')).toStrictEqual({ roles: ['user'] });
  });
});
