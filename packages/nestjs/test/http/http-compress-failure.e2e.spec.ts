import type { INestApplication } from '@nestjs/common';
import { HttpCacheModule, StrataModule } from '@strata/nestjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { createHttpCacheApp, HTTP_ADAPTERS } from '../support/http-app.js';
import { rawHttp } from '../support/raw-http.js';
import { HttpEncodingsTestController, largeText } from './http-encodings.controller.js';

// zlib failing to compress (it can, under memory pressure): brotli refuses every page here.
vi.mock('node:zlib', async (original) => {
  const zlib = await original<typeof import('node:zlib')>();
  return {
    ...zlib,
    brotliCompress: (_input: unknown, _options: unknown, callback: (error: Error | null) => void) =>
      callback(new Error('out of memory')),
  };
});

/** A page that cannot be compressed is still sent and stored, as the handler made it: never a 500. */
describe.each(HTTP_ADAPTERS)('a page zlib fails to compress, on %s', (adapter) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
  });

  it('is answered and cached in identity', async () => {
    app = await createHttpCacheApp(adapter, {
      imports: [StrataModule.forRoot({ prefix: uniquePrefix() }), HttpCacheModule.forRoot({})],
      controllers: [HttpEncodingsTestController],
    });
    const path = `/enc/json/${uniquePrefix()}`;
    const miss = await rawHttp(app, 'GET', path, { 'accept-encoding': 'br, gzip' });
    expect(miss.status).toBe(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    expect(miss.headers['content-encoding']).toBeUndefined();
    const hit = await rawHttp(app, 'GET', path, { 'accept-encoding': 'br, gzip' });
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['content-encoding']).toBeUndefined();
    expect(hit.body.toString('utf8')).toBe(miss.body.toString('utf8'));
    expect(JSON.parse(hit.body.toString('utf8'))).toEqual(JSON.parse(largeText(path.split('/').pop() ?? '')));
  });
});
