import { describe, expect, it } from 'vitest';
import type { HttpCacheScope } from './cache-control.js';
import {
  type CacheRequest,
  type CacheResponse,
  type StorableOptions,
  DEFAULT_CACHEABLE_STATUSES,
  checkCacheableRequest,
  checkStorableResponse,
} from './storable-response.js';

const get = (headers: CacheRequest['headers'] = {}): CacheRequest => ({ method: 'GET', headers });
const ok = (headers: CacheResponse['headers'] = {}, status = 200): CacheResponse => ({ status, headers });
const shared: StorableOptions = { scope: 'shared-default' };
const reasonOf = (decision: { ok: boolean; reason?: string }): string | undefined =>
  decision.ok ? undefined : decision.reason;

describe('checkCacheableRequest', () => {
  it('accepts GET and HEAD in any case, nothing else', () => {
    for (const method of ['GET', 'get', 'HEAD', 'head']) {
      expect(checkCacheableRequest({ method, headers: {} }, shared)).toEqual({ ok: true });
    }
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'QUERY']) {
      expect(reasonOf(checkCacheableRequest({ method, headers: {} }, shared))).toBe('method');
    }
  });

  it('bypasses a request with Authorization (even empty) on a shared-default route', () => {
    expect(reasonOf(checkCacheableRequest(get({ authorization: 'Bearer a' }), shared))).toBe('authorization');
    expect(reasonOf(checkCacheableRequest(get({ authorization: '' }), shared))).toBe('authorization');
  });

  it('bypasses a request with any cookie outside publicCookies, session or not', () => {
    const options: StorableOptions = { scope: 'shared-default', publicCookies: new Set(['_ga', 'theme']) };
    for (const cookie of [
      'connect.sid=s%3A1',
      'jwt=eyJhbGciOi',
      'access_token=abc',
      '_ga=GA1.2.3; mysession=1',
      '_GA=1',
      'theme=dark, jwt=x',
      'a=',
      'flag',
      '=value',
    ]) {
      expect(reasonOf(checkCacheableRequest(get({ cookie }), options)), cookie).toBe('cookie');
    }
  });

  it('accepts a request whose cookies are all in publicCookies, or that carries none', () => {
    const options: StorableOptions = { scope: 'shared-default', publicCookies: new Set(['_ga', 'theme']) };
    for (const cookie of ['_ga=GA1.2.3; theme=dark', ' _ga = 1 ;; ', '', ';', ['_ga=1', 'theme=x']]) {
      expect(checkCacheableRequest(get({ cookie }), options), String(cookie)).toEqual({ ok: true });
    }
    expect(reasonOf(checkCacheableRequest(get({ cookie: '_ga=1' }), shared))).toBe('cookie');
  });

  it('reads repeated Cookie lines', () => {
    const options: StorableOptions = { scope: 'shared-default', publicCookies: new Set(['a']) };
    expect(reasonOf(checkCacheableRequest(get({ cookie: ['a=1', 'session=2'] }), options))).toBe('cookie');
  });

  it('accepts authenticated requests on private and public routes', () => {
    for (const scope of ['private', 'public'] as const) {
      expect(
        checkCacheableRequest(get({ authorization: 'Bearer a', cookie: 'connect.sid=1' }), { scope }),
      ).toEqual({
        ok: true,
      });
    }
  });

  it('reads headers through a lookup function', () => {
    const headers: Record<string, string> = { authorization: 'Basic x' };
    expect(
      reasonOf(
        checkCacheableRequest(
          get((name) => headers[name]),
          shared,
        ),
      ),
    ).toBe('authorization');
  });
});

