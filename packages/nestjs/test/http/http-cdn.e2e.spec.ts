import { Controller, Get, type INestApplication, Param } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { HttpCache, HttpCacheInterceptor, HttpCacheModule, StrataModule } from '@strata/nestjs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';

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

const adapters = [
  { name: 'express', adapter: () => new ExpressAdapter() },
  { name: 'fastify', adapter: () => new FastifyAdapter() },
];

describe.each(adapters)('CDN headers on $name', ({ adapter }) => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        StrataModule.forRoot({ prefix: uniquePrefix() }),
        HttpCacheModule.forRoot({ cdnTagHeaders: ['Surrogate-Key', 'Cache-Tag'] }),
      ],
      controllers: [CdnController],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(adapter(), { logger: false });
    app.useGlobalInterceptors(app.get(HttpCacheInterceptor));
    await app.listen(0, '127.0.0.1');
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
