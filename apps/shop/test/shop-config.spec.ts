import { describe, expect, it } from 'vitest';
import { loadShopConfig, nestLogLevels, ShopConfigError } from '../src/config/shop-config.js';

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
});
