import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import fastifyCompress from '@fastify/compress';
import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { HttpCacheModule, StrataModule } from '@strata/nestjs';
import compression from 'compression';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { createHttpCacheApp, HTTP_ADAPTERS, type HttpAdapterName } from '../support/http-app.js';
import { rawHttp } from '../support/raw-http.js';
import type { RawResponse } from '../support/raw-response.js';
import { useRedisServer } from '../support/redis.js';
import { encodingRuns, HttpEncodingsTestController, largeText } from './http-encodings.controller.js';

// Behind the adapter's usual compression middleware (`compression` on Express, `@fastify/compress`
// on Fastify): a page the cache already coded is not compressed again (both middlewares skip a
// response that has a Content-Encoding), and what the cache stores is the handler's own body,
// whatever the middleware does to the answer.

const redis = useRedisServer();

/** Registers the adapter's compression middleware (default options) before the app listens. */
async function withCompressionMiddleware(adapter: HttpAdapterName, app: INestApplication): Promise<void> {
  if (adapter === 'express') {
    app.use(compression());
    return;
  }
  await (app as NestFastifyApplication).register(fastifyCompress as never);
}

function createApp(adapter: HttpAdapterName, compress: boolean): Promise<INestApplication> {
  return createHttpCacheApp(
    adapter,
    {
      imports: [
        StrataModule.forRoot({ prefix: uniquePrefix(), jitter: 0, redis: { url: redis.url } }),
        HttpCacheModule.forRoot({ compression: compress }),
      ],
      controllers: [HttpEncodingsTestController],
    },
    { configure: (app) => withCompressionMiddleware(adapter, app) },
  );
}

let seq = 0;
const nextId = (): string => `${Date.now().toString(36)}-${++seq}`;

const varyOf = (res: RawResponse): string[] =>
  String(res.headers.vary ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0);

describe.each(HTTP_ADAPTERS)('stored content codings behind the compression middleware on %s', (adapter) => {
  describe('with stored codings (the default)', () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await createApp(adapter, true);
    });
    afterAll(async () => {
      await app.close();
    });

    it('sends the stored coding once: the middleware does not compress it again', async () => {
      const id = nextId();
      const path = `/enc/json/${id}`;
      const identity = largeText(id);
      for (const [header, coding] of [
        ['gzip, deflate, br', 'br'],
        ['gzip, deflate, br', 'br'],
        ['gzip', 'gzip'],
      ] as const) {
        const res = await rawHttp(app, 'GET', path, { 'accept-encoding': header });
        expect(res.status).toBe(200);
        expect(res.headers['content-encoding']).toBe(coding);
        expect(res.headers['content-length']).toBe(String(res.body.length));
        const once = coding === 'br' ? brotliDecompressSync(res.body) : gunzipSync(res.body);
        expect(once.toString('utf8')).toBe(identity);
        expect(varyOf(res)).toEqual(['accept-encoding']);
      }
      // The stored identity body is the handler's own.
      const plain = await rawHttp(app, 'GET', path);
      expect(plain.headers['x-cache']).toBe('HIT');
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.toString('utf8')).toBe(identity);
      expect(encodingRuns(`json:${id}`)).toBe(1);
    });

    it('leaves a page the handler coded itself as it is', async () => {
      const id = nextId();
      for (let i = 0; i < 2; i++) {
        const res = await rawHttp(app, 'GET', `/enc/pre-encoded/${id}`, { 'accept-encoding': 'gzip, br' });
        expect(res.headers['content-encoding']).toBe('gzip');
        expect(gunzipSync(res.body).toString('utf8')).toBe(largeText(id));
      }
      expect(encodingRuns(`pre-encoded:${id}`)).toBe(1);
    });
  });

  describe('without stored codings (compression: false)', () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await createApp(adapter, false);
    });
    afterAll(async () => {
      await app.close();
    });

    it('stores the identity body while the middleware compresses each answer', async () => {
      const id = nextId();
      const path = `/enc/json/${id}`;
      const miss = await rawHttp(app, 'GET', path, { 'accept-encoding': 'gzip' });
      const hit = await rawHttp(app, 'GET', path, { 'accept-encoding': 'gzip' });
      expect([miss, hit].map((res) => res.headers['x-cache'])).toEqual(['MISS', 'HIT']);
      for (const res of [miss, hit]) {
        expect(res.headers['content-encoding']).toBe('gzip');
        expect(gunzipSync(res.body).toString('utf8')).toBe(largeText(id));
      }
      const plain = await rawHttp(app, 'GET', path);
      expect(plain.headers['x-cache']).toBe('HIT');
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.toString('utf8')).toBe(largeText(id));
      expect(encodingRuns(`json:${id}`)).toBe(1);
    });
  });
});
