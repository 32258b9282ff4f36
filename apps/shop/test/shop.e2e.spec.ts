/**
 * The shop's behaviour as a client sees it, on both setups the README offers: PGlite with a memory
 * cache (no server at all), and PostgreSQL with Redis (real servers from @strata/testing).
 */
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@strata/testing';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShopConfig } from '../src/config/shop-config.js';
import { ADMIN, ALICE, BOB, startShop, testConfig, TEST_PRODUCTS, type TestShop } from './shop.fixture.js';

interface Backend {
  readonly name: string;
  start(): Promise<{ config: ShopConfig; dispose(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'PGlite in memory, memory cache',
    start: async () => ({
      config: testConfig({ kind: 'pglite', dataDir: undefined }),
      dispose: async () => {},
    }),
  },
  {
    name: 'PostgreSQL + Redis',
    start: async () => {
      const servers: { pg?: PostgresServer; redis?: RedisServer } = {};
      servers.pg = await startPostgres();
      servers.redis = await startRedis();
      const config = {
        ...testConfig({ kind: 'postgres', url: await servers.pg.createDatabase() }, servers.redis.url),
        cacheEncryptionKey: randomBytes(32).toString('base64'),
      };
      return {
        config,
        dispose: async () => void (await Promise.all([servers.pg?.dispose(), servers.redis?.dispose()])),
      };
    },
  },
];

describe.each(backends)('shop on $name', (backend) => {
  let shop: TestShop;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const started = await backend.start();
    dispose = started.dispose;
    shop = await startShop(started.config);
  });
  afterAll(async () => {
    await shop?.close();
    await dispose?.();
  });

  it('serves the second product read from the cache with the same ETag, and a 304 on revalidation', async () => {
    const first = await shop.http.get('/products/7').expect(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(first.body).toMatchObject({ id: 7, sku: 'SKU-000007' });
    expect(first.body.categoryPath).toHaveLength(2);

    // A signed-in shopper shares the public page.
    const second = await shop.http.get('/products/7').set(ALICE).expect(200);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.text).toBe(first.text);

    const revalidated = await shop.http
      .get('/products/7')
      .set('if-none-match', String(first.headers.etag))
      .expect(304);
    expect(revalidated.text).toBe('');
    expect(revalidated.headers['cache-control']).toBe('public, max-age=30, stale-while-revalidate=60');
  });

  it('shows a price change at once, on the product page and in listings', async () => {
    await shop.http.get('/products/8').expect(200);
    const listing = await shop.http.get('/products?pageSize=100').expect(200);
    expect(listing.body.items.find((p: { id: number }) => p.id === 8)).toBeDefined();

    await shop.http.put('/admin/products/8/price').set(ADMIN).send({ amountCents: 1234 }).expect(200);

    const page = await shop.http.get('/products/8').expect(200);
    expect(page.headers['x-cache']).toBe('MISS');
    expect(page.body.price).toEqual({ amountCents: 1234, currency: 'EUR' });
    const after = await shop.http.get('/products?pageSize=100').expect(200);
    expect(after.body.items.find((p: { id: number }) => p.id === 8).amountCents).toBe(1234);
  });

  it('stores an edited product with @CachePut and drops only its page', async () => {
    const productLoads = async (): Promise<number> =>
      (await shop.http.get('/admin/cache/stats').set(ADMIN).expect(200)).body.caches.product.loads;
    await shop.http.get('/products/18').expect(200);
    const loads = await productLoads();

    await shop.http.patch('/admin/products/18').set(ADMIN).send({ name: 'Renamed 18' }).expect(200);

    const page = await shop.http.get('/products/18').expect(200);
    expect(page.headers['x-cache']).toBe('MISS');
    expect(page.body.name).toBe('Renamed 18');
    expect(await productLoads()).toBe(loads); // the page was rebuilt from the entry the put stored
    await shop.http.patch('/admin/products/99999').set(ADMIN).send({ name: 'x' }).expect(404);
  });

  it('shows a posted review in the rating summary on the next read', async () => {
    const before = (await shop.http.get('/products/9').expect(200)).body.rating;
    await shop.http.get('/products/9/reviews').expect(200);

    await shop.http
      .post('/products/9/reviews')
      .set(ALICE)
      .send({ rating: 1, body: 'Broke on day one.' })
      .expect(201);

    const after = await shop.http.get('/products/9').expect(200);
    expect(after.body.rating.count).toBe(before.count + 1);
    const reviews = await shop.http.get('/products/9/reviews').expect(200);
    expect(reviews.body[0]).toMatchObject({ author: 'Alice', rating: 1, body: 'Broke on day one.' });
  });

