import { Controller, Get, type INestApplication, Param } from '@nestjs/common';
import { HttpCache, HttpCacheModule, StrataModule } from '@strata/nestjs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { createHttpCacheApp, HTTP_ADAPTERS } from '../support/http-app.js';

@Controller('cdn')
class CdnController {
  @Get('products/:id')
  @HttpCache({ ttl: '1m', sMaxAge: '1h', tags: (req) => [`product:${req.params.id ?? ''}`, 'product list'] })
  product(@Param('id') id: string): { id: string } {
    return { id };
  }

  @Get('me')
  @HttpCache({ ttl: '1m', sMaxAge: '1h', scope: 'private', varyBy: () => 'user-1', tags: () => ['me'] })
  me(): { user: string } {
    return { user: 'user-1' };
  }
}

describe.each(HTTP_ADAPTERS)('CDN headers on %s', (adapter) => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await createHttpCacheApp(adapter, {
      imports: [
        StrataModule.forRoot({ prefix: uniquePrefix() }),
        HttpCacheModule.forRoot({ cdnTagHeaders: ['Surrogate-Key', 'Cache-Tag'] }),
      ],
      controllers: [CdnController],
    });
  });
  afterAll(async () => {
    await app.close();
  });

  it('emits s-maxage and the route tags for a CDN, on the miss and on the hit', async () => {
    for (const expected of ['MISS', 'HIT']) {
      const res = await request(app.getHttpServer()).get('/cdn/products/42').expect(200);
      expect(res.headers['x-cache']).toBe(expected);
      expect(res.headers['cache-control']).toBe('max-age=60, s-maxage=3600');
      // 'product list' has a space: it would split into two tags, so it is left out.
      expect(res.headers['surrogate-key']).toBe('product:42');
      expect(res.headers['cache-tag']).toBe('product:42');
    }
  });

  it('never tells shared caches to keep a private page', async () => {
    const res = await request(app.getHttpServer()).get('/cdn/me').expect(200);
    expect(res.headers['cache-control']).toBe('private, max-age=60');
  });
});
