import type { INestApplication } from '@nestjs/common';
import { HttpCacheModule, STRATA_CACHE_STACK, StrataModule } from '@strata/nestjs';
import type { StrataModuleOptions } from '../../src/module/strata-module.options.js';
import type { CacheStack } from '@strata/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { createHttpCacheApp, HTTP_ADAPTERS } from '../support/http-app.js';
import { rawRequest, type RawResponse } from '../support/raw-response.js';
import { useRedisServer } from '../support/redis.js';
import { failures, gates, HttpCacheTestController, RAW_BYTES, runs } from './http-cache.controller.js';

const redis = useRedisServer();

// With Redis, L1 is on (the bus keeps it coherent) and a fresh page in it is answered without a
// promise; `l1: false` sends every lookup through the full, asynchronous path to Redis.
const backends: { name: string; options: () => StrataModuleOptions }[] = [
  { name: 'memory', options: () => ({ prefix: uniquePrefix(), jitter: 0 }) },
  { name: 'redis', options: () => ({ prefix: uniquePrefix(), jitter: 0, redis: { url: redis.url } }) },
  {
    name: 'redis only (l1: false)',
    options: () => ({ prefix: uniquePrefix(), jitter: 0, redis: { url: redis.url }, l1: false }),
  },
];

type Raw = RawResponse;

/**
 * Pages age on a faked `Date` (the interceptor and the stack compare stored times to
 * `Date.now()`); sockets and timers stay real. Redis's own expiry of a key stays on real time.
 */
const fakeDate = (): void => {
  vi.useFakeTimers({ toFake: ['Date'] });
};
const elapse = (ms: number): void => {
  vi.advanceTimersByTime(ms);
};

let seq = 0;
const nextId = (): string => `${Date.now().toString(36)}-${++seq}`;

