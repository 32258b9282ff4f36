import { Controller, Get, Res } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { StrataConfigError } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { HttpCache, NoHttpCache } from './http-cache.decorator.js';
import { resolveRoutePolicy } from './http-cache.options.js';
import { HttpCacheRoutes } from './http-cache-routes.js';

describe('@HttpCache options', () => {
  it('parses durations', () => {
    const policy = resolveRoutePolicy({ ttl: '30s', negativeTtl: 5_000, scope: 'public' });
    expect(policy).toMatchObject({ ttlMs: 30_000, negativeTtlMs: 5_000, scope: 'public' });
    const stale = resolveRoutePolicy({ ttl: '30s', staleWhileRevalidate: '1m', staleIfError: 600_000 });
    expect(stale).toMatchObject({ staleWhileRevalidateMs: 60_000, staleIfErrorMs: 600_000 });
    expect(resolveRoutePolicy({ ttl: '30s', sMaxAge: '1h' })).toMatchObject({ sMaxAgeMs: 3_600_000 });
    expect(resolveRoutePolicy({ ttl: '30s' }).honorClientNoCache).toBe(false);
    expect(resolveRoutePolicy({ ttl: '30s', honorClientNoCache: true }).honorClientNoCache).toBe(true);
  });

  it('rejects a private route without varyBy when the decorator is applied', () => {
    const apply = () => HttpCache({ ttl: '1m', scope: 'private' });
    expect(apply).toThrow(StrataConfigError);
    expect(apply).toThrow(/HttpCache\.varyBy/);
  });

  it.each([
    [{ ttl: 'soon' }, 'HttpCache.ttl'],
    [{ ttl: 0 }, 'HttpCache.ttl'],
    [{ ttl: '10y' }, 'HttpCache.ttl'],
    [{ ttl: 1e19 }, 'HttpCache.ttl'],
    [{ ttl: Infinity }, 'HttpCache.ttl'],
    [{ ttl: '1m', staleWhileRevalidate: '400d' }, 'HttpCache.staleWhileRevalidate'],
    [{ ttl: '1m', staleIfError: 1e19 }, 'HttpCache.staleIfError'],
    [{ ttl: '1m', negativeTtl: -1 }, 'HttpCache.negativeTtl'],
    [{ ttl: '1m', staleWhileRevalidate: 'later' }, 'HttpCache.staleWhileRevalidate'],
    [{ ttl: '1m', staleWhileRevalidate: 0 }, 'HttpCache.staleWhileRevalidate'],
    [{ ttl: '1m', staleIfError: -5 }, 'HttpCache.staleIfError'],
    [{ ttl: '1m', sMaxAge: 'forever' }, 'HttpCache.sMaxAge'],
    [{ ttl: '1m', scope: 'shared' as 'public' }, 'HttpCache.scope'],
    [{ ttl: '1m', varyBy: () => 'u' }, 'HttpCache.varyBy'],
    [{ ttl: '1m', honorClientNoCache: 'yes' as unknown as boolean }, 'HttpCache.honorClientNoCache'],
  ])('rejects %j naming the option', (options, option) => {
    try {
      resolveRoutePolicy(options);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(StrataConfigError);
      expect((error as StrataConfigError).option).toBe(option);
    }
  });
});

describe('HttpCacheRoutes', () => {
  @Controller()
  @HttpCache({ ttl: '1m' })
  class Cached {
    @Get('a') a(): void {}
    @Get('b') @HttpCache({ ttl: '5s' }) b(): void {}
    @Get('c') @NoHttpCache() c(): void {}
    @Get('d') d(@Res() _res: unknown): void {}
  }

  @Controller()
  class Plain {
    @Get('e') e(): void {}
    @Get('f') @NoHttpCache() f(): void {}
  }

  @Controller()
  @NoHttpCache()
  class Off {
    @Get('g') @HttpCache({ ttl: '2s' }) g(): void {}
    @Get('h') h(): void {}
  }

  const reflector = new Reflector();

  it("takes the handler's decorator, then the controller's, and skips @Res() routes", () => {
    const routes = new HttpCacheRoutes(reflector, undefined);
    const proto = Cached.prototype;
    expect(routes.resolve(Cached, proto.a)?.policy.ttlMs).toBe(60_000);
    expect(routes.resolve(Cached, proto.b)?.policy.ttlMs).toBe(5_000);
    expect(routes.resolve(Cached, proto.c)).toBeNull();
    expect(routes.resolve(Cached, proto.d)).toBeNull();
    expect(routes.resolve(Off, Off.prototype.g)?.policy.ttlMs).toBe(2_000);
    expect(routes.resolve(Off, Off.prototype.h)).toBeNull();
    expect(routes.resolve(Plain, Plain.prototype.e)).toBeNull();
  });

  it('applies the module default to undecorated routes, never over @NoHttpCache', () => {
    const routes = new HttpCacheRoutes(reflector, resolveRoutePolicy({ ttl: '10s' }));
    expect(routes.resolve(Plain, Plain.prototype.e)?.policy.ttlMs).toBe(10_000);
    expect(routes.resolve(Plain, Plain.prototype.f)).toBeNull();
    expect(routes.resolve(Off, Off.prototype.h)).toBeNull();
  });
});
