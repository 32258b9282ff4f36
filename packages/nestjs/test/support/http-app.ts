import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

/** The two HTTP adapters every HTTP cache e2e suite runs on. */
export const HTTP_ADAPTERS = ['express', 'fastify'] as const;
export type HttpAdapterName = (typeof HTTP_ADAPTERS)[number];

/** How an app differs from the adapters' defaults (parsers, router options). */
export interface HttpAppSetup {
  /** Options of the Fastify instance (`routerOptions`, `querystringParser`, …). */
  readonly fastify?: ConstructorParameters<typeof FastifyAdapter>[0];
  /** Express settings, applied before listening (`{ 'query parser': 'extended' }`). */
  readonly express?: Readonly<Record<string, unknown>>;
  /** Runs before the app listens: middleware (`app.use(…)`), Fastify plugins (`app.register(…)`). */
  readonly configure?: (app: INestApplication) => void | Promise<void>;
}

/**
 * Compiles a testing module from `metadata` (which imports `HttpCacheModule.forRoot`: it binds
 * `HttpCacheInterceptor` to every route), and listens on a free loopback port with the chosen adapter (Fastify made ready).
 */
export async function createHttpCacheApp(
  adapter: HttpAdapterName,
  metadata: ModuleMetadata,
  setup: HttpAppSetup = {},
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app =
    adapter === 'express'
      ? moduleRef.createNestApplication(new ExpressAdapter(), { logger: false })
      : moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(setup.fastify), {
          logger: false,
        });
  if (adapter === 'express') {
    const express = app.getHttpAdapter().getInstance() as { set(name: string, value: unknown): unknown };
    for (const [name, value] of Object.entries(setup.express ?? {})) express.set(name, value);
  }
  await setup.configure?.(app);
  await app.listen(0, '127.0.0.1');
  if (adapter === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return app;
}
