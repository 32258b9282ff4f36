import type { INestApplication } from '@nestjs/common';
import { HttpCacheModule, StrataModule } from '@strata/nestjs';
import type { StrataModuleOptions } from '../../src/module/strata-module.options.js';
import { afterAll, beforeAll } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { createHttpCacheApp, type HttpAdapterName } from '../support/http-app.js';
import type { RedisHandle } from '../support/redis.js';
import { CookiePagesController } from './cookie-pages.controller.js';

/** The analytics and consent cookies the adversarial apps declare public. */
export const PUBLIC_COOKIES = ['_ga', '_gid', '_fbp', 'CookieConsent'] as const;

/** The stack shapes every adversarial HTTP suite runs on: memory, Redis only, L1 + Redis. */
export function stackShapes(redis: RedisHandle): { name: string; options: () => StrataModuleOptions }[] {
  return [
    { name: 'memory', options: () => ({ prefix: uniquePrefix(), jitter: 0 }) },
    {
      name: 'redis only (l1: false)',
      options: () => ({ prefix: uniquePrefix(), jitter: 0, redis: { url: redis.url }, l1: false }),
    },
    { name: 'L1 + redis', options: () => ({ prefix: uniquePrefix(), jitter: 0, redis: { url: redis.url } }) },
  ];
}

/**
 * Starts, for the enclosing `describe`, an app serving {@link CookiePagesController} with
 * {@link PUBLIC_COOKIES} and a one-minute `defaultPolicy`; returns a getter for it.
 */
export function useCookieApp(
  adapter: HttpAdapterName,
  options: () => StrataModuleOptions,
): () => INestApplication {
  let app: INestApplication | undefined;
  beforeAll(async () => {
    app = await createHttpCacheApp(adapter, {
      imports: [
        StrataModule.forRoot(options()),
        HttpCacheModule.forRoot({ publicCookies: [...PUBLIC_COOKIES], defaultPolicy: { ttl: '1m' } }),
      ],
      controllers: [CookiePagesController],
    });
  });
  afterAll(async () => {
    await app?.close();
  });
  return () => {
    if (app === undefined) throw new Error('the app is only available inside tests');
    return app;
  };
}
