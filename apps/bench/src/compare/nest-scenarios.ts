/**
 * Nest hot paths on both builds: a `@Cacheable` hit in an application context, and a cached
 * `GET` on Fastify answered from memory, sent with `inject` (no socket: the interceptor, Nest's
 * pipeline and Fastify's reply, without the kernel's share). Each app is made with its build's own
 * Nest copy, so decorators are applied by calling them, as TypeScript's emitted code would.
 */
import type { INestApplicationContext, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { isDeepStrictEqual } from 'node:util';
import { makeValue, VALUE_JSON } from '../value.js';
import type { Fixture } from './alternate.js';
import type { CompareScenario } from './compare-scenario.js';
import type { LoadedBuild } from './load-build.js';

/** Applies method decorators to `target.prototype[method]`, last listed first. */
function decorateMethod(target: Type, method: string, decorators: MethodDecorator[]): void {
  const proto = target.prototype as object;
  const descriptor = Object.getOwnPropertyDescriptor(proto, method);
  const decorated = Reflect.decorate(decorators, proto, method, descriptor) as PropertyDescriptor | undefined;
  if (decorated !== undefined) Object.defineProperty(proto, method, decorated);
}

/** Applies class decorators to `target`. */
function decorateClass(target: Type, decorators: ClassDecorator[]): Type {
  return Reflect.decorate(decorators, target) as Type;
}

async function cacheableFixture(build: LoadedBuild): Promise<Fixture> {
  const { Injectable, Module } = build.nestCommon;
  // A class per build (decorating one class for both would mix their metadata); it counts the
  // runs of the cached method: only the first call may run it.
  const Service = class ProductService {
    loads = 0;
    async product(): Promise<unknown> {
      this.loads++;
      return makeValue();
    }
  };
  decorateMethod(Service, 'product', [build.nestjs.Cacheable({ key: 'k', ttl: '1h' })]);
  decorateClass(Service, [Injectable()]);
  const AppModule = decorateClass(class CompareModule {}, [
    Module({ imports: [build.nestjs.StrataModule.forRoot({ prefix: 'compare' })], providers: [Service] }),
  ]);
  const app: INestApplicationContext = await build.nestCore.NestFactory.createApplicationContext(AppModule, {
    logger: false,
    abortOnError: false,
  });
  try {
    const service = app.get(Service);
    await service.product();
    if (!isDeepStrictEqual(await service.product(), makeValue()))
      throw new Error(`${build.label}: the cached value differs`);
    return {
      op: () => service.product(),
      async close() {
        await app.close();
        if (service.loads !== 1) throw new Error(`${build.label}: the method ran ${service.loads} times`);
      },
    };
  } catch (error) {
    await app.close();
    throw error;
  }
}

async function httpFixture(build: LoadedBuild): Promise<Fixture> {
  const { Controller, Get, Module } = build.nestCommon;
  let handlerRuns = 0;
  const ProductController = class {
    product(): unknown {
      handlerRuns++;
      return makeValue();
    }
  };
  decorateMethod(ProductController, 'product', [Get('product'), build.nestjs.HttpCache({ ttl: '1h' })]);
  decorateClass(ProductController, [Controller()]);
  const AppModule = decorateClass(class CompareHttpModule {}, [
    Module({
      imports: [
        build.nestjs.StrataModule.forRoot({ prefix: 'compare-http' }),
        build.nestjs.HttpCacheModule.forRoot({}),
      ],
      controllers: [ProductController],
    }),
  ]);
  const app = await build.nestCore.NestFactory.create<NestFastifyApplication>(
    AppModule,
    new build.nestFastify.FastifyAdapter(),
    { logger: false, abortOnError: false },
  );
  try {
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    const get = () => app.inject({ method: 'GET', url: '/product' });
    await get();
    const hit = await get();
    if (hit.statusCode !== 200 || hit.payload !== VALUE_JSON || hit.headers['x-cache'] !== 'HIT')
      throw new Error(`${build.label}: the second response is not a cached copy of the value`);
    return {
      op: async () => {
        const response = await get();
        return response.statusCode === 200 ? response.payload : undefined;
      },
      async close() {
        await app.close();
        if (handlerRuns !== 1) throw new Error(`${build.label}: the handler ran ${handlerRuns} times`);
      },
    };
  } catch (error) {
    await app.close();
    throw error;
  }
}

/** The Nest scenarios, in report order. */
export const nestScenarios: readonly CompareScenario[] = [
  {
    id: 'cacheable',
    title: '`@Cacheable` L1 hit, Nest application context (default copy per read)',
    shape: { kind: 'latency', ops: 5_000 },
    setup: (build) => cacheableFixture(build),
  },
  {
    id: 'http-fastify',
    title: '`@HttpCache` memory hit, Fastify, `inject`',
    shape: { kind: 'latency', ops: 300 },
    setup: (build) => httpFixture(build),
  },
];
