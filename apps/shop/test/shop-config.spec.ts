import { describe, expect, it } from 'vitest';
import {
  loadShopConfig,
  nestLogLevels,
  ShopConfigError,
  shopRedisOptions,
} from '../src/config/shop-config.js';

describe('shop configuration from the environment', () => {
  it('defaults to PGlite in the given folder, memory cache, port 3000', () => {
    const config = loadShopConfig({}, '/tmp/shop-data');
    expect(config).toMatchObject({
      port: 3000,
      database: { kind: 'pglite', dataDir: '/tmp/shop-data' },
      redisUrl: undefined,
      logLevel: 'log',
      seedProducts: 10_000,
      cacheEnabled: true,
    });
  });

  it('uses PostgreSQL and Redis when their URLs are set (empty values count as unset)', () => {
    const config = loadShopConfig(
      {
        DATABASE_URL: 'postgres://u:p@db:5432/shop',
        REDIS_URL: 'redis://cache:6379',
        PORT: '8080',
        LOG_LEVEL: '',
      },
      '/unused',
    );
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/shop' });
    expect(config.redisUrl).toBe('redis://cache:6379');
    expect(config.port).toBe(8080);
    expect(config.logLevel).toBe('log');
  });

  it('uses a Redis Cluster seeded by the REDIS_URL node with REDIS_CLUSTER=on, and refuses it without REDIS_URL', () => {
    const single = loadShopConfig({ REDIS_URL: 'redis://cache:6379' }, '/unused');
    expect(shopRedisOptions(single)).toEqual({ url: 'redis://cache:6379' });
    const cluster = loadShopConfig({ REDIS_URL: 'redis://node-1:7000', REDIS_CLUSTER: 'on' }, '/unused');
    expect(shopRedisOptions(cluster)).toEqual({ cluster: { nodes: [{ host: 'node-1', port: 7000 }] } });
    expect(shopRedisOptions(loadShopConfig({}, '/unused'))).toBeUndefined();
    expect(() => loadShopConfig({ REDIS_CLUSTER: 'on' }, '/unused')).toThrow(
      /REDIS_CLUSTER = "on": needs REDIS_URL/,
    );
    expect(() => loadShopConfig({ REDIS_CLUSTER: 'yes' }, '/unused')).toThrow(/REDIS_CLUSTER = "yes"/);
  });

  it('rejects bad values with one message naming each variable and its value', () => {
    const bad = {
      PORT: 'eighty',
      DATABASE_URL: 'mysql://db/shop',
      REDIS_URL: 'cache:6379',
      LOG_LEVEL: 'loud',
    };
    let error: unknown;
    try {
      loadShopConfig(bad, '/unused');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ShopConfigError);
    const message = (error as ShopConfigError).message;
    expect(message).toContain('PORT = "eighty"');
    expect(message).toContain(
      'DATABASE_URL = "mysql://db/shop": expected a postgres:// or postgresql:// URL',
    );
    expect(message).toContain('REDIS_URL = "cache:6379": expected a redis:// or rediss:// URL');
    expect(message).toContain('LOG_LEVEL = "loud"');
    expect((error as ShopConfigError).problems).toHaveLength(4);
  });

  it('enables a log level and every more severe one', () => {
    expect(nestLogLevels('warn')).toEqual(['warn', 'error', 'fatal']);
  });

  it('reads CACHE_ENCRYPTION_KEY (32 bytes in base64) and never shows a bad one', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadShopConfig({ CACHE_ENCRYPTION_KEY: key }, '/unused').cacheEncryptionKey).toBe(key);
    const short = Buffer.alloc(16, 7).toString('base64');
    expect(() => loadShopConfig({ CACHE_ENCRYPTION_KEY: short }, '/unused')).toThrow(ShopConfigError);
    try {
      loadShopConfig({ CACHE_ENCRYPTION_KEY: short }, '/unused');
    } catch (error) {
      expect((error as Error).message).toContain('CACHE_ENCRYPTION_KEY');
      expect((error as Error).message).not.toContain(short);
    }
  });
});
