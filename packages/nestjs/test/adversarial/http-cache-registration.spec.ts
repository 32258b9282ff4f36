import {
  Controller,
  Get,
  type INestApplication,
  type ModuleMetadata,
  Post,
  UseInterceptors,
} from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { CacheStack } from '@strata/core';
import {
  HttpCache,
  HttpCacheInterceptor,
  HttpCacheModule,
  NoHttpCache,
  STRATA_CACHE_STACK,
  StrataModule,
} from '@strata/nestjs';
import { DecoratorMisuseError } from '../../src/errors/decorator-misuse.error.js';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { HTTP_ADAPTERS, type HttpAdapterName } from '../support/http-app.js';

let runs = 0;

@Controller('marked')
class MarkedController {
  @Get()
  @HttpCache({ ttl: '1m' })
  page(): { runs: number } {
    runs += 1;
    return { runs };
  }

  @Post()
  change(): { ok: boolean } {
    return { ok: true };
  }
}

@Controller('class-marked')
@HttpCache({ ttl: '1m' })
class ClassMarkedController {
  @Get()
  page(): { ok: boolean } {
    return { ok: true };
  }
}

@Controller('bound')
@UseInterceptors(HttpCacheInterceptor)
class BoundController {
  @Get()
  @HttpCache({ ttl: '1m' })
  page(): { runs: number } {
    runs += 1;
    return { runs };
  }
}

@Controller('method-bound')
class MethodBoundController {
  @Get()
  @UseInterceptors(HttpCacheInterceptor)
  @HttpCache({ ttl: '1m' })
  page(): { ok: boolean } {
    return { ok: true };
  }

  @Get('other')
  @HttpCache({ ttl: '1m' })
  other(): { ok: boolean } {
    return { ok: true };
  }
}

@Controller('excluded')
@HttpCache({ ttl: '1m' })
@UseInterceptors(HttpCacheInterceptor)
class ExcludedController {
  @Get()
  @NoHttpCache()
  page(): { ok: boolean } {
    return { ok: true };
  }
}

@Controller('opted-out')
class OptedOutController {
  @Get()
  @NoHttpCache()
  page(): { ok: boolean } {
    return { ok: true };
  }
}

interface Boot {
  readonly metadata: ModuleMetadata;
  /** Called before init, as `main.ts` calls `useGlobalInterceptors` before `listen`. */
  readonly before?: (app: INestApplication) => void;
}

const open: INestApplication[] = [];

async function boot(adapter: HttpAdapterName, { metadata, before }: Boot): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app =
    adapter === 'express'
      ? moduleRef.createNestApplication(new ExpressAdapter(), { logger: false })
      : moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  open.push(app);
  before?.(app);
  await app.listen(0, '127.0.0.1');
  if (adapter === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return app;
}

async function bootError(adapter: HttpAdapterName, setup: Boot): Promise<DecoratorMisuseError> {
  const error: unknown = await boot(adapter, setup).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DecoratorMisuseError);
  return error as DecoratorMisuseError;
}

const strata = () => StrataModule.forRoot({ prefix: uniquePrefix() });

