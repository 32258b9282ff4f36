import type { INestApplication } from '@nestjs/common';
import { HttpCacheModule, StrataModule } from '@strata/nestjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpCacheApp, type HttpAdapterName, type HttpAppSetup } from '../support/http-app.js';
import { sendRawTarget } from '../support/raw-target.js';
import { useRedisServer } from '../support/redis.js';
import { attackBackends, type HandlerView, KeyAttackController } from './key-attack.controller.js';

const redis = useRedisServer();

/** Queries that parse alike, or almost alike, on some parser: the usual tricks to share a key. */
const QUERIES = [
  '#q=evil',
  '?z=1#&q=evil',
  '?z=1',
  '',
  '?',
  '?&',
  '?&&',
  '?q=1',
  '?q=1&q=2',
  '?q=2&q=1',
  '?%71=1',
  '?q=evil&%71=good',
  '?%71=good&q=evil',
  '?Q=1',
  '?q=a+b',
  '?q=a%20b',
  '?q=a%2Bb',
  '?q=a%2bb',
  '?q=%zz',
  '?q=%25zz',
  '?q=%',
  '?q=%2',
  '?q',
  '?q=',
  '?q=&q',
  '?q&q=',
  '?=q',
  '?=',
  '?q==',
  '?a[b]=1',
  '?a%5Bb%5D=1',
  '?a%5bb%5d=1',
  '?a[]=1',
  '?a=1',
  '?a[]=1&a[]=2',
  '?a=1&a[]=2',
  '?a[]=2&a=1',
  '?a[0]=x&a[1]=y',
  '?a[1]=y&a[0]=x',
  '?a[b][c]=1',
  '?a.b=1',
  '?q=%26x%3D1',
  '?q=&x=1',
  '?x=1&q=',
  '?q=%3D',
  '?%3D=1',
  '?q=caf%C3%A9',
  '?q=caf%c3%a9',
  '?q=café',
  '?q=%E9',
  '?q=%2F',
  '?q=/',
  '?q=;x',
  '?q=1;q=2',
  '?q=1%3Bq=2',
  '?__proto__=x',
  '?__proto__[a]=1',
  '?constructor=x',
  '?toString=x',
  '?hasOwnProperty=1',
  '?q=%00',
  '?q=1&&q=2',
  '?q=1&q=2&',
  '?%26=1',
  '?q=%23evil',
  '?q=?evil',
  '?q=1?q=2',
  '?q=%7Bx%7D',
  '?q={x}',
  `?q=${'v'.repeat(4_000)}`,
  `?q=${'v'.repeat(4_000)}w`,
  `?${Array.from({ length: 1_001 }, (_, i) => `k${i}=1`).join('&')}&q=evil`,
  `?${Array.from({ length: 1_001 }, (_, i) => `k${i}=1`).join('&')}&q=good`,
];

/** Paths that route alike, or almost alike, on some router. */
const PATHS = [
  '/atk/echo/a',
  '/atk/echo/A',
  '/atk/echo/a/',
  '/atk/echo//a',
  '/atk/echo/./a',
  '/atk/echo/../echo/a',
  '/atk/echo/%61',
  '/atk/echo/a%2Fb',
  '/atk/echo/a%2fb',
  '/atk/echo/a/b',
  '/atk/echo/a%3Fq=evil',
  '/atk/echo/a%23q',
  '/atk/echo/a#q',
  '/atk/echo/a%26b',
  '/atk/echo/a%3Db',
  '/atk/echo/a;q=evil',
  '/atk/echo/a;',
  '/atk/echo/a%3Bq=evil',
  '/atk/echo/a%zz',
  '/atk/echo/a%',
  '/atk/echo/a%252F',
  '/atk/echo/a%25',
  '/atk/echo/a+b',
  '/atk/echo/a%20b',
  '/atk/echo/a%2Bb',
  '/atk/echo/café',
  '/atk/echo/caf%C3%A9',
  '/atk/echo/caf%c3%a9',
  '/atk/echo/caf%E9',
  '/atk/ECHO/a',
  '/atk/Echo/a',
  '/atk/echo/a\\b',
  '/atk/echo/a|b',
  '/atk/echo/a%7Cb',
  '/atk/echo/a{b}',
  '/atk/echo/%7Bb%7D',
  '/atk/echo',
  '/atk/echo/',
  '/atk//echo',
  '/atk/echo/a?',
  '/atk/echo/a?#',
  `/atk/echo/${'x'.repeat(3_000)}`,
  `/atk/echo/${'x'.repeat(3_000)}?q=1`,
  '/atk/echo/%2e',
  '/atk/echo/.',
  '/atk/echo/..',
  '/atk/echo/a%00',
  '/atk/echo/a%C0%AF',
  '/atk/echo/%F0%9F%98%80',
  '/atk/echo/😀',
];