  it('never shows one user the order history or cart of another', async () => {
    await shop.http.get('/orders').set(BOB).expect(200); // Bob's (empty) history is cached first
    const order = await shop.http
      .post('/orders')
      .set(ALICE)
      .send({ items: [{ productId: 10, quantity: 1 }] })
      .expect(201);

    const alice = await shop.http.get('/orders').set(ALICE).expect(200);
    expect(alice.headers['cache-control']).toBe('private, max-age=60');
    expect(alice.body.map((o: { id: number }) => o.id)).toContain(order.body.id);
    expect((await shop.http.get('/orders').set(ALICE).expect(200)).headers['x-cache']).toBe('HIT');
    const bob = await shop.http.get('/orders').set(BOB).expect(200);
    expect(bob.body.map((o: { id: number }) => o.id)).not.toContain(order.body.id);

    await shop.http.put('/cart/items/11').set(ALICE).send({ quantity: 2 }).expect(200);
    expect((await shop.http.get('/cart').set(BOB).expect(200)).body).toEqual({ items: [] });
    expect((await shop.http.get('/cart').set(ALICE).expect(200)).body).toEqual({
      items: [{ productId: 11, quantity: 2 }],
    });
    await shop.http.get('/orders').expect(401);
    await shop.http.get('/cart').set({ authorization: 'Bearer nobody' }).expect(401);
  });

