/**
 * The shop as the e2e tests run it: the same app as `main.ts` (`createShopApp`), on a database and
 * cache the test chooses, with a small seed and a fast flush.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import supertest from 'supertest';
import { createShopApp } from '../src/bootstrap.js';
import type { DatabaseConfig, ShopConfig } from '../src/config/shop-config.js';

/** Products in the test seed: enough for listings and search, seeded in a fraction of a second. */
export const TEST_PRODUCTS = 120;

export const ALICE = { authorization: 'Bearer alice-token' };
export const BOB = { authorization: 'Bearer bob-token' };
export const ADMIN = { authorization: 'Bearer admin-token' };

/** A running shop and supertest on its URL. */
export interface TestShop {
  readonly app: INestApplication;
  readonly config: ShopConfig;
  /** `http.get('/products/1')`: each call is a real request to the listening shop. */
  readonly http: ReturnType<typeof supertest>;
  close(): Promise<void>;
}

/** Test configuration: a fresh cache prefix per call unless given. */
export function testConfig(database: DatabaseConfig, redisUrl?: string, prefix?: string): ShopConfig {
  return {
    port: 0,
    database,
    redisUrl,
    logLevel: 'error',
    seedProducts: TEST_PRODUCTS,
    cacheEnabled: true,
    cachePrefix: prefix ?? `shop-${randomUUID().slice(0, 8)}`,
    flushInterval: '100ms',
  };
}

/**
 * Boots the shop (migrations, seed) and listens on a free port. Listening (rather than handing
 * supertest the server) lets a test send 100 requests at once.
 */
export async function startShop(config: ShopConfig): Promise<TestShop> {
  const app = await createShopApp(config);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, config, http: supertest(url), close: () => app.close() };
}