const TARGETS = [
  // Absolute form and asterisk form first: a clean target after them must not get their entry.
  'http://evil.test/atk/echo?q=evil',
  'http://strata.test/atk/echo',
  'http://strata.test:80/atk/echo/a',
  '*',
  ...QUERIES.map((query) => `/atk/echo${query}`),
  ...QUERIES.slice(0, 20).map((query) => `/atk/echo/p${query}`),
  ...PATHS,
];

/** A value with object members sorted: the order of `Object.keys(req.query)` is not keyed. */
const sorted = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((name) => [name, sorted(record[name])]),
  );
};

const viewText = (body: string): string => {
  const view = JSON.parse(body) as HandlerView;
  return JSON.stringify({ path: view.path, params: sorted(view.params), query: sorted(view.query) });
};

/** Each adapter with its defaults, and with the other parsers an app may choose. */
const SETUPS: { name: string; adapter: HttpAdapterName; setup: HttpAppSetup; all: boolean }[] = [
  { name: 'express', adapter: 'express', setup: {}, all: true },
  { name: 'fastify', adapter: 'fastify', setup: {}, all: true },
  // qs: brackets nest, arrays by index, 1,000 parameters at most, depth 5.
  {
    name: 'express, qs parser',
    adapter: 'express',
    setup: { express: { 'query parser': 'extended' } },
    all: false,
  },
  {
    name: 'fastify, ; as a query delimiter, any case, trailing /',
    adapter: 'fastify',
    setup: {
      fastify: {
        useSemicolonDelimiter: true,
        routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
      },
    },
    all: false,
  },
];

describe.each(SETUPS)(
  'HTTP cache keys against what the handler sees, on $name',
  ({ name, adapter, setup, all }) => {
    const shapes = attackBackends(redis);
    describe.each(all ? shapes : shapes.slice(0, 1))('with $name', (backend) => {
      let app: INestApplication;

      beforeAll(async () => {
        app = await createHttpCacheApp(
          adapter,
          {
            imports: [StrataModule.forRoot(backend.options()), HttpCacheModule.forRoot({})],
            controllers: [KeyAttackController],
          },
          setup,
        );
      });
      afterAll(async () => {
        await app.close();
      });

      it('runs the parser it is meant to', async () => {
        const probes: Record<string, [string, unknown]> = {
          'express, qs parser': ['/atk/echo?a[b]=1', { a: { b: '1' } }],
          'fastify, ; as a query delimiter, any case, trailing /': ['/atk/echo;q=1', { q: '1' }],
        };
        const probe = probes[name] ?? ['/atk/echo?a[b]=1', { 'a[b]': '1' }];
        const res = await sendRawTarget(app, probe[0], { 'X-Forwarded-Host': 'bypass.test' });
        expect((JSON.parse(res.body) as HandlerView).query).toEqual(probe[1]);
      });

      it('shares an entry between two targets only when their handlers saw the same path, params and query', async () => {
        let hits = 0;
        for (const target of TARGETS) {
          // What the handler sees for this target: a poisoning header makes the request bypass.
          const own = await sendRawTarget(app, target, { 'X-Forwarded-Host': 'bypass.test' });
          expect(own.headers['x-cache'], target).toBeUndefined();
          const res = await sendRawTarget(app, target);
          if (res.headers['x-cache'] !== 'HIT') continue;
          hits++;
          // Served another target's entry: it must be what this target's handler would have said.
          expect(own.status, target).toBe(200);
          expect(viewText(res.body), target).toBe(viewText(own.body));
        }
        // Equal parses do share entries: `+` and `%20`, `%71` and `q`, a repeated `a=1`, …
        expect(hits).toBeGreaterThan(5);
      });
    });
  },
);
