/**
 * The Nest apps of scenario 11, one per subject: the same controller method returning the ~1 KB
 * object of `value.ts`, bare, under Strata's `HttpCacheInterceptor` or under `@nestjs/cache-manager`'s
 * `CacheInterceptor`, each set up the way its documentation shows (a global interceptor).
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { createKeyv } from '@keyv/redis';
import { CacheInterceptor, CacheModule, CacheTTL } from '@nestjs/cache-manager';
import {
  Controller,
  type ExecutionContext,
  Get,
  type INestApplication,
  Injectable,
  Module,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { HttpCache, HttpCacheModule, StrataModule } from '@strata/nestjs';
import { type Observable, of } from 'rxjs';
import { makeValue, type Product, VALUE_JSON } from '../value.js';
import fastifyCompress from '@fastify/compress';
import compression from 'compression';
import { makeLargeValue } from '../large-value.js';
import { behindCompression, PAGE_BYTES, type HttpSubject } from './http-subjects.js';

/** How many times the handler ran in this process (one app per process). */
export const handlerRuns = { count: 0 };

/** 1 minute, as `@HttpCache({ ttl: '1m' })`. */
const TTL_MS = 60_000;

@Controller()
class BareController {
  @Get('product')
  product(): Product {
    handlerRuns.count++;
    return makeValue();
  }
}

@Controller()
class StrataController {
  @Get('product')
  @HttpCache({ ttl: '1m' })
  product(): Product {
    handlerRuns.count++;
    return makeValue();
  }
}

@Controller()
class StrataPageController {
  @Get('page')
  @HttpCache({ ttl: '1m' })
  page(): object {
    handlerRuns.count++;
    return makeLargeValue(PAGE_BYTES);
  }
}

@Controller()
class CacheManagerController {
  @Get('product')
  @CacheTTL(TTL_MS)
  product(): Product {
    handlerRuns.count++;
    return makeValue();
  }
}

/** The headers of the reference's answers. */
function referenceHeaders(): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    etag: `"${createHash('sha256').update(VALUE_JSON).digest('base64url')}"`,
    'cache-control': 'max-age=60',
    // The page is stored in its content codings too (1 KB of JSON), so a hit says it varies by them.
    vary: 'Accept-Encoding',
    age: '0',
    'x-cache': 'HIT',
  };
}

/**
 * The reference, not a cache: every request answered with the value's JSON computed once, with
 * the headers a Strata hit sends (Content-Type, a strong ETag, Cache-Control, Vary, Age, X-Cache), the
 * handler never run. The least an interceptor answering from a cache can do: each adapter's
 * cheapest way to set the headers (Node's `setHeader` on Express, one `reply.headers()` on
 * Fastify), then the string, which both adapters send as it is.
 */
@Injectable()
class FloorInterceptor implements NestInterceptor {
  private readonly headers = referenceHeaders();
  private readonly entries = Object.entries(this.headers);

  intercept(context: ExecutionContext): Observable<unknown> {
    const res = context.switchToHttp().getResponse<ServerResponse | FastifyReply>();
    if ('setHeader' in res) {
      for (const [name, value] of this.entries) res.setHeader(name, value);
    } else {
      res.headers(this.headers);
    }
    return of(VALUE_JSON);
  }
}

/** Where the Redis subjects keep their entries (under the run's prefix, which the bench deletes). */
export interface RedisTarget {
  readonly url: string;
  readonly prefix: string;
}

function moduleOf(subject: HttpSubject, redis: RedisTarget | undefined): Type {
  const needRedis = (): RedisTarget => {
    if (redis === undefined) throw new Error(`${subject.name} needs Redis`);
    return redis;
  };
  let imports: unknown[];
  let controller: Type;
  // A global interceptor (APP_INTERCEPTOR): @nestjs/cache-manager's documented setup, and the reference's.
  let interceptor: Type<NestInterceptor> | undefined;
  switch (subject.stack) {
    case 'bare':
      imports = [];
      controller = BareController;
      break;
    case 'floor-interceptor':
      imports = [];
      controller = BareController;
      interceptor = FloorInterceptor;
      break;
    case 'strata-memory':
      imports = [StrataModule.forRoot({ prefix: 'bench-http' }), HttpCacheModule.forRoot({})];
      controller = StrataController;
      break;
    case 'strata-shared':
      // L1 hands out the stored (frozen) entry instead of decoding a copy per hit.
      imports = [
        StrataModule.forRoot({ prefix: 'bench-http', shareReferences: true }),
        HttpCacheModule.forRoot({}),
      ];
      controller = StrataController;
      break;
    case 'strata-redis': {
      const { url, prefix } = needRedis();
      // Redis as the only layer: every hit is a Redis read.
      const strata = StrataModule.forRoot({ prefix: `${prefix}-s11`, l1: false, redis: { url } });
      imports = [strata, HttpCacheModule.forRoot({})];
      controller = StrataController;
      break;
    }
    case 'strata-coded':
      imports = [StrataModule.forRoot({ prefix: 'bench-page' }), HttpCacheModule.forRoot({})];
      controller = StrataPageController;
      break;
    case 'strata-identity-compressed':
      imports = [
        StrataModule.forRoot({ prefix: 'bench-page' }),
        HttpCacheModule.forRoot({ compression: false }),
      ];
      controller = StrataPageController;
      break;
    case 'cm-memory':
      imports = [CacheModule.register({ ttl: TTL_MS })];
      controller = CacheManagerController;
      interceptor = CacheInterceptor;
      break;
    case 'cm-redis': {
      const { url, prefix } = needRedis();
      imports = [
        CacheModule.register({ ttl: TTL_MS, stores: [createKeyv(url, { namespace: `${prefix}-cm11` })] }),
      ];
      controller = CacheManagerController;
      interceptor = CacheInterceptor;
      break;
    }
  }
  const providers = interceptor === undefined ? [] : [{ provide: APP_INTERCEPTOR, useClass: interceptor }];
  @Module({ imports: imports as Type[], controllers: [controller], providers })
  class HttpBenchModule {}
  return HttpBenchModule;
}

/** Builds, configures and starts the app of `subject` on a free loopback port; returns it and the port. */
export async function startApp(
  subject: HttpSubject,
  redis: RedisTarget | undefined,
): Promise<{ readonly app: INestApplication; readonly port: number }> {
  const module = moduleOf(subject, redis);
  const options = { logger: false as const, abortOnError: false };
  const app =
    subject.adapter === 'express'
      ? await NestFactory.create(module, new ExpressAdapter(), options)
      : await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), options);
  if (behindCompression(subject.stack)) {
    // The adapter's usual compression middleware, with its defaults.
    if (subject.adapter === 'express') app.use(compression());
    else await (app as NestFastifyApplication).register(fastifyCompress as never);
  }
  // Strata subjects: HttpCacheModule.forRoot binds HttpCacheInterceptor to every route itself.
  await app.listen(0, '127.0.0.1');
  const address: unknown = app.getHttpServer().address();
  if (address === null || typeof address !== 'object' || !('port' in address))
    throw new Error(`${subject.name}: no port`);
  return { app, port: Number(address.port) };
}
