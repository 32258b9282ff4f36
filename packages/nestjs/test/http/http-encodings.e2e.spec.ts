import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { INestApplication } from '@nestjs/common';
import type { CacheStack } from '@strata/core';
import { HttpCacheModule, STRATA_CACHE_STACK, StrataModule } from '@strata/nestjs';
import type { StrataModuleOptions } from '../../src/module/strata-module.options.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { createHttpCacheApp, HTTP_ADAPTERS, type HttpAdapterName } from '../support/http-app.js';
import { rawHttp } from '../support/raw-http.js';
import type { RawResponse } from '../support/raw-response.js';
import { useRedisServer } from '../support/redis.js';
import { strongEtag } from '../../src/http/etag.js';
import {
  encodingRuns,
  HttpEncodingsTestController,
  largeText,
  PNG_BYTES,
} from './http-encodings.controller.js';

// Pages stored compressed: each answer goes in the coding its Accept-Encoding selects, decoded
// bytes equal the identity page, and each representation has its own ETag. Requests go through
// Node's own client (rawHttp): it adds no Accept-Encoding and does not decode bodies.

const redis = useRedisServer();

const backends: { name: string; options: (prefix: string) => StrataModuleOptions }[] = [
  { name: 'memory', options: (prefix) => ({ prefix, jitter: 0 }) },
  { name: 'redis', options: (prefix) => ({ prefix, jitter: 0, redis: { url: redis.url } }) },
  {
    name: 'redis only (l1: false)',
    options: (prefix) => ({ prefix, jitter: 0, redis: { url: redis.url }, l1: false }),
  },
];

function createApp(adapter: HttpAdapterName, options: StrataModuleOptions): Promise<INestApplication> {
  return createHttpCacheApp(adapter, {
    imports: [StrataModule.forRoot(options), HttpCacheModule.forRoot({})],
    controllers: [HttpEncodingsTestController],
  });
}

let seq = 0;
const nextId = (): string => `${Date.now().toString(36)}-${++seq}`;

/** The body decoded according to its Content-Encoding. */
function decoded(res: RawResponse): Buffer {
  const coding = res.headers['content-encoding'];
  if (coding === 'br') return brotliDecompressSync(res.body);
  if (coding === 'gzip') return gunzipSync(res.body);
  expect(coding).toBeUndefined();
  return res.body;
}

/** The members of a response's Vary, as sent. */
const varyOf = (res: RawResponse): string[] =>
  String(res.headers.vary ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);

