import type { INestApplication } from '@nestjs/common';
import { HttpCacheModule, StrataModule } from '@strata/nestjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpCacheApp, HTTP_ADAPTERS } from '../support/http-app.js';
import { sendRawTarget } from '../support/raw-target.js';
import { useRedisServer } from '../support/redis.js';
import { attackBackends, KeyAttackController } from './key-attack.controller.js';

const redis = useRedisServer();

/** Spellings of a write to `/atk/users/<id>` that reach its handler and must drop its cached GET. */
const WRITES: { name: string; target: (id: string) => string; express: boolean; fastify: boolean }[] = [
  { name: 'origin form', target: (id) => `/atk/users/${id}`, express: true, fastify: true },
  { name: 'with a query', target: (id) => `/atk/users/${id}?x=1`, express: true, fastify: true },
  {
    name: 'absolute form',
    target: (id) => `http://strata.test/atk/users/${id}`,
    express: true,
    fastify: true,
  },
  {
    name: 'absolute form, upper-case scheme and host, explicit port',
    target: (id) => `HTTP://STRATA.TEST:80/atk/users/${id}`,
    express: true,
    fastify: true,
  },
  {
    name: 'absolute form with a query',
    target: (id) => `http://strata.test/atk/users/${id}?x=1`,
    express: true,
    fastify: true,
  },
  // Express routes without case and with an optional trailing `/`; Fastify answers 404 to these.
  { name: 'another case', target: (id) => `/ATK/Users/${id}`, express: true, fastify: false },
  { name: 'a trailing slash', target: (id) => `/atk/users/${id}/`, express: true, fastify: false },
  // Express routes static segments as received (404 here); Fastify decodes before routing.
  { name: 'encoded letters', target: (id) => `/%61tk/users/${id}`, express: false, fastify: true },
  {
    name: 'an encoded parameter',
    target: (id) => `/atk/users/%3${id.slice(0, 1)}${id.slice(1)}`,
    express: true,
    fastify: true,
  },
];

describe.each(HTTP_ADAPTERS)('unsafe requests invalidate every spelling of a path, on %s', (adapter) => {
  describe.each(attackBackends(redis))('with $name', (backend) => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await createHttpCacheApp(adapter, {
        imports: [StrataModule.forRoot(backend.options()), HttpCacheModule.forRoot({})],
        controllers: [KeyAttackController],
      });
    });
    afterAll(async () => {
      await app.close();
    });

    it.each(WRITES.filter((write) => write[adapter]))(
      'a 2xx write in $name drops the cached GET',
      async ({ target }) => {
        const id = String(Math.random()).slice(2, 10);
        expect((await sendRawTarget(app, `/atk/users/${id}`)).headers['x-cache']).toBe('MISS');
        expect((await sendRawTarget(app, `/atk/users/${id}`)).headers['x-cache']).toBe('HIT');
        const write = await sendRawTarget(app, target(id), {}, 'POST');
        expect(write.status).toBe(204);
        expect((await sendRawTarget(app, `/atk/users/${id}`)).headers['x-cache']).toBe('MISS');
      },
    );
  });
});
