import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { HttpCacheInterceptor } from '@strata/nestjs';

/** The two HTTP adapters every HTTP cache e2e suite runs on. */
export const HTTP_ADAPTERS = ['express', 'fastify'] as const;
export type HttpAdapterName = (typeof HTTP_ADAPTERS)[number];

/**
 * Compiles a testing module from `metadata`, installs `HttpCacheInterceptor` globally, and
 * listens on a free loopback port with the chosen adapter (Fastify made ready).
 */
export async function createHttpCacheApp(
  adapter: HttpAdapterName,
  metadata: ModuleMetadata,
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app =
    adapter === 'express'
      ? moduleRef.createNestApplication(new ExpressAdapter(), { logger: false })
      : moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  app.useGlobalInterceptors(app.get(HttpCacheInterceptor));
  await app.listen(0, '127.0.0.1');
  if (adapter === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return app;
}
