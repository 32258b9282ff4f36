import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ADAPTERS } from '../support/http-app.js';
import { sendRawTarget } from '../support/raw-target.js';
import { useRedisServer } from '../support/redis.js';
import { attackBackends, startAttackApp } from './key-attack.controller.js';

const redis = useRedisServer();

/** Spellings of a write to `/atk/users/<id>` that reach its handler and must drop its cached GET. */
const WRITES: {
  name: string;
  /** The GET that is cached (`/atk/users/<id>` unless given). */
  read?: (id: string) => string;
  target: (id: string) => string;
  express: boolean;
  fastify: boolean;
}[] = [
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
  // Sub-delims, `:` and `@` may be sent raw or encoded: the handler gets the same parameter.
  {
    name: 'a raw comma',
    read: (id) => `/atk/users/a%2C${id}`,
    target: (id) => `/atk/users/a,${id}`,
    express: true,
    fastify: true,
  },
  {
    name: 'an encoded comma',
    read: (id) => `/atk/users/a,${id}`,
    target: (id) => `/atk/users/a%2c${id}`,
    express: true,
    fastify: true,
  },
  {
    name: 'a raw @ and :',
    read: (id) => `/atk/users/u%40x%3A${id}`,
    target: (id) => `/atk/users/u@x:${id}`,
    express: true,
    fastify: true,
  },
  {
    name: "raw !$&'()*+=",
    read: (id) => `/atk/users/%21%24%26%27%28%29%2A%2B%3D${id}`,
    target: (id) => `/atk/users/!$&'()*+=${id}`,
    express: true,
    fastify: true,
  },
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
      app = await startAttackApp(adapter, backend);
    });
    afterAll(async () => {
      await app.close();
    });

    it.each(WRITES.filter((write) => write[adapter]))(
      'a 2xx write in $name drops the cached GET',
      async ({ read = (id: string) => `/atk/users/${id}`, target }) => {
        const id = String(Math.random()).slice(2, 10);
        expect((await sendRawTarget(app, read(id))).headers['x-cache']).toBe('MISS');
        expect((await sendRawTarget(app, read(id))).headers['x-cache']).toBe('HIT');
        const write = await sendRawTarget(app, target(id), {}, 'POST');
        expect(write.status).toBe(204);
        expect((await sendRawTarget(app, read(id))).headers['x-cache']).toBe('MISS');
      },
    );
  });
});
