import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { StrataConfigError, type CacheLoader, type StrategyCache } from '@strata/core';
import { engineOf } from '@strata/core/internal';
import {
  Cacheable,
  CachePut,
  CacheService,
  getCacheToken,
  STRATA_CACHE_STACK,
  StrataModule,
} from '@strata/nestjs';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CacheStack } from '@strata/core';
import { closeApps, createApp, uniquePrefix } from './support/app.js';
import { useRedisServer } from './support/redis.js';

const KEY = randomBytes(32).toString('base64');
const ORDER = { id: '1', card: '4111-1111-1111-1111', owner: 'Ada Lovelace' };

@Injectable()
class OrderService {
  loads = 0;

  @Cacheable({ key: (id: string) => `order:${id}`, sensitive: true })
  async find(id: string): Promise<typeof ORDER> {
    this.loads++;
    return { ...ORDER, id };
  }

  @Cacheable({ key: 'catalog' })
  async catalog(): Promise<string[]> {
    return ['Ada Lovelace biography'];
  }

  @CachePut({ key: (id: string) => `order:${id}`, sensitive: true })
  async update(id: string): Promise<typeof ORDER> {
    return { ...ORDER, id, owner: 'Grace Hopper' };
  }
}

@Injectable()
class OrderLoader implements CacheLoader<typeof ORDER> {
  async load(id: string): Promise<typeof ORDER> {
    return { ...ORDER, id };
  }
}

@Module({ providers: [OrderLoader], exports: [OrderLoader] })
class OrdersModule {}

/**
 * Sensitive entries through the Nest module: `@Cacheable`/`@CachePut({ sensitive: true })`,
 * `CacheService` calls, a `forFeature` cache with `sensitive: true`, keys from `forRootAsync`. What
 * Redis holds is read with a raw client.
 */
describe('sensitive entries in a Nest app', () => {
  const redis = useRedisServer();
  let raw: Redis;
  beforeAll(() => {
    raw = new Redis(redis.url);
  });
  afterAll(() => raw.disconnect());
  afterEach(closeApps);

  const stored = async (stack: CacheStack, key: string, namespace?: string): Promise<string> =>
    (await raw.get(engineOf(stack).keys.entry(key, namespace))) ?? '';

  it('stores @Cacheable and @CachePut results encrypted, and other entries as they are', async () => {
    const app = await createApp(
      { prefix: uniquePrefix(), redis: { url: redis.url }, encryption: { keys: { k1: KEY }, current: 'k1' } },
      [OrderService],
    );
    const service = app.get(OrderService);
    const stack = app.get<CacheStack>(STRATA_CACHE_STACK);
    expect(await service.find('1')).toEqual(ORDER);
    expect(await service.find('1')).toEqual(ORDER);
    expect(service.loads).toBe(1);
    await service.catalog();
    expect(await stored(stack, 'order:1')).not.toContain('Lovelace');
    expect(await stored(stack, 'order:1')).toMatch(/^S1\|/);
    expect(await stored(stack, 'catalog')).toContain('Lovelace');
    await service.update('1');
    expect(await stored(stack, 'order:1')).not.toContain('Hopper');
    // A second instance (empty L1) reads the encrypted entry.
    const other = await createApp(
      {
        prefix: engineOf(stack).keys.prefix,
        redis: { url: redis.url },
        encryption: { keys: { k1: KEY }, current: 'k1' },
      },
      [OrderService],
    );
    expect(await other.get(OrderService).find('1')).toEqual({ ...ORDER, owner: 'Grace Hopper' });
    expect(other.get(OrderService).loads).toBe(0);
    await app.get(CacheService).set('note', 'Ada Lovelace', { sensitive: true });
    expect(await stored(stack, 'note')).not.toContain('Lovelace');
  });

  it('takes the keys from forRootAsync (a secret store) and encrypts a sensitive forFeature cache', async () => {
    const prefix = uniquePrefix();
    const moduleRef = await Test.createTestingModule({
      imports: [
        StrataModule.forRootAsync({
          useFactory: async () => ({
            prefix,
            redis: { url: redis.url },
            encryption: { keys: { k1: await Promise.resolve(KEY) }, current: 'k1' },
          }),
        }),
        StrataModule.forFeature({
          imports: [OrdersModule],
          caches: [{ name: 'orders', strategy: 'cache-aside', loader: OrderLoader, sensitive: true }],
        }),
      ],
    }).compile();
    await moduleRef.init();
    try {
      const orders = moduleRef.get<StrategyCache<typeof ORDER>>(getCacheToken('orders'));
      expect(await orders.get('7')).toEqual({ ...ORDER, id: '7' });
      const stack = moduleRef.get<CacheStack>(STRATA_CACHE_STACK);
      const value = await stored(stack, '7', 'orders');
      expect(value).toMatch(/^S1\|/);
      expect(value).not.toContain('Lovelace');
    } finally {
      await moduleRef.close();
    }
  });

  it('fails at boot when a sensitive method or cache cannot be encrypted (Redis, no keys)', async () => {
    let error: unknown;
    try {
      await createApp({ prefix: uniquePrefix(), redis: { url: redis.url } }, [OrderService]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StrataConfigError);
    expect((error as Error).message).toContain('OrderService.find');
    expect((error as Error).message).toContain('encryption');

    const feature = Test.createTestingModule({
      imports: [
        StrataModule.forRoot({ prefix: uniquePrefix(), redis: { url: redis.url } }),
        StrataModule.forFeature({
          imports: [OrdersModule],
          caches: [{ name: 'orders', strategy: 'cache-aside', loader: OrderLoader, sensitive: true }],
        }),
      ],
    });
    await expect(feature.compile()).rejects.toThrow(/caches\[orders\]\.sensitive/);
  });

  it('boots a memory-only app with sensitive methods: nothing leaves the process', async () => {
    const app = await createApp({ prefix: uniquePrefix() }, [OrderService]);
    expect(await app.get(OrderService).find('1')).toEqual(ORDER);
  });
});
