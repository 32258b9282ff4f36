import type { INestApplication } from '@nestjs/common';
import { HttpCacheModule, StrataModule } from '@strata/nestjs';
import type { StrataModuleOptions } from '../../src/module/strata-module.options.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { createHttpCacheApp, HTTP_ADAPTERS, type HttpAdapterName } from '../support/http-app.js';
import { rawRequest } from '../support/raw-response.js';
import { useRedisServer } from '../support/redis.js';
import { BOM_BYTES, bodyRuns, HttpBodyTestController, TRICKY_TEXT } from './http-body.controller.js';

// Every body form on both adapters: miss and hit (and HEAD from the cache) carry the same bytes
// and the same Content-Type, whichever way sendBytes hands them to the adapter (a string to
// Express's res.send, a StreamableFile, a Buffer to Fastify).

const redis = useRedisServer();

function createApp(adapter: HttpAdapterName, options: StrataModuleOptions): Promise<INestApplication> {
  return createHttpCacheApp(adapter, {
    imports: [StrataModule.forRoot(options), HttpCacheModule.forRoot({})],
    controllers: [HttpBodyTestController],
  });
}

let seq = 0;
const nextId = (): string => `${Date.now().toString(36)}-${++seq}`;

const cases: {
  readonly route: string;
  readonly bytes: Buffer;
  /** The exact Content-Type of miss and hit. */
  readonly contentType: string;
}[] = [
  {
    route: 'json',
    bytes: Buffer.from(JSON.stringify({ id: '<id>', n: 1, text: TRICKY_TEXT }), 'utf8'),
    contentType: 'application/json; charset=utf-8',
  },
  { route: 'text', bytes: Buffer.from(TRICKY_TEXT, 'utf8'), contentType: 'text/plain; charset=utf-8' },
  { route: 'utf8-bytes', bytes: BOM_BYTES, contentType: 'application/octet-stream' },
  { route: 'bom-text', bytes: BOM_BYTES, contentType: 'text/plain; charset=utf-8' },
  {
    route: 'odd-type',
    bytes: Buffer.from(JSON.stringify({ id: '<id>', n: 1 }), 'utf8'),
    contentType: 'application/json;charset=UTF-8',
  },
  {
    route: 'vendor-type',
    bytes: Buffer.from(JSON.stringify({ id: '<id>', n: 1 }), 'utf8'),
    contentType: 'application/vnd.api+json',
  },
];

describe.each(HTTP_ADAPTERS)('HttpCacheInterceptor bodies on %s', (adapter) => {
  describe.each(['memory', 'redis'] as const)('with %s', (backend) => {
    let app: INestApplication;

    beforeAll(async () => {
      const prefix = uniquePrefix();
      app = await createApp(
        adapter,
        backend === 'memory' ? { prefix } : { prefix, redis: { url: redis.url } },
      );
    });
    afterAll(async () => {
      await app.close();
    });

    const send = (method: 'get' | 'head', path: string) => rawRequest(app, method, path);

    it.each(cases)('$route: miss, hit and HEAD send the same bytes and Content-Type', async (c) => {
      const id = nextId();
      const path = `/b/${c.route}/${id}`;
      const expected = Buffer.from(c.bytes.toString('latin1').replace('<id>', id), 'latin1');
      const miss = await send('get', path);
      const hit = await send('get', path);
      const head = await send('head', path);
      expect(miss.headers['x-cache']).toBe('MISS');
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(head.headers['x-cache']).toBe('HIT');
      for (const res of [miss, hit, head]) {
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe(c.contentType);
        expect(res.headers['content-length']).toBe(String(expected.length));
        expect(res.headers.etag).toBe(miss.headers.etag);
      }
      expect(miss.body.equals(expected)).toBe(true);
      expect(hit.body.equals(expected)).toBe(true);
      expect(head.body.length).toBe(0);
      expect(bodyRuns(`${c.route}:${id}`)).toBe(1);
    });
  });
});