/** `"abc"` -> `"abc-br"`. */
const coded = (etag: unknown, coding: string): string => String(etag).replace(/"$/, `-${coding}"`);

const negotiation: { readonly header: string | undefined; readonly expected: 'br' | 'gzip' | undefined }[] = [
  { header: 'br', expected: 'br' },
  { header: 'gzip', expected: 'gzip' },
  { header: 'gzip, deflate, br', expected: 'br' },
  { header: 'GZIP', expected: 'gzip' },
  { header: 'gzip;q=0.5, br;q=0.1', expected: 'gzip' },
  { header: 'br;q=0, *', expected: 'gzip' },
  { header: 'identity;q=0', expected: undefined },
  { header: '*;q=0', expected: undefined },
  { header: 'deflate', expected: undefined },
  { header: undefined, expected: undefined },
  { header: ' ;;, garbage;q=x, =,', expected: undefined },
];

describe.each(HTTP_ADAPTERS)('stored content codings on %s', (adapter) => {
  describe.each(backends)('with $name', (backend) => {
    let app: INestApplication;
    let prefix: string;

    beforeAll(async () => {
      prefix = uniquePrefix();
      app = await createApp(adapter, backend.options(prefix));
    });
    afterAll(async () => {
      await app.close();
    });

    const get = (path: string, headers: Record<string, string> = {}) => rawHttp(app, 'GET', path, headers);
    const accepting = (header: string | undefined): Record<string, string> =>
      header === undefined ? {} : { 'accept-encoding': header };

    it.each(negotiation)('Accept-Encoding $header gets $expected, on the miss and on hits', async (c) => {
      const id = nextId();
      const path = `/enc/json/${id}`;
      const identity = Buffer.from(largeText(id), 'utf8');
      const miss = await get(path, accepting(c.header));
      const hit = await get(path, accepting(c.header));
      const plain = await get(path);
      expect(miss.headers['x-cache']).toBe('MISS');
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.equals(identity)).toBe(true);
      for (const res of [miss, hit]) {
        expect(res.status).toBe(200);
        expect(res.headers['content-encoding']).toBe(c.expected);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.headers['content-length']).toBe(String(res.body.length));
        expect(decoded(res).equals(identity)).toBe(true);
        expect(res.headers.etag).toBe(
          c.expected === undefined ? plain.headers.etag : coded(plain.headers.etag, c.expected),
        );
        expect(varyOf(res)).toEqual(['Accept-Encoding']);
      }
      if (c.expected !== undefined) expect(hit.body.length).toBeLessThan(identity.length);
      expect(hit.body.equals(miss.body)).toBe(true);
      expect(varyOf(plain)).toEqual(['Accept-Encoding']);
      expect(encodingRuns(`json:${id}`)).toBe(1);
    });

    it('keeps every representation in one entry: the handler runs once for all of them', async () => {
      const id = nextId();
      const path = `/enc/json/${id}`;
      const answers = [];
      for (const header of ['br', 'gzip', undefined, 'gzip;q=1, br;q=0.9', 'br'])
        answers.push(await get(path, accepting(header)));
      expect(answers.map((res) => res.headers['x-cache'])).toEqual(['MISS', 'HIT', 'HIT', 'HIT', 'HIT']);
      expect(answers.map((res) => res.headers['content-encoding'])).toEqual([
        'br',
        'gzip',
        undefined,
        'gzip',
        'br',
      ]);
      expect(encodingRuns(`json:${id}`)).toBe(1);
    });

    it('answers If-None-Match with 304 only for the selected representation', async () => {
      const id = nextId();
      const path = `/enc/json/${id}`;
      const plain = await get(path);
      const identityTag = String(plain.headers.etag);
      const brTag = coded(identityTag, 'br');
      const gzipTag = coded(identityTag, 'gzip');
      expect(brTag).not.toBe(gzipTag);
      // The gzip and identity tags do not validate a br answer (another representation's bytes).
      for (const other of [gzipTag, identityTag]) {
        const res = await get(path, { 'accept-encoding': 'br', 'if-none-match': other });
        expect(res.status).toBe(200);
        expect(res.headers['content-encoding']).toBe('br');
        expect(res.headers.etag).toBe(brTag);
      }
      for (const tag of [brTag, `W/${brTag}`, `"x", ${brTag}`]) {
        const res = await get(path, { 'accept-encoding': 'gzip, br', 'if-none-match': tag });
        expect(res.status).toBe(304);
        expect(res.body.length).toBe(0);
        expect(res.headers.etag).toBe(brTag);
        expect(varyOf(res)).toEqual(['Accept-Encoding']);
        expect(res.headers['content-encoding']).toBeUndefined();
      }
      const gzip304 = await get(path, { 'accept-encoding': 'gzip', 'if-none-match': gzipTag });
      expect(gzip304.status).toBe(304);
      expect(gzip304.headers.etag).toBe(gzipTag);
      const identity304 = await get(path, { 'if-none-match': identityTag });
      expect(identity304.status).toBe(304);
      expect(identity304.headers.etag).toBe(identityTag);
      expect(encodingRuns(`json:${id}`)).toBe(1);
    });

    it('answers a conditional miss with 304 for the representation it selects', async () => {
      const id = nextId();
      const path = `/enc/json/${id}`;
      // The identity tag is the hash of the page's bytes: known before the first request.
      const identityTag = strongEtag(largeText(id));
      const other = await get(path, { 'accept-encoding': 'br', 'if-none-match': coded(identityTag, 'gzip') });
      expect(other.status).toBe(200);
      expect(other.headers['x-cache']).toBe('MISS');
      expect(other.headers.etag).toBe(coded(identityTag, 'br'));
      const id2 = nextId();
      const tag2 = coded(strongEtag(largeText(id2)), 'br');
      const miss = await get(`/enc/json/${id2}`, { 'accept-encoding': 'br', 'if-none-match': tag2 });
      expect(miss.status).toBe(304);
      expect(miss.headers['x-cache']).toBe('MISS');
      expect(miss.headers.etag).toBe(tag2);
      expect(varyOf(miss)).toEqual(['Accept-Encoding']);
    });

    it('answers HEAD as GET: Content-Encoding and Content-Length of the selected representation', async () => {
      const id = nextId();
      const path = `/enc/json/${id}`;
      const br = await get(path, { 'accept-encoding': 'br' });
      const gzip = await get(path, { 'accept-encoding': 'gzip' });
      const plain = await get(path);
      for (const [header, full] of [
        ['br', br],
        ['gzip', gzip],
        [undefined, plain],
      ] as const) {
        const head = await rawHttp(app, 'HEAD', path, accepting(header));
        expect(head.status).toBe(200);
        expect(head.body.length).toBe(0);
        expect(head.headers['x-cache']).toBe('HIT');
        expect(head.headers['content-encoding']).toBe(full.headers['content-encoding']);
        expect(head.headers['content-length']).toBe(String(full.body.length));
        expect(head.headers.etag).toBe(full.headers.etag);
        expect(head.headers.vary).toBe(full.headers.vary);
      }
      expect(encodingRuns(`json:${id}`)).toBe(1);
    });

    it('does not compress small pages, images, no-transform pages, or pages the handler coded', async () => {
      const id = nextId();
      const small = [await get(`/enc/small/${id}`, { 'accept-encoding': 'br' })];
      small.push(await get(`/enc/small/${id}`, { 'accept-encoding': 'br' }));
      for (const res of small) {
        expect(res.headers['content-encoding']).toBeUndefined();
        expect(res.headers.vary).toBeUndefined();
        expect(JSON.parse(res.body.toString('utf8'))).toEqual({ id });
      }
      for (const header of ['br, gzip', 'br, gzip']) {
        const png = await get(`/enc/png/${id}`, { 'accept-encoding': header });
        expect(png.headers['content-encoding']).toBeUndefined();
        expect(png.body.equals(PNG_BYTES)).toBe(true);
        const noTransform = await get(`/enc/no-transform/${id}`, { 'accept-encoding': header });
        expect(noTransform.headers['content-encoding']).toBeUndefined();
        expect(noTransform.headers['cache-control']).toBe('max-age=60, no-transform');
        expect(noTransform.body.toString('utf8')).toBe(largeText(id));
      }
      expect(encodingRuns(`png:${id}`)).toBe(1);
      expect(encodingRuns(`no-transform:${id}`)).toBe(1);
      // Coded by the handler: stored and sent as it is, whatever the request accepts.
      const answers = [];
      for (const header of ['br', 'gzip', undefined])
        answers.push(await get(`/enc/pre-encoded/${id}`, accepting(header)));
      expect(answers.map((res) => res.headers['x-cache'])).toEqual(['MISS', 'HIT', 'HIT']);
      for (const res of answers) {
        expect(res.headers['content-encoding']).toBe('gzip');
        expect(gunzipSync(res.body).toString('utf8')).toBe(largeText(id));
        expect(res.body.equals(answers[0]?.body ?? Buffer.alloc(0))).toBe(true);
      }
    });

    it("merges Accept-Encoding into the route's own Vary, keyed only by the route's names", async () => {
      const id = nextId();
      const path = `/enc/lang/${id}`;
      const fr = await get(path, { 'accept-language': 'fr', 'accept-encoding': 'br' });
      const frGzip = await get(path, { 'accept-language': 'fr', 'accept-encoding': 'gzip' });
      const de = await get(path, { 'accept-language': 'de', 'accept-encoding': 'gzip' });
      expect([fr, frGzip, de].map((res) => res.headers['x-cache'])).toEqual(['MISS', 'HIT', 'MISS']);
      expect([fr, frGzip, de].map((res) => res.headers['content-encoding'])).toEqual(['br', 'gzip', 'gzip']);
      for (const res of [fr, frGzip, de]) expect(varyOf(res)).toEqual(['Accept-Language', 'Accept-Encoding']);
      expect(JSON.parse(decoded(frGzip).toString('utf8'))).toMatchObject({ language: 'fr' });
      expect(JSON.parse(decoded(de).toString('utf8'))).toMatchObject({ language: 'de' });
      expect(encodingRuns(`lang:${id}`)).toBe(2);
    });

    it('stores a page whose handler varies on Accept-Encoding as it is, one variant per value', async () => {
      const id = nextId();
      const path = `/enc/own-vary/${id}`;
      const br = await get(path, { 'accept-encoding': 'br' });
      const brAgain = await get(path, { 'accept-encoding': 'br' });
      const gzip = await get(path, { 'accept-encoding': 'gzip' });
      expect([br, brAgain, gzip].map((res) => res.headers['x-cache'])).toEqual(['MISS', 'HIT', 'MISS']);
      for (const res of [br, brAgain, gzip]) {
        expect(res.headers['content-encoding']).toBeUndefined();
        expect(varyOf(res)).toEqual(['Accept-Encoding']);
      }
      expect(JSON.parse(gzip.body.toString('utf8'))).toMatchObject({ accept: 'gzip' });
      expect(encodingRuns(`own-vary:${id}`)).toBe(2);
    });

    it("writes a coded page without the stack's own compression (it would not shrink)", async () => {
      const stack = app.get<CacheStack>(STRATA_CACHE_STACK);
      const set = vi.spyOn(stack, 'set');
      try {
        const id = nextId();
        await get(`/enc/json/${id}`, { 'accept-encoding': 'br' });
        await get(`/enc/small/${id}`, { 'accept-encoding': 'br' });
        const pages = set.mock.calls.map(([, value, options]) => ({
          coded: (value as { bodyEncoding?: unknown }).bodyEncoding === 'coded',
          compress: (options as { compress?: unknown } | undefined)?.compress,
        }));
        expect(pages).toEqual([
          { coded: true, compress: false },
          { coded: false, compress: undefined },
        ]);
      } finally {
        set.mockRestore();
      }
    });

    if (backend.name !== 'memory') {
      it('serves every representation from Redis to another instance', async () => {
        const id = nextId();
        const path = `/enc/json/${id}`;
        // The key includes Host: both instances are asked for the same one.
        const host = { host: 'shop.test' };
        const miss = await get(path, { ...host, 'accept-encoding': 'gzip' });
        expect(miss.headers['x-cache']).toBe('MISS');
        const other = await createApp(adapter, backend.options(prefix));
        try {
          for (const header of ['br', 'gzip', undefined, 'br']) {
            const res = await rawHttp(other, 'GET', path, { ...host, ...accepting(header) });
            expect(res.headers['x-cache']).toBe('HIT');
            expect(res.headers['content-encoding']).toBe(header);
            expect(decoded(res).toString('utf8')).toBe(largeText(id));
          }
        } finally {
          await other.close();
        }
        expect(encodingRuns(`json:${id}`)).toBe(1);
      });
    }
  });
});
