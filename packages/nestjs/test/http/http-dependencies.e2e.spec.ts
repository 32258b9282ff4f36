import type { INestApplication } from '@nestjs/common';
import { CacheService, HttpCacheModule, StrataModule } from '@strata/nestjs';
import type { StrataModuleOptions } from '../../src/module/strata-module.options.js';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { createHttpCacheApp, HTTP_ADAPTERS, type HttpAdapterName } from '../support/http-app.js';
import { useRedisServer } from '../support/redis.js';
import {
  CatalogService,
  DependencyTestController,
  holds,
  ProductTable,
  reached,
} from './http-dependencies.controller.js';

const redis = useRedisServer();

/** `table`: one database shared by several app instances. */
function createApp(adapter: HttpAdapterName, options: StrataModuleOptions, table = new ProductTable()) {
  return createHttpCacheApp(adapter, {
    imports: [StrataModule.forRoot(options), HttpCacheModule.forRoot({})],
    controllers: [DependencyTestController],
    providers: [CatalogService, { provide: ProductTable, useValue: table }],
  });
}

const backends: { name: string; redis: boolean }[] = [
  { name: 'memory', redis: false },
  { name: 'redis', redis: true },
];

let seq = 0;
const nextId = (): string => `${Date.now().toString(36)}-${++seq}`;

describe.each(HTTP_ADAPTERS)('HTTP dependency invalidation on %s', (adapter) => {
  describe.each(backends)('with $name', (backend) => {
    let app: INestApplication;
    let table: ProductTable;
    const options = (prefix: string): StrataModuleOptions =>
      backend.redis ? { prefix, jitter: 0, redis: { url: redis.url } } : { prefix, jitter: 0 };

    beforeAll(async () => {
      app = await createApp(adapter, options(uniquePrefix()));
      table = app.get(ProductTable);
    });
    afterAll(async () => {
      await app.close();
    });

    // One Host for every instance: the key includes it, and each app listens on its own port.
    const get = (path: string, on: INestApplication = app) =>
      request(on.getHttpServer()).get(path).set('Host', 'shop.test');
    const rename = (id: string, name: string, on: INestApplication = app) =>
      request(on.getHttpServer()).patch(`/dep/products/${id}`).send({ name }).expect(200);

    function seed(category: string, ...ids: string[]): void {
      for (const id of ids) table.rows.set(id, { id, name: `product ${id}`, category });
    }

    it('drops the product page and the list that showed it when a service evicts the product', async () => {
      const [a, b, category] = [nextId(), nextId(), nextId()];
      seed(category, a, b);
      expect((await get(`/dep/products/${a}`)).headers['x-cache']).toBe('MISS');
      expect((await get(`/dep/categories/${category}/products`)).headers['x-cache']).toBe('MISS');
      expect((await get(`/dep/products/${a}`)).headers['x-cache']).toBe('HIT');
      expect((await get(`/dep/categories/${category}/products`)).headers['x-cache']).toBe('HIT');

      await rename(a, 'renamed');

      const page = await get(`/dep/products/${a}`);
      expect(page.headers['x-cache']).toBe('MISS');
      expect(page.body).toMatchObject({ id: a, name: 'renamed' });
      const list = await get(`/dep/categories/${category}/products`);
      expect(list.headers['x-cache']).toBe('MISS');
      expect(list.body).toEqual([
        { id: a, name: 'renamed', category },
        { id: b, name: `product ${b}`, category },
      ]);
      // Another product's change leaves the product page alone.
      expect((await get(`/dep/products/${a}`)).headers['x-cache']).toBe('HIT');
    });

    it('learns the products of a page built from a cached list (dependencies replayed from the list entry)', async () => {
      const [a, category] = [nextId(), nextId()];
      seed(category, a);
      // The first page computes the list; the second page (another query string) only hits it.
      await get(`/dep/categories/${category}/products`).expect(200);
      const readsBefore = table.reads;
      const second = await get(`/dep/categories/${category}/products?page=2`);
      expect(second.headers['x-cache']).toBe('MISS');
      expect(table.reads).toBe(readsBefore); // built from the cached list, no database read
      expect((await get(`/dep/categories/${category}/products?page=2`)).headers['x-cache']).toBe('HIT');

      await rename(a, 'renamed');

      const fresh = await get(`/dep/categories/${category}/products?page=2`);
      expect(fresh.headers['x-cache']).toBe('MISS');
      expect(fresh.body).toEqual([{ id: a, name: 'renamed', category }]);
    });

    it('depends on keys read through CacheService, even when they were missing', async () => {
      const cache = app.get(CacheService);
      const first = await get('/dep/banner');
      expect(first.body).toEqual({ banner: 'none' });
      expect((await get('/dep/banner')).headers['x-cache']).toBe('HIT');
      await cache.set('banner', 'winter sale');
      const fresh = await get('/dep/banner');
      expect(fresh.headers['x-cache']).toBe('MISS');
      expect(fresh.body).toEqual({ banner: 'winter sale' });
      await cache.delete('banner');
    });

    it('does not keep a page whose product was evicted while its handler ran', async () => {
      const id = nextId();
      seed(nextId(), id);
      let release!: () => void;
      holds.set(id, new Promise<void>((resolve) => (release = resolve)));
      const waiting = new Promise<void>((resolve) => reached.set(id, resolve));
      const slow = get(`/dep/slow/${id}`).then((res) => res);
      await waiting; // the handler read the product and waits
      await rename(id, 'renamed');
      release();
      const old = await slow;
      expect(old.body).toMatchObject({ name: `product ${id}` }); // it read the old row
      holds.delete(id);
      const next = await get(`/dep/slow/${id}`);
      expect(next.headers['x-cache']).toBe('MISS');
      expect(next.body).toMatchObject({ name: 'renamed' });
    });

    it.runIf(backend.redis)(
      'drops a page cached on one instance when another instance evicts what it read',
      async () => {
        const prefix = uniquePrefix();
        const shared = new ProductTable();
        const first = await createApp(adapter, options(prefix), shared);
        const second = await createApp(adapter, options(prefix), shared);
        try {
          const id = nextId();
          shared.rows.set(id, { id, name: 'kettle', category: 'c' });
          expect((await get(`/dep/products/${id}`, first)).headers['x-cache']).toBe('MISS');
          expect((await get(`/dep/products/${id}`, first)).headers['x-cache']).toBe('HIT');
          expect((await get(`/dep/products/${id}`, second)).headers['x-cache']).toBe('HIT');

          await rename(id, 'teapot', second);

          const fresh = await get(`/dep/products/${id}`, first);
          expect(fresh.headers['x-cache']).toBe('MISS');
          expect(fresh.body).toMatchObject({ name: 'teapot' });
        } finally {
          await first.close();
          await second.close();
        }
      },
    );
  });
});
