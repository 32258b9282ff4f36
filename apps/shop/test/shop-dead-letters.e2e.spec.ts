/**
 * Views of products that do not exist, and the write-behind dead letters an operator handles
 * through the admin routes, on PostgreSQL + Redis (real servers from @strata/testing).
 */
import type { WriteBehindStrategyCache } from '@strata/core';
import { CacheService, getCacheToken } from '@strata/nestjs';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@strata/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, ALICE, startShop, testConfig, type TestShop } from './shop.fixture.js';
import { engineOf } from '@strata/core/internal';

describe('shop write-behind dead letters (PostgreSQL + Redis)', () => {
  let pg: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  let shop: TestShop;
  let views: WriteBehindStrategyCache<number>;

  beforeAll(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    shop = await startShop(testConfig({ kind: 'postgres', url: await pg.createDatabase() }, redis.url));
    views = shop.app.get<WriteBehindStrategyCache<number>>(getCacheToken('views'), { strict: false });
  });
  afterAll(async () => {
    await shop?.close();
    await Promise.all([pg?.dispose(), redis?.dispose()]);
  });

  it('answers 404 for an unknown product without counting a view, and /health stays up', async () => {
    for (let i = 0; i < 3; i++) await shop.http.get('/products/999999').expect(404);
    await shop.http.post('/admin/flush').set(ADMIN).expect(204);
    expect(await views.deadLetterCount()).toBe(0);
    expect(await views.pending()).toBe(0);
    const health = await shop.http.get('/health').expect(200);
    expect(health.body.info.cache.writeBehind.views).toMatchObject({ deadLetters: 0 });
  });

  it('lists, re-drives and purges dead letters through the admin routes, with health up throughout', async () => {
    // A view counted for a product that does not exist (as an older version of the shop did):
    // the insert fails its foreign key at every attempt.
    await views.increment('999998', 1);
    await shop.http.post('/admin/flush').set(ADMIN).expect(204);
    const listed = await shop.http.get('/admin/write-behind/views/dead-letters').set(ADMIN).expect(200);
    expect(listed.body.count).toBe(1);
    const [letter] = listed.body.deadLetters as { id: string; key: string; kind: string; error: string }[];
    expect(letter).toMatchObject({ key: '999998', kind: 'increment', value: 1 });
    expect(letter?.error).toMatch(/foreign key/);
    await shop.http.get('/health').expect(200);

    // Re-driven while the product is still missing: delivered again, dead-lettered again.
    const id = letter?.id ?? '';
    const redriven = await shop.http
      .post(`/admin/write-behind/views/dead-letters/${encodeURIComponent(id)}/redrive`)
      .set(ADMIN)
      .expect(200);
    expect(redriven.body).toEqual({ outcome: 'requeued' });
    await shop.http
      .post(`/admin/write-behind/views/dead-letters/${encodeURIComponent(id)}/redrive`)
      .set(ADMIN)
      .expect(404);
    await shop.http.post('/admin/flush').set(ADMIN).expect(204);
    const again = await shop.http.get('/admin/write-behind/views/dead-letters').set(ADMIN).expect(200);
    expect(again.body.count).toBe(1);
    expect(again.body.deadLetters[0].id).not.toBe(id);

    await shop.http
      .delete(`/admin/write-behind/views/dead-letters/${encodeURIComponent(again.body.deadLetters[0].id)}`)
      .set(ADMIN)
      .expect(204);
    const empty = await shop.http.get('/admin/write-behind/views/dead-letters').set(ADMIN).expect(200);
    expect(empty.body).toEqual({ count: 0, deadLetters: [] });
  });

  it('lets an operator purge unreadable journal entries, which cannot be re-driven (409)', async () => {
    // The journal stream of the `views` cache (one partition on a single Redis), written through
    // the shop's own connection: anyone with the Redis password can do as much.
    const client = engineOf(shop.app.get(CacheService).stack).redisClient;
    const prefix = shop.config.cachePrefix;
    await client?.xadd(`${prefix}:wb:{${prefix}:wb:views:0}:stream`, '*', 'not', 'a record');
    await shop.http.post('/admin/flush').set(ADMIN).expect(204);
    const listed = await shop.http
      .get('/admin/write-behind/views/dead-letters?limit=5')
      .set(ADMIN)
      .expect(200);
    expect(listed.body.deadLetters).toMatchObject([{ kind: 'unreadable', raw: 'not a record' }]);
    const id = encodeURIComponent(listed.body.deadLetters[0].id);
    await shop.http.post(`/admin/write-behind/views/dead-letters/${id}/redrive`).set(ADMIN).expect(409);
    const purged = await shop.http.delete('/admin/write-behind/views/dead-letters').set(ADMIN).expect(200);
    expect(purged.body).toEqual({ purged: 1 });
  });

  it('guards the routes and answers 404 for an unknown cache or dead letter', async () => {
    await shop.http.get('/admin/write-behind/views/dead-letters').expect(401);
    await shop.http.get('/admin/write-behind/views/dead-letters').set(ALICE).expect(403);
    await shop.http.get('/admin/write-behind/nope/dead-letters').set(ADMIN).expect(404);
    await shop.http.delete('/admin/write-behind/views/dead-letters/0:1-1').set(ADMIN).expect(404);
    await shop.http.post('/admin/write-behind/carts/dead-letters/garbage/redrive').set(ADMIN).expect(404);
    await shop.http.get('/admin/write-behind/views/dead-letters?limit=0').set(ADMIN).expect(400);
  });
});
