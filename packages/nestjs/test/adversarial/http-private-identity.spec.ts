import { Controller, Get, Req } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { HttpCache } from '@strata/nestjs';
import type { HttpCacheRequest } from '../../src/http/http-cache.options.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ADAPTERS } from '../support/http-app.js';
import { useRedisServer } from '../support/redis.js';
import { rawGet } from './raw-http.js';
import { attackBackends, startAttackApp } from './key-attack.controller.js';

const redis = useRedisServer();

/** The identity, percent-encoded in `X-User` so that any text (unicode too) can be sent. */
const userHeader = (req: HttpCacheRequest): string | undefined => {
  const user = req.headers['x-user'];
  return typeof user === 'string' ? decodeURIComponent(user) : undefined;
};

/** A page per user; and the same identity read as a number, as apps with numeric ids do. */
@Controller('ident')
class IdentityController {
  private runs = 0;

  @Get('me')
  @HttpCache({ ttl: '60s', scope: 'private', varyBy: userHeader })
  me(@Req() req: HttpCacheRequest): { user: string | undefined; page: string; run: number } {
    return { user: userHeader(req), page: 'me', run: ++this.runs };
  }

  @Get('settings')
  @HttpCache({ ttl: '60s', scope: 'private', varyBy: userHeader })
  settings(@Req() req: HttpCacheRequest): { user: string | undefined; page: string; run: number } {
    return { user: userHeader(req), page: 'settings', run: ++this.runs };
  }

  @Get('numeric')
  @HttpCache<HttpCacheRequest>({
    ttl: '60s',
    scope: 'private',
    // A number where a string is expected (a `req.user.id` typed loosely): never a key.
    varyBy: (req) => Number(userHeader(req)) as unknown as string,
  })
  numeric(@Req() req: HttpCacheRequest): { user: string | undefined; run: number } {
    return { user: userHeader(req), run: ++this.runs };
  }
}

/** Identities that differ by what an encoding could lose: separators, quotes, normalization, length. */
const IDS = [
  'a',
  'a|b',
  'a"|"b',
  'a\\',
  'a,"b"',
  '["a"]',
  '1',
  '01',
  'caf\u00e9', // NFC
  'cafe\u0301', // NFD: looks the same, another identity
  'A',
  ` a`,
  'x'.repeat(8_000),
  `${'x'.repeat(7_999)}y`,
];

describe.each(HTTP_ADAPTERS)('private pages against identities, on %s', (adapter) => {
  describe.each(attackBackends(redis))('with $name', (backend) => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await startAttackApp(adapter, backend, IdentityController);
    });
    afterAll(async () => {
      await app.close();
    });

    type Page = { user: string; page: string; run: number };

    it('gives every identity its own page, however close two identities are', async () => {
      for (const id of IDS) {
        const first = await rawGet<Page>(app, '/ident/me', [['X-User', encodeURIComponent(id)]]);
        expect(first.headers['x-cache'], id.slice(0, 20)).toBe('MISS');
        expect(first.body.user).toBe(id);
      }
      for (const id of IDS) {
        const again = await rawGet<Page>(app, '/ident/me', [['X-User', encodeURIComponent(id)]]);
        expect(again.headers['x-cache'], id.slice(0, 20)).toBe('HIT');
        expect(again.body.user).toBe(id);
      }
    });

    it('keys one identity apart on each route', async () => {
      const me = await rawGet<Page>(app, '/ident/me', [['X-User', 'route-bound']]);
      const settings = await rawGet<Page>(app, '/ident/settings', [['X-User', 'route-bound']]);
      expect(settings.headers['x-cache']).toBe('MISS');
      expect([me.body.page, settings.body.page]).toEqual(['me', 'settings']);
    });

    it('bypasses the cache when varyBy gives a number instead of a string', async () => {
      const first = await rawGet<Page>(app, '/ident/numeric', [['X-User', '7']]);
      const second = await rawGet<Page>(app, '/ident/numeric', [['X-User', '7']]);
      expect(first.headers['x-cache']).toBeUndefined();
      expect(second.headers['x-cache']).toBeUndefined();
      expect(second.body.run).toBeGreaterThan(first.body.run);
    });
  });
});
