import { describe, expect, it } from 'vitest';
import { HTTP_ADAPTERS } from '../support/http-app.js';
import { useRedisServer } from '../support/redis.js';
import { stackShapes, useCookieApp } from './cookie-apps.support.js';
import { type CookiePage, pageRuns } from './cookie-pages.controller.js';
import { type JsonResponse, rawGet } from './raw-http.js';

const redis = useRedisServer();

type Lines = readonly (readonly [string, string])[];

/** Request headers that ask for a fresh answer on a route with `honorClientNoCache`. */
const REVALIDATING: readonly { name: string; lines: Lines }[] = [
  { name: 'Cache-Control: no-cache', lines: [['Cache-Control', 'no-cache']] },
  { name: 'Cache-Control: max-age=0', lines: [['Cache-Control', 'max-age=0']] },
  { name: 'Pragma: no-cache', lines: [['Pragma', 'no-cache']] },
  {
    name: 'a hard reload (both)',
    lines: [
      ['Pragma', 'no-cache'],
      ['Cache-Control', 'no-cache'],
    ],
  },
];

/** Request headers that never force a fresh answer, even on a route that honours the client. */
const NOT_REVALIDATING: readonly { name: string; lines: Lines }[] = [
  { name: 'Cache-Control: max-age=60', lines: [['Cache-Control', 'max-age=60']] },
  { name: 'Cache-Control: no-store', lines: [['Cache-Control', 'no-store']] },
  {
    name: 'Pragma beside a Cache-Control',
    lines: [
      ['Cache-Control', 'max-stale'],
      ['Pragma', 'no-cache'],
    ],
  },
];

let seq = 0;
const nextId = (): string => `${Date.now().toString(36)}-${++seq}`;

describe.each(HTTP_ADAPTERS)('client no-cache, %s', (adapter) => {
  describe.each(stackShapes(redis))('with $name', (shape) => {
    const app = useCookieApp(adapter, shape.options);
    const get = (path: string, lines: Lines = []): Promise<JsonResponse<CookiePage>> =>
      rawGet<CookiePage>(app(), path, lines);

    it.each(REVALIDATING)(
      'by default, a request with $name is still answered from the cache',
      async ({ lines }) => {
        const id = nextId();
        await get(`/adv/shared/${id}`);
        const asked = await get(`/adv/shared/${id}`, lines);
        expect(asked.headers['x-cache']).toBe('HIT');
        expect(pageRuns(`shared:${id}`)).toBe(1);
      },
    );

    it.each(REVALIDATING)(
      'with honorClientNoCache, $name runs the handler and refreshes the entry',
      async ({ lines }) => {
        const id = nextId();
        await get(`/adv/fresh/${id}`);
        const asked = await get(`/adv/fresh/${id}`, lines);
        expect(asked.headers['x-cache']).toBe('MISS');
        expect(asked.body.n).toBe(2);
        const after = await get(`/adv/fresh/${id}`);
        expect(after.headers['x-cache']).toBe('HIT');
        expect(after.body.n).toBe(2);
      },
    );

    it.each(NOT_REVALIDATING)(
      'with honorClientNoCache, $name is answered from the cache',
      async ({ lines }) => {
        const id = nextId();
        await get(`/adv/fresh/${id}`);
        const asked = await get(`/adv/fresh/${id}`, lines);
        expect(asked.headers['x-cache']).toBe('HIT');
        expect(pageRuns(`fresh:${id}`)).toBe(1);
      },
    );

    it('a no-cache request with a private cookie still bypasses, and leaves the stored page alone', async () => {
      const id = nextId();
      await get(`/adv/fresh/${id}`);
      const personal = await get(`/adv/fresh/${id}`, [
        ['Cache-Control', 'no-cache'],
        ['Cookie', 'jwt=alice'],
      ]);
      expect(personal.headers['x-cache']).toBeUndefined();
      const after = await get(`/adv/fresh/${id}`);
      expect(after.headers['x-cache']).toBe('HIT');
      expect(after.body).toMatchObject({ n: 1, cookie: null });
    });

    it('a burst of concurrent no-cache requests never gets the page stored before it', async () => {
      const id = nextId();
      await get(`/adv/fresh/${id}`);
      const burst = await Promise.all(
        Array.from({ length: 5 }, () => get(`/adv/fresh/${id}`, [['Cache-Control', 'no-cache']])),
      );
      // Each answer was produced after the first page: none of them is the stored page n=1.
      for (const res of burst) expect(res.body.n).toBeGreaterThan(1);
    });
  });
});