describe('checkStorableResponse', () => {
  it('stores a plain 200 to a plain GET', () => {
    expect(checkStorableResponse(get(), ok({ 'content-type': 'application/json' }), shared)).toEqual({
      ok: true,
    });
  });

  it('never stores HEAD (it is answered from a stored GET)', () => {
    const decision = checkStorableResponse({ method: 'HEAD', headers: {} }, ok(), shared);
    expect(reasonOf(decision)).toBe('method');
  });

  it('stores the default statuses only', () => {
    for (const status of DEFAULT_CACHEABLE_STATUSES) {
      expect(checkStorableResponse(get(), ok({}, status), shared)).toEqual({ ok: true });
    }
    for (const status of [201, 202, 206, 302, 303, 304, 307, 400, 401, 403, 404, 405, 410, 500, 502, 503]) {
      expect(reasonOf(checkStorableResponse(get(), ok({}, status), shared))).toBe('status');
    }
  });

  it('stores 404 and 410 only with negative caching, never other errors', () => {
    const options = { scope: 'shared-default' as const, negativeCaching: true };
    expect(checkStorableResponse(get(), ok({}, 404), options)).toEqual({ ok: true });
    expect(checkStorableResponse(get(), ok({}, 410), options)).toEqual({ ok: true });
    for (const status of [400, 403, 500, 503]) {
      expect(reasonOf(checkStorableResponse(get(), ok({}, status), options))).toBe('status');
    }
  });

  it('never stores a response with Set-Cookie, whatever the scope', () => {
    for (const scope of ['public', 'private', 'shared-default'] as HttpCacheScope[]) {
      expect(reasonOf(checkStorableResponse(get(), ok({ 'set-cookie': ['a=1'] }), { scope }))).toBe(
        'set-cookie',
      );
    }
  });

  it('never stores Vary: *', () => {
    expect(reasonOf(checkStorableResponse(get(), ok({ vary: 'Accept, *' }), shared))).toBe('vary-star');
    expect(checkStorableResponse(get(), ok({ vary: 'Accept-Language' }), shared)).toEqual({ ok: true });
  });

  it('follows the response Cache-Control', () => {
    expect(reasonOf(checkStorableResponse(get(), ok({ 'cache-control': 'no-store' }), shared))).toBe(
      'no-store',
    );
    expect(reasonOf(checkStorableResponse(get(), ok({ 'cache-control': 'no-cache' }), shared))).toBe(
      'no-cache',
    );
    expect(reasonOf(checkStorableResponse(get(), ok({ 'cache-control': 'private' }), shared))).toBe(
      'private',
    );
    expect(
      reasonOf(checkStorableResponse(get(), ok({ 'cache-control': 'private' }), { scope: 'public' })),
    ).toBe('private');
    expect(checkStorableResponse(get(), ok({ 'cache-control': 'private' }), { scope: 'private' })).toEqual({
      ok: true,
    });
    expect(
      reasonOf(checkStorableResponse(get(), ok({ 'cache-control': 'no-store' }), { scope: 'private' })),
    ).toBe('no-store');
  });

  it('does not store a response to an authenticated request unless private or public', () => {
    const request = get({ authorization: 'Bearer user-1' });
    expect(reasonOf(checkStorableResponse(request, ok(), shared))).toBe('authorization');
    expect(checkStorableResponse(request, ok(), { scope: 'private' })).toEqual({ ok: true });
    expect(checkStorableResponse(request, ok(), { scope: 'public' })).toEqual({ ok: true });
  });

  it('does not store a response to a request with a cookie unless private or public', () => {
    const request = get({ cookie: 'jwt=abc' });
    expect(reasonOf(checkStorableResponse(request, ok(), shared))).toBe('cookie');
    expect(checkStorableResponse(request, ok(), { scope: 'private' })).toEqual({ ok: true });
    expect(checkStorableResponse(request, ok(), { scope: 'public' })).toEqual({ ok: true });
  });

  it('gives a readable detail with each reason', () => {
    const decision = checkStorableResponse(get(), ok({ 'cache-control': 'private' }), shared);
    expect(decision).toEqual({
      ok: false,
      reason: 'private',
      detail: 'the response has Cache-Control: private on a route that is not private',
    });
  });

  it('reads response headers through a lookup function', () => {
    const headers: Record<string, string | number | string[]> = {
      'set-cookie': ['s=1'],
      'content-length': 3,
    };
    expect(
      reasonOf(checkStorableResponse(get(), { status: 200, headers: (name) => headers[name] }, shared)),
    ).toBe('set-cookie');
  });
});