describe.each(HTTP_ADAPTERS)('HttpCacheInterceptor on %s', (adapter) => {
  describe.each(backends)('with $name', (backend) => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await createHttpCacheApp(adapter, {
        imports: [StrataModule.forRoot(backend.options()), HttpCacheModule.forRoot({})],
        controllers: [HttpCacheTestController],
      });
    });
    afterAll(async () => {
      await app.close();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    const send = (method: 'get' | 'head' | 'post', path: string, headers: Record<string, string> = {}) =>
      rawRequest(app, method, path, headers);
    const get = (path: string, headers?: Record<string, string>): Promise<Raw> => send('get', path, headers);
    const json = (raw: Raw): Record<string, unknown> =>
      JSON.parse(raw.body.toString('utf8')) as Record<string, unknown>;

    it('serves the second GET from the cache: same bytes, same ETag, Age and X-Cache', async () => {
      const id = nextId();
      const miss = await get(`/t/plain/${id}?b=2&a=1`);
      expect(miss.status).toBe(200);
      expect(miss.headers['x-cache']).toBe('MISS');
      expect(miss.headers['content-type']).toMatch(/^application\/json/);
      expect(miss.headers['cache-control']).toBe('max-age=60');
      expect(miss.headers.etag).toMatch(/^"[\w-]+"$/);
      const hit = await get(`/t/plain/${id}?a=1&b=2`);
      expect(hit.status).toBe(200);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.headers.age).toMatch(/^\d+$/);
      expect(hit.headers.etag).toBe(miss.headers.etag);
      expect(hit.body.equals(miss.body)).toBe(true);
      expect(json(hit)).toEqual({ id, n: 1, text: 'héllo ✓' });
      expect(runs(`plain:${id}`)).toBe(1);
    });

    it('sends bytes as they are, on the miss and on the hit', async () => {
      const id = nextId();
      const miss = await get(`/t/bytes/${id}`);
      const hit = await get(`/t/bytes/${id}`);
      expect(miss.body.equals(RAW_BYTES)).toBe(true);
      expect(hit.body.equals(RAW_BYTES)).toBe(true);
      expect(hit.headers['content-length']).toBe(String(RAW_BYTES.length));
      expect(hit.headers['x-cache']).toBe('HIT');
    });

    it('answers If-None-Match, strong or weak, with a 304 and no body', async () => {
      const id = nextId();
      const first = await get(`/t/plain/${id}`);
      const etag = String(first.headers.etag);
      for (const condition of [etag, `W/${etag}`, `"other", ${etag}`]) {
        const res = await get(`/t/plain/${id}`, { 'If-None-Match': condition });
        expect(res.status).toBe(304);
        expect(res.body.length).toBe(0);
        expect(res.headers.etag).toBe(etag);
        expect(res.headers['cache-control']).toBe('max-age=60');
        expect(res.headers['content-type']).toBeUndefined();
      }
      const other = await get(`/t/plain/${id}`, { 'If-None-Match': '"nope"' });
      expect(other.status).toBe(200);
      expect(runs(`plain:${id}`)).toBe(1);
    });

    it('answers HEAD from a stored GET, with its headers and no body', async () => {
      const id = nextId();
      const full = await get(`/t/plain/${id}`);
      const head = await send('head', `/t/plain/${id}`);
      expect(head.status).toBe(200);
      expect(head.headers['x-cache']).toBe('HIT');
      expect(head.headers.etag).toBe(full.headers.etag);
      expect(head.headers['content-length']).toBe(String(full.body.length));
      expect(head.body.length).toBe(0);
      expect(runs(`plain:${id}`)).toBe(1);
    });

    it('answers a cold HEAD by running the handler, without storing it', async () => {
      const id = nextId();
      const head = await send('head', `/t/plain/${id}`);
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      expect(head.headers['x-cache']).toBe('MISS');
      expect((await get(`/t/plain/${id}`)).headers['x-cache']).toBe('MISS');
      expect(runs(`plain:${id}`)).toBe(2);
    });

    it('never shares the answer to an authenticated request on a default route', async () => {
      const id = nextId();
      const alice = await get(`/t/me/${id}`, { Authorization: 'Bearer alice' });
      const bob = await get(`/t/me/${id}`, { Authorization: 'Bearer bob' });
      const anonymous = await get(`/t/me/${id}`);
      expect(json(alice).auth).toBe('Bearer alice');
      expect(json(bob).auth).toBe('Bearer bob');
      expect(json(anonymous).auth).toBeNull();
      expect(alice.headers['x-cache']).toBeUndefined();
      expect(bob.headers['x-cache']).toBeUndefined();
      // The session cookie bypasses too, and the anonymous page is not served to it.
      const session = await get(`/t/me/${id}`, { Cookie: 'connect.sid=s1', Authorization: 'Bearer carol' });
      expect(json(session).auth).toBe('Bearer carol');
      expect(runs(`me:${id}`)).toBe(4);
    });

    it('caches a private route per user', async () => {
      const id = nextId();
      const u1 = await get(`/t/private/${id}`, { 'X-User': 'u1', Authorization: 'Bearer 1' });
      const u1Again = await get(`/t/private/${id}`, { 'X-User': 'u1', Authorization: 'Bearer 1' });
      const u2 = await get(`/t/private/${id}`, { 'X-User': 'u2', Authorization: 'Bearer 2' });
      expect(u1.headers['cache-control']).toBe('private, max-age=60');
      expect(u1Again.headers['x-cache']).toBe('HIT');
      expect(u1Again.body.equals(u1.body)).toBe(true);
      expect(json(u2)).toEqual({ user: 'u2', n: 2 });
      const nobody = await get(`/t/private/${id}`);
      expect(nobody.headers['x-cache']).toBeUndefined();
      expect(runs(`private:${id}`)).toBe(3);
    });

    it('never stores or replays a response that sets a cookie', async () => {
      const id = nextId();
      const first = await get(`/t/cookie/${id}`);
      const second = await get(`/t/cookie/${id}`);
      expect(first.headers['set-cookie']).toEqual([`token=${id}-1; HttpOnly`]);
      expect(second.headers['set-cookie']).toEqual([`token=${id}-2; HttpOnly`]);
      expect(second.headers['x-cache']).toBe('MISS');
      expect(runs(`cookie:${id}`)).toBe(2);
    });

    it('bypasses a request with X-Forwarded-Host, so no one else gets the poisoned page', async () => {
      const id = nextId();
      const poisoned = await get(`/t/host/${id}`, { 'X-Forwarded-Host': 'evil.example' });
      expect(json(poisoned).link).toBe('https://evil.example/');
      const clean = await get(`/t/host/${id}`);
      expect(json(clean).link).toBe('https://shop.example/');
      const again = await get(`/t/host/${id}`, { 'X-Forwarded-Host': 'evil.example' });
      expect(again.headers['x-cache']).toBeUndefined();
      expect(json(await get(`/t/host/${id}`)).link).toBe('https://shop.example/');
      expect(runs(`host:${id}`)).toBe(3);
    });

    it('keeps one variant per Accept-Language (Vary), and drops them all by tag', async () => {
      const id = nextId();
      const en = await get(`/t/lang/${id}`, { 'Accept-Language': 'en' });
      const fr = await get(`/t/lang/${id}`, { 'Accept-Language': 'fr' });
      expect(json(fr).lang).toBe('fr');
      const enHit = await get(`/t/lang/${id}`, { 'Accept-Language': 'en' });
      const frHit = await get(`/t/lang/${id}`, { 'Accept-Language': 'fr' });
      expect(enHit.headers['x-cache']).toBe('HIT');
      expect(frHit.headers['x-cache']).toBe('HIT');
      expect(enHit.body.equals(en.body)).toBe(true);
      expect(json(frHit).lang).toBe('fr');
      expect(enHit.headers.vary).toBe('Accept-Language');
      expect(runs(`lang:${id}`)).toBe(2);
      await app.get<CacheStack>(STRATA_CACHE_STACK).invalidateTags([`lang:${id}`]);
      expect((await get(`/t/lang/${id}`, { 'Accept-Language': 'fr' })).headers['x-cache']).toBe('MISS');
      expect((await get(`/t/lang/${id}`, { 'Accept-Language': 'en' })).headers['x-cache']).toBe('MISS');
    });

    it('never caches a 5xx, and caches a 404 only with negativeTtl', async () => {
      const id = nextId();
      expect((await get(`/t/fail/${id}`)).status).toBe(503);
      expect((await get(`/t/fail/${id}`)).status).toBe(503);
      expect(runs(`fail:${id}`)).toBe(2);
      const missing = await get(`/t/missing/${id}`);
      const missingAgain = await get(`/t/missing/${id}`);
      expect(missing.status).toBe(404);
      expect(missingAgain.status).toBe(404);
      expect(missingAgain.headers['x-cache']).toBe('HIT');
      expect(missingAgain.body.equals(missing.body)).toBe(true);
      expect(json(missing)).toMatchObject({ statusCode: 404, message: `no item ${id}` });
      expect(runs(`missing:${id}`)).toBe(1);
    });

    it('drops every cached GET of a path after a successful POST to it', async () => {
      const id = nextId();
      await get(`/t/plain/${id}`);
      await get(`/t/plain/${id}?page=2`);
      expect((await get(`/t/plain/${id}?page=2`)).headers['x-cache']).toBe('HIT');
      expect((await send('post', `/t/plain/${id}`)).status).toBe(201);
      expect((await get(`/t/plain/${id}`)).headers['x-cache']).toBe('MISS');
      expect((await get(`/t/plain/${id}?page=2`)).headers['x-cache']).toBe('MISS');
    });

    it('drops a page when one of its route tags is invalidated', async () => {
      const id = nextId();
      await get(`/t/plain/${id}`);
      expect((await get(`/t/plain/${id}`)).headers['x-cache']).toBe('HIT');
      await app.get<CacheStack>(STRATA_CACHE_STACK).invalidateTags([`item:${id}`]);
      const after = await get(`/t/plain/${id}`);
      expect(after.headers['x-cache']).toBe('MISS');
      expect(json(after).n).toBe(2);
    });

    it('runs the handler once for 200 concurrent cold requests', async () => {
      const id = nextId();
      const responses = await Promise.all(Array.from({ length: 200 }, () => get(`/t/slow/${id}`)));
      expect(runs(`slow:${id}`)).toBe(1);
      expect(new Set(responses.map((res) => res.body.toString('base64'))).size).toBe(1);
      expect(responses.every((res) => res.status === 200)).toBe(true);
    });

    it('lets a waiter of another variant run its own handler', async () => {
      const id = nextId();
      const langs = ['en', 'fr', 'en', 'fr', 'de', 'en'];
      const responses = await Promise.all(
        langs.map((lang) => get(`/t/slowlang/${id}`, { 'Accept-Language': lang })),
      );
      responses.forEach((res, i) => expect(json(res).lang).toBe(langs[i]));
      expect(runs(`slowlang:${id}`)).toBeGreaterThanOrEqual(2);
      expect(runs(`slowlang:${id}`)).toBeLessThanOrEqual(langs.length);
    });

    it('lets waiters run their own handler when the leader set a cookie', async () => {
      const id = nextId();
      const responses = await Promise.all(Array.from({ length: 5 }, () => get(`/t/slowcookie/${id}`)));
      const cookies = responses.map((res) => String(res.headers['set-cookie']));
      expect(new Set(cookies).size).toBe(5);
      expect(runs(`slowcookie:${id}`)).toBe(5);
      responses.forEach((res) => expect(cookies).toContain(`token=${String(json(res).n)}`));
    });

    it('does not store a page loaded while a POST to its path ran', async () => {
      const id = nextId();
      const reading = get(`/t/slow/${id}`);
      // The handler runs (and holds the page's load for a while): the POST comes during it.
      await expect.poll(() => runs(`slow:${id}`)).toBe(1);
      expect((await send('post', `/t/slow/${id}`)).status).toBe(201);
      await reading;
      const after = await get(`/t/slow/${id}`);
      expect(after.headers['x-cache']).toBe('MISS');
      expect(json(after).n).toBe(2);
    });

    it('shares a public route even with authenticated requests', async () => {
      const id = nextId();
      const first = await get(`/t/public/${id}`, { Authorization: 'Bearer a' });
      const second = await get(`/t/public/${id}`, { Authorization: 'Bearer b' });
      expect(first.headers['cache-control']).toBe('public, max-age=60');
      expect(second.headers['x-cache']).toBe('HIT');
      expect(runs(`public:${id}`)).toBe(1);
    });

    it("keeps the handler's own ETag and compares it weakly", async () => {
      const id = nextId();
      const first = await get(`/t/etag/${id}`);
      expect(first.headers.etag).toBe('W/"v1"');
      const conditional = await get(`/t/etag/${id}`, { 'If-None-Match': '"v1"' });
      expect(conditional.status).toBe(304);
      expect(runs(`etag:${id}`)).toBe(1);
    });

    it('never caches @Res() routes or StreamableFile answers', async () => {
      const id = nextId();
      expect((await get(`/t/raw/${id}`)).body.toString()).toBe('raw 1');
      expect((await get(`/t/raw/${id}`)).body.toString()).toBe('raw 2');
      expect((await get(`/t/file/${id}`)).body.toString()).toBe('file 1');
      const file = await get(`/t/file/${id}`);
      expect(file.body.toString()).toBe('file 2');
      expect(file.headers['x-cache']).toBeUndefined();
    });

    it('serves a stale page at once, refreshes it once in the background, then serves the fresh one', async () => {
      fakeDate();
      const id = nextId();
      const first = await get(`/t/swr/${id}`);
      expect(first.headers['x-cache']).toBe('MISS');
      expect(first.headers['cache-control']).toBe('max-age=0, stale-while-revalidate=10');
      elapse(1100);
      // The refresh is held at the gate: every answer below was sent before it could finish.
      let release = (): void => undefined;
      gates.set(id, new Promise((resolve) => (release = resolve)));
      try {
        const stale = await Promise.all(Array.from({ length: 20 }, () => get(`/t/swr/${id}`)));
        for (const res of stale) {
          expect(res.status).toBe(200);
          expect(res.headers['x-cache']).toBe('STALE');
          expect(res.headers.age).toBe('1');
          expect(res.headers.etag).toBe(first.headers.etag);
          expect(res.body.equals(first.body)).toBe(true);
          // The handler headers of the stored run, none of the refresh's.
          expect(res.headers['x-handler']).toBe('1');
          expect(res.headers['x-handler-done']).toBe('1');
        }
        // `expect.poll`, not `vi.waitFor`: the latter would move the faked clock at each try.
        await expect.poll(() => runs(`swr:${id}`)).toBe(2);
      } finally {
        release();
      }
      await expect.poll(async () => (await get(`/t/swr/${id}`)).headers['x-cache']).toBe('HIT');
      const fresh = await get(`/t/swr/${id}`);
      expect(json(fresh)).toEqual({ id, n: 2 });
      // Its own ETag: the stale answer's headers (ETag, Age, X-Cache) did not leak into the refresh.
      expect(fresh.headers.etag).not.toBe(first.headers.etag);
      // What the refresh's handler set after the stale answer was sent is in the new entry.
      expect(fresh.headers['x-handler']).toBe('2');
      expect(fresh.headers['x-handler-done']).toBe('2');
      expect(runs(`swr:${id}`)).toBe(2);
    });

    it('never serves a stale page after its path or route tag was invalidated', async () => {
      fakeDate();
      const id = nextId();
      await get(`/t/swr/${id}`);
      elapse(400);
      expect((await send('post', `/t/swr/${id}`)).status).toBe(201);
      const afterPost = await get(`/t/swr/${id}`);
      expect(afterPost.headers['x-cache']).toBe('MISS');
      expect(json(afterPost).n).toBe(2);
      elapse(400);
      await app.get<CacheStack>(STRATA_CACHE_STACK).invalidateTags([`swr:${id}`]);
      const afterTag = await get(`/t/swr/${id}`);
      expect(afterTag.headers['x-cache']).toBe('MISS');
      expect(json(afterTag).n).toBe(3);

      const failing = nextId();
      await get(`/t/sie/${failing}`);
      elapse(400);
      await app.get<CacheStack>(STRATA_CACHE_STACK).invalidateTags([`sie:${failing}`]);
      failures.set(failing, 'throw');
      expect((await get(`/t/sie/${failing}`)).status).toBe(500);
      failures.delete(failing);
    });

    it('serves a stale page when the handler throws or answers a 5xx, without its headers', async () => {
      fakeDate();
      const id = nextId();
      const first = await get(`/t/sie/${id}`);
      expect(first.headers['cache-control']).toBe('max-age=0, stale-if-error=1');
      // Still fresh: a hit, the handler does not run.
      failures.set(id, 'throw');
      expect((await get(`/t/sie/${id}`)).headers['x-cache']).toBe('HIT');
      elapse(400);
      try {
        for (const failure of ['throw', '503'] as const) {
          failures.set(id, failure);
          const stale = await get(`/t/sie/${id}`);
          expect(stale.status).toBe(200);
          expect(stale.headers['x-cache']).toBe('STALE');
          expect(stale.body.equals(first.body)).toBe(true);
          expect(stale.headers['x-handler']).toBe('1');
          expect(stale.headers['x-failed']).toBeUndefined();
        }
        // A 4xx is the handler's answer, not a failure.
        failures.set(id, '404');
        expect((await get(`/t/sie/${id}`)).status).toBe(404);
      } finally {
        failures.delete(id);
      }
      const recovered = await get(`/t/sie/${id}`);
      expect(recovered.headers['x-cache']).toBe('MISS');
      expect(json(recovered).n).toBe(5);
      expect((await get(`/t/sie/${id}`)).headers['x-cache']).toBe('HIT');
    });

    it('answers past the stale window as a miss', async () => {
      fakeDate();
      const id = nextId();
      await get(`/t/sie/${id}`);
      elapse(2000);
      failures.set(id, '503');
      try {
        const res = await get(`/t/sie/${id}`);
        expect(res.status).toBe(503);
        expect(res.headers['x-cache']).toBeUndefined();
      } finally {
        failures.delete(id);
      }
      const fresh = await get(`/t/sie/${id}`);
      expect(fresh.headers['x-cache']).toBe('MISS');
      expect(runs(`sie:${id}`)).toBe(3);
    });

    it('leaves @NoHttpCache routes alone', async () => {
      const id = nextId();
      await get(`/t/never/${id}`);
      const second = await get(`/t/never/${id}`);
      expect(second.headers['x-cache']).toBeUndefined();
      expect(runs(`never:${id}`)).toBe(2);
    });
  });
});