describe.each(HTTP_ADAPTERS)('registering the HTTP cache on %s', (adapter) => {
  afterEach(async () => {
    for (const app of open.splice(0)) await app.close().catch(() => undefined);
    runs = 0;
  });

  it('caches @HttpCache routes with HttpCacheModule.forRoot() alone (no argument, no main.ts line)', async () => {
    const app = await boot(adapter, {
      metadata: { imports: [strata(), HttpCacheModule.forRoot()], controllers: [MarkedController] },
    });
    const first = await request(app.getHttpServer()).get('/marked').expect(200);
    const second = await request(app.getHttpServer()).get('/marked').expect(200);
    expect([first.headers['x-cache'], second.headers['x-cache']]).toStrictEqual(['MISS', 'HIT']);
    expect(second.body).toStrictEqual({ runs: 1 });
  });

  it('serves a request once when the interceptor is bound globally, again with useGlobalInterceptors, and on the controller', async () => {
    const app = await boot(adapter, {
      metadata: {
        imports: [strata(), HttpCacheModule.forRoot()],
        controllers: [BoundController, MarkedController],
      },
      before: (nest) => nest.useGlobalInterceptors(nest.get(HttpCacheInterceptor)),
    });
    const stack = app.get<CacheStack>(STRATA_CACHE_STACK);
    const answers: string[] = [];
    const stop = stack.events.on('http:response', ({ result }) => answers.push(result));
    for (const path of ['/bound', '/bound', '/marked', '/marked'])
      await request(app.getHttpServer()).get(path).expect(200);
    // A write to the path drops the page once, and the next read is one miss.
    await request(app.getHttpServer()).post('/marked').expect(201);
    const after = await request(app.getHttpServer()).get('/marked').expect(200);
    stop();
    expect(after.headers['x-cache']).toBe('MISS');
    expect(answers).toStrictEqual(['miss', 'hit', 'miss', 'hit', 'miss']);
    expect(runs).toBe(3);
  });

  it('fails at boot, naming the route and what to add, when @HttpCache is used without the module', async () => {
    const error = await bootError(adapter, {
      metadata: { imports: [strata()], controllers: [MarkedController] },
    });
    expect(error.code).toBe('E_DECORATOR_MISUSE');
    expect(error.target).toBe('MarkedController.page');
    expect(error.message).toContain('HttpCacheModule.forRoot()');
    expect(error.message).toContain('@UseInterceptors(HttpCacheInterceptor)');
  });

  it('fails at boot for a controller-level @HttpCache without the interceptor', async () => {
    const error = await bootError(adapter, {
      metadata: { imports: [strata()], controllers: [ClassMarkedController] },
    });
    expect(error.target).toBe('ClassMarkedController.page');
  });

  it("with interceptor: 'manual', fails for a route its controller does not bind, even when a sibling method binds it", async () => {
    const error = await bootError(adapter, {
      metadata: {
        imports: [strata(), HttpCacheModule.forRoot({ interceptor: 'manual' })],
        controllers: [MethodBoundController],
      },
    });
    expect(error.target).toBe('MethodBoundController.other');
  });

  it("with interceptor: 'manual', accepts @UseInterceptors on the controller or the method, and a global binding made before listen", async () => {
    const manual = () => HttpCacheModule.forRoot({ interceptor: 'manual' });
    const bound = await boot(adapter, {
      metadata: { imports: [strata(), manual()], controllers: [BoundController, ExcludedController] },
    });
    await request(bound.getHttpServer()).get('/bound').expect(200);
    expect((await request(bound.getHttpServer()).get('/bound').expect(200)).headers['x-cache']).toBe('HIT');
    expect(
      (await request(bound.getHttpServer()).get('/excluded').expect(200)).headers['x-cache'],
    ).toBeUndefined();

    const global = await boot(adapter, {
      metadata: { imports: [strata(), manual()], controllers: [MarkedController, ClassMarkedController] },
      before: (nest) => nest.useGlobalInterceptors(nest.get(HttpCacheInterceptor)),
    });
    await request(global.getHttpServer()).get('/marked').expect(200);
    expect((await request(global.getHttpServer()).get('/marked').expect(200)).headers['x-cache']).toBe('HIT');
  });

  it("with interceptor: 'off', boots and leaves @HttpCache routes uncached on purpose", async () => {
    const app = await boot(adapter, {
      metadata: {
        imports: [strata(), HttpCacheModule.forRoot({ interceptor: 'off' })],
        controllers: [MarkedController],
      },
    });
    await request(app.getHttpServer()).get('/marked').expect(200);
    const second = await request(app.getHttpServer()).get('/marked').expect(200);
    expect(second.headers['x-cache']).toBeUndefined();
    expect(second.body).toStrictEqual({ runs: 2 });
  });

  it('boots without the HTTP cache when no route asks for it (only @NoHttpCache)', async () => {
    const app = await boot(adapter, { metadata: { imports: [strata()], controllers: [OptedOutController] } });
    expect(
      (await request(app.getHttpServer()).get('/opted-out').expect(200)).headers['x-cache'],
    ).toBeUndefined();
  });
});
