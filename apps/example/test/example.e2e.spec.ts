import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../src/app.module.js';

describe('example app (memory cache)', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    delete process.env.REDIS_URL;
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(async () => {
    await app.close();
  });

  const json = async (path: string, init?: RequestInit): Promise<unknown> => {
    const response = await fetch(base + path, init);
    expect(response.ok).toBe(true);
    return response.json();
  };

  it('serves a product from cache on the second read, and the update shows at once', async () => {
    const first = await json('/products/1');
    const second = await json('/products/1');
    expect(second).toEqual(first);
    expect(await json('/products/stats')).toEqual({ loads: 1 });

    await json('/products/1', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ price: 11 }),
    });
    expect(await json('/products/1')).toMatchObject({ id: '1', price: 11 });
    // The put stored the new value: no extra load.
    expect(await json('/products/stats')).toEqual({ loads: 1 });
  });

  it('drops the cached list when a product is removed', async () => {
    const before = (await json('/products')) as unknown[];
    await json('/products/2', { method: 'DELETE' });
    const after = (await json('/products')) as unknown[];
    expect(after).toHaveLength(before.length - 1);
    expect((await fetch(base + '/products/2')).status).toBe(404);
  });
});