  it('sells exactly the stock when 100 checkouts race for 10 units', async () => {
    await shop.http.put('/admin/products/12/stock').set(ADMIN).send({ quantity: 10 }).expect(200);
    expect((await shop.http.get('/products/12').expect(200)).body.inStock).toBe(10);

    const buyers = ['alice', 'bob', 'carol', 'dave'];
    const statuses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        shop.http
          .post('/orders')
          .set({ authorization: `Bearer ${buyers[i % buyers.length]}-token` })
          .send({ items: [{ productId: 12, quantity: 1 }] })
          .then((response) => response.status),
      ),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 409)).toHaveLength(90);

    const page = await shop.http.get('/products/12').expect(200);
    expect(page.body.inStock).toBe(0);
    let sold = 0;
    for (const buyer of buyers) {
      const history = await shop.http
        .get('/orders')
        .set({ authorization: `Bearer ${buyer}-token` })
        .expect(200);
      for (const order of history.body) {
        for (const item of order.items) if (item.productId === 12) sold += item.quantity;
      }
    }
    expect(sold).toBe(10);
  });

  it('checks out the cart and empties it', async () => {
    await shop.http.put('/cart/items/14').set(BOB).send({ quantity: 3 }).expect(200);
    const order = await shop.http.post('/orders').set(BOB).send({}).expect(201);
    expect(order.body.items).toEqual([expect.objectContaining({ productId: 14, quantity: 3 })]);
    expect((await shop.http.get('/cart').set(BOB).expect(200)).body).toEqual({ items: [] });
    await shop.http.post('/orders').set(BOB).send({}).expect(422);
  });

  it('counts views (on cache hits too) and lists the trending products after a flush', async () => {
    for (let i = 0; i < 5; i++) await shop.http.get('/products/13').expect(200);
    await shop.http.post('/admin/flush').set(ADMIN).expect(204);
    const trending = await shop.http.get('/trending').expect(200);
    expect(trending.body).toContainEqual({ id: 13, name: expect.any(String), views: 5 });
  });

  it('filters, sorts, pages and searches listings', async () => {
    const all = await shop.http.get('/products?pageSize=10&page=2').expect(200);
    expect(all.body).toMatchObject({ total: TEST_PRODUCTS, page: 2, pageSize: 10 });
    expect(all.body.items[0].id).toBe(11);

    const cheap = await shop.http.get('/products?sort=price_asc&maxPrice=20000').expect(200);
    const amounts = cheap.body.items.map((p: { amountCents: number }) => p.amountCents);
    expect(amounts).toEqual([...amounts].sort((a, b) => a - b));
    expect(Math.max(...amounts)).toBeLessThanOrEqual(20_000);

    const kitchen = await shop.http.get('/products?category=1&pageSize=100').expect(200);
    expect(kitchen.body.items.length).toBeGreaterThan(0);
    for (const p of kitchen.body.items) expect(p.categoryId).toBeGreaterThanOrEqual(100); // Kitchen aisles: 100-103
    for (const p of kitchen.body.items) expect(p.categoryId).toBeLessThanOrEqual(103);

    const lamps = await shop.http.get('/products?q=lamps').expect(200);
    expect(lamps.body.items.length).toBeGreaterThan(0);
    for (const p of lamps.body.items) expect(p.name).toMatch(/Lamp/);

    await shop.http.get('/products?sort=cheapest').expect(400);
    await shop.http.get('/products/abc').expect(400);
    await shop.http.get('/products/99999').expect(404);
  });

  it('gives admins cache stats and invalidation, and nobody else', async () => {
    await shop.http.get('/admin/cache/stats').set(ALICE).expect(403);
    await shop.http.get('/admin/cache/stats').expect(401);

    await shop.http.get('/products/15').expect(200);
    await shop.http.get('/products/15').expect(200);
    const stats = await shop.http.get('/admin/cache/stats').set(ADMIN).expect(200);
    expect(stats.body.caches.http.hits.l1).toBeGreaterThan(0);
    expect(stats.body.caches.product.loads).toBeGreaterThan(0);
    expect(stats.body.database.queries).toBeGreaterThan(0);

    await shop.http
      .post('/admin/cache/invalidate')
      .set(ADMIN)
      .send({ tags: ['product:15'] })
      .expect(204);
    expect((await shop.http.get('/products/15').expect(200)).headers['x-cache']).toBe('MISS');
    await shop.http.post('/admin/cache/invalidate').set(ADMIN).send({ namespace: 'http' }).expect(204);
    expect((await shop.http.get('/products/15').expect(200)).headers['x-cache']).toBe('MISS');
    await shop.http.post('/admin/cache/invalidate').set(ADMIN).send({}).expect(400);
  });

  it('refuses to invalidate a namespace the shop does not have, instead of dropping nothing', async () => {
    await shop.http.get('/products/16').expect(200);
    for (const namespace of ['htpp', 'HTTP', 'http ', 'http:', '*', 'default:product']) {
      const refused = await shop.http
        .post('/admin/cache/invalidate')
        .set(ADMIN)
        .send({ namespace })
        .expect(400);
      expect(JSON.stringify(refused.body)).toContain('expected one of default, users, http');
      await shop.http
        .post('/admin/cache/invalidate')
        .set(ADMIN)
        .send({ key: 'product:16', namespace })
        .expect(400);
    }
    // Nothing was dropped by the refused requests.
    expect((await shop.http.get('/products/16').expect(200)).headers['x-cache']).toBe('HIT');
    for (const namespace of ['default', 'users', 'http', 'prices', 'stock', 'carts', 'views'])
      await shop.http.post('/admin/cache/invalidate').set(ADMIN).send({ namespace }).expect(204);
    expect((await shop.http.get('/products/16').expect(200)).headers['x-cache']).toBe('MISS');
  });

  it('keeps who a token belongs to and the private order pages encrypted in Redis', async () => {
    const { redisUrl, cachePrefix } = shop.config;
    if (redisUrl === undefined) return; // memory only: nothing leaves the process
    // Alice's history (an earlier test placed an order) is cached, as is who her token belongs to.
    expect((await shop.http.get('/orders').set(ALICE).expect(200)).body.length).toBeGreaterThan(0);
    const raw = new Redis(redisUrl);
    try {
      const entries: [string, string][] = [];
      for (const key of await raw.keys(`${cachePrefix}:*`))
        if ((await raw.type(key)) === 'string') entries.push([key, (await raw.get(key)) ?? '']);
      const sensitive = entries.filter(
        ([key, value]) => key.startsWith(`${cachePrefix}:users:`) || /\n[^\n]*:t:orders:\d+\n/.test(value),
      );
      expect(sensitive.some(([key]) => key.startsWith(`${cachePrefix}:users:`))).toBe(true);
      expect(sensitive.some(([key]) => key.startsWith(`${cachePrefix}:http:`))).toBe(true);
      for (const [, value] of sensitive) expect(value).toMatch(/\nEhk1\.[^\n]*$/);
    } finally {
      raw.disconnect();
    }
  });

  it('serves the Swagger UI and its document', async () => {
    await shop.http.get('/docs').expect(200);
    const doc = await shop.http.get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/products/{id}', '/orders', '/cart']),
    );
    // Bodies are described from the zod schemas that validate them.
    const review =
      doc.body.paths['/products/{id}/reviews'].post.requestBody.content['application/json'].schema;
    expect(review).toMatchObject({ type: 'object', required: ['rating', 'body'] });
    expect(review.properties.rating).toMatchObject({ type: 'integer', minimum: 1, maximum: 5 });
    // The demo's tokens are plain strings, not JWTs.
    expect(doc.body.components.securitySchemes.bearer).toMatchObject({
      scheme: 'bearer',
      bearerFormat: 'opaque',
    });
  });
});
