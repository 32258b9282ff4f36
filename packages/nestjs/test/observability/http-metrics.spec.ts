import { Controller, Get, Param, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import {
  HttpCache,
  HttpCacheInterceptor,
  HttpCacheModule,
  StrataMetricsModule,
  StrataModule,
} from '@strata/nestjs';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { sample } from './observability.fixture.js';

@Controller('items')
class ItemsController {
  @Get(':id')
  @HttpCache({ ttl: '1m' })
  find(@Param('id') id: string): { id: string } {
    return { id };
  }
}

const adapters = [
  { name: 'express', adapter: () => new ExpressAdapter() },
  { name: 'fastify', adapter: () => new FastifyAdapter() },
];

describe.each(adapters)('HTTP cache metrics on $name', ({ adapter }) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('counts hits, misses and 304s by route pattern', async () => {
    const registry = new Registry();
    const moduleRef = await Test.createTestingModule({
      imports: [
        StrataModule.forRoot({ prefix: uniquePrefix() }),
        HttpCacheModule.forRoot({}),
        StrataMetricsModule.forRoot({ registry }),
      ],
      controllers: [ItemsController],
    }).compile();
    const nest = moduleRef.createNestApplication<NestFastifyApplication>(adapter(), { logger: false });
    app = nest;
    nest.useGlobalInterceptors(nest.get(HttpCacheInterceptor));
    await nest.listen(0, '127.0.0.1');
    const http = nest.getHttpServer();

    const first = await request(http).get('/items/1').expect(200);
    expect(first.headers['x-cache']).toBe('MISS');
    await request(http).get('/items/1').expect(200).expect('x-cache', 'HIT');
    const etag = first.headers.etag as string;
    await request(http).get('/items/1').set('if-none-match', etag).expect(304);
    await request(http).get('/items/2').expect(200).expect('x-cache', 'MISS');

    const route = '/items/:id';
    const count = (result: string) =>
      sample(registry, 'strata_http_requests_total', { route, method: 'GET', result });
    expect(await count('miss')).toBe(2);
    expect(await count('hit')).toBe(2);
    expect(await count('stale')).toBe(0);
    expect(await sample(registry, 'strata_http_not_modified_total', { route })).toBe(1);
  });
});
