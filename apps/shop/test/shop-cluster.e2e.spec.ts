/**
 * The shop on a Redis Cluster (`REDIS_CLUSTER=on`): pages, named caches and the write-behind
 * journal (partitioned by hash tag, so each key's entry and journal record share a slot) work
 * across the cluster's primaries, and cart writes reach the database.
 */
import { startRedisCluster, type RedisCluster } from '@strata/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, ALICE, BOB, startShop, testConfig, type TestShop } from './shop.fixture.js';

describe('shop on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let shop: TestShop;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    const node = cluster.nodes[0];
    if (node === undefined) throw new Error('a cluster node expected');
    const config = testConfig({ kind: 'pglite', dataDir: undefined }, `redis://${node.host}:${node.port}`);
    shop = await startShop({ ...config, redisCluster: true });
  });
  afterAll(async () => {
    await shop?.close();
    await cluster?.dispose();
  });

  it('serves product pages from the cache, writes carts behind, and shows a price change at once', async () => {
    const miss = await shop.http.get('/products/7').expect(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    const hit = await shop.http.get('/products/7').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers.etag).toBe(miss.headers.etag);

    await shop.http.put('/cart/items/7').set(ALICE).send({ quantity: 2 }).expect(200);
    await shop.http.put('/cart/items/8').set(BOB).send({ quantity: 1 }).expect(200);
    await shop.http.post('/admin/flush').set(ADMIN).expect(204);
    expect((await shop.http.get('/cart').set(ALICE).expect(200)).body).toEqual({
      items: [{ productId: 7, quantity: 2 }],
    });

    await shop.http.put('/admin/products/7/price').set(ADMIN).send({ amountCents: 4242 }).expect(200);
    const fresh = await shop.http.get('/products/7').expect(200);
    expect(fresh.headers['x-cache']).toBe('MISS');
    expect(JSON.stringify(fresh.body)).toContain('4242');
  });
});
