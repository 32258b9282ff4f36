import { describe, expect, it } from 'vitest';
import type { HttpCacheScope } from './cache-control.js';
import {
  type CacheRequest,
  type CacheResponse,
  type StorableOptions,
  DEFAULT_CACHEABLE_STATUSES,
  checkCacheableRequest,
  checkStorableResponse,
  cookieNames,
} from './storable-response.js';

const get = (headers: CacheRequest['headers'] = {}): CacheRequest => ({ method: 'GET', headers });
const ok = (headers: CacheResponse['headers'] = {}, status = 200): CacheResponse => ({ status, headers });
const shared: StorableOptions = { scope: 'shared-default' };
const reasonOf = (decision: { ok: boolean; reason?: string }): string | undefined =>
  decision.ok ? undefined : decision.reason;

describe('cookieNames', () => {
  it('lists the names of a Cookie header', () => {
    expect(cookieNames('a=1; connect.sid=s%3Axyz; flag;  b = 2')).toEqual(['a', 'connect.sid', 'flag', 'b']);
    expect(cookieNames(undefined)).toEqual([]);
    expect(cookieNames('')).toEqual([]);
  });
});

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

  it('bypasses a request with a default session cookie, whatever its case', () => {
    for (const cookie of [
      'connect.sid=s%3A1',
      'theme=dark; sessionId=1',
      'session=x',
      'SID=1',
      'a=1, sid=2',
    ]) {
      expect(reasonOf(checkCacheableRequest(get({ cookie }), shared))).toBe('session-cookie');
    }
  });

  it('accepts cookies that are not session cookies', () => {
    expect(checkCacheableRequest(get({ cookie: 'theme=dark; _ga=GA1.2.3' }), shared)).toEqual({ ok: true });
    expect(checkCacheableRequest(get({ cookie: 'mysession=1' }), shared)).toEqual({ ok: true });
  });

  it('takes configured session cookie names, replacing the defaults', () => {
    const options = { scope: 'shared-default' as const, sessionCookieNames: ['app_session'] };
    expect(reasonOf(checkCacheableRequest(get({ cookie: 'app_session=1' }), options))).toBe('session-cookie');
    expect(checkCacheableRequest(get({ cookie: 'connect.sid=1' }), options)).toEqual({ ok: true });
  });

  it('reads repeated Cookie lines', () => {
    expect(reasonOf(checkCacheableRequest(get({ cookie: ['a=1', 'session=2'] }), shared))).toBe(
      'session-cookie',
    );
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

  it('does not store a response to a session request unless private or public', () => {
    const request = get({ cookie: 'connect.sid=s%3Aabc' });
    expect(reasonOf(checkStorableResponse(request, ok(), shared))).toBe('session-cookie');
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
