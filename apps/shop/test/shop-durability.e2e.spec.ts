/**
 * What must survive failures: carts written behind reach the database and outlive a restart (on
 * PostgreSQL with the Redis journal, and on PGlite with the memory journal, which a clean shutdown
 * drains), and a Redis killed mid-test leaves the shop answering from the database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@strata/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, ALICE, BOB, startShop, testConfig, type TestShop } from './shop.fixture.js';

describe('shop durability on PostgreSQL + Redis', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  const shops: TestShop[] = [];

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  });
  afterEach(async () => {
    for (const shop of shops.splice(0)) await shop.close();
  });
  afterAll(async () => {
    await Promise.all([postgres?.dispose(), redis?.dispose()]);
  });

  const start = async (databaseUrl: string, prefix?: string): Promise<TestShop> => {
    const shop = await startShop(testConfig({ kind: 'postgres', url: databaseUrl }, redis.url, prefix));
    shops.push(shop);
    return shop;
  };

  it('lands cart writes in Postgres after a flush, and they survive a restart with a cold cache', async () => {
    const url = await postgres.createDatabase();
    const first = await start(url);
    await first.http.put('/cart/items/3').set(ALICE).send({ quantity: 2 }).expect(200);
    await first.http.put('/cart/items/4').set(ALICE).send({ quantity: 1 }).expect(200);
    await first.http.put('/cart/items/3').set(ALICE).send({ quantity: 5 }).expect(200);
    await first.http.post('/admin/flush').set(ADMIN).expect(204);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT items, deleted FROM carts WHERE user_id = 1');
      expect(rows).toEqual([
        {
          items: [
            { productId: 3, quantity: 5 },
            { productId: 4, quantity: 1 },
          ],
          deleted: false,
        },
      ]);
    } finally {
      await client.end();
    }

    await first.close();
    shops.splice(shops.indexOf(first), 1);
    // Another prefix: nothing of the first run is in the cache, so the cart comes from Postgres.
    const second = await start(url);
    expect((await second.http.get('/cart').set(ALICE).expect(200)).body).toEqual({
      items: [
        { productId: 3, quantity: 5 },
        { productId: 4, quantity: 1 },
      ],
    });
  });

  it('keeps answering from the database when Redis is killed mid-test, and uses Redis again once it is back', async () => {
    const shop = await start(await postgres.createDatabase());
    await shop.http.get('/products/5').expect(200);
    await shop.http.put('/cart/items/6').set(BOB).send({ quantity: 1 }).expect(200);

    await redis.kill();
    try {
      const cached = await shop.http.get('/products/5').expect(200);
      expect(cached.body.id).toBe(5);
      const cold = await shop.http.get('/products/16').expect(200); // never cached: from the database
      expect(cold.body.id).toBe(16);
      await shop.http.get('/products?q=chair').expect(200);
      // A cart write while the journal is down is written through to the database.
      await shop.http.put('/cart/items/7').set(BOB).send({ quantity: 2 }).expect(200);
      const order = await shop.http
        .post('/orders')
        .set(BOB)
        .send({ items: [{ productId: 17, quantity: 1 }] })
        .expect(201);
      const history = await shop.http.get('/orders').set(BOB).expect(200);
      expect(history.body.map((o: { id: number }) => o.id)).toContain(order.body.id);
      await shop.http.put('/admin/products/16/price').set(ADMIN).send({ amountCents: 777 }).expect(200);
      expect((await shop.http.get('/products/16').expect(200)).body.price.amountCents).toBe(777);
    } finally {
      await redis.restart();
    }
    expect((await shop.http.get('/products/16').expect(200)).body.price.amountCents).toBe(777);
    const cart = await shop.http.get('/cart').set(BOB).expect(200);
    expect(cart.body.items).toContainEqual({ productId: 7, quantity: 2 });
  });
});

describe('shop durability on PGlite (memory journal)', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'shop-pglite-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('drains unflushed cart writes at shutdown, so they survive a restart', async () => {
    const first = await startShop({ ...testConfig({ kind: 'pglite', dataDir }), flushInterval: '1h' });
    try {
      await first.http.put('/cart/items/21').set(ALICE).send({ quantity: 4 }).expect(200);
    } finally {
      await first.close(); // the memory journal is drained into PGlite before it closes
    }
    const second = await startShop(testConfig({ kind: 'pglite', dataDir }));
    try {
      expect((await second.http.get('/cart').set(ALICE).expect(200)).body).toEqual({
        items: [{ productId: 21, quantity: 4 }],
      });
    } finally {
      await second.close();
    }
  });
});

describe('shop with caching off (the load script baseline)', () => {
  it('answers every read from the database, with no HTTP cache', async () => {
    const shop = await startShop({
      ...testConfig({ kind: 'pglite', dataDir: undefined }),
      cacheEnabled: false,
    });
    try {
      const queries = async (): Promise<number> =>
        (await shop.http.get('/admin/cache/stats').set(ADMIN).expect(200)).body.database.queries;
      await shop.http.get('/products/5').expect(200);
      const before = await queries();
      const again = await shop.http.get('/products/5').expect(200);
      expect(again.headers['x-cache']).toBeUndefined();
      // The product, its category tree, price, stock and rating, plus the admin token lookup.
      expect((await queries()) - before).toBeGreaterThanOrEqual(5);
    } finally {
      await shop.close();
    }
  });
});
