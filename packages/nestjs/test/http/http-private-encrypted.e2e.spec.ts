import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Headers, type INestApplication } from '@nestjs/common';
import { HttpCache, HttpCacheModule, StrataModule } from '@strata/nestjs';
import type { StrataModuleOptions } from '../../src/module/strata-module.options.js';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { createHttpCacheApp, HTTP_ADAPTERS } from '../support/http-app.js';
import { useRedisServer } from '../support/redis.js';

let loads = 0;

@Controller('account')
class AccountController {
  @Get('statement')
  @HttpCache({ ttl: '1m', scope: 'private', varyBy: (req) => req.headers['x-user'] as string | undefined })
  statement(@Headers('x-user') user: string): object {
    loads++;
    return { user, iban: `DE89-3704-0044-0532-${user}`, balance: 1234.56 };
  }

  @Get('rates')
  @HttpCache({ ttl: '1m', scope: 'public' })
  rates(): object {
    return { note: 'public exchange rates' };
  }
}

const KEYS = { keys: { k1: randomBytes(32) }, current: 'k1' };

/**
 * `scope: 'private'` pages are encrypted in Redis whenever the module has encryption keys; public
 * pages are not. Read with a raw client; a second instance (empty L1) serves the private page from
 * Redis to its user only.
 */
describe.each(HTTP_ADAPTERS)('private HTTP pages at rest on %s', (adapter) => {
  const redis = useRedisServer();
  let raw: Redis;
  const apps: INestApplication[] = [];
  beforeAll(() => {
    raw = new Redis(redis.url);
  });
  afterAll(() => raw.disconnect());
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  const start = async (options: StrataModuleOptions): Promise<INestApplication> => {
    const app = await createHttpCacheApp(adapter, {
      imports: [StrataModule.forRoot(options), HttpCacheModule.forRoot()],
      controllers: [AccountController],
    });
    apps.push(app);
    return app;
  };

  /** Every string value Redis holds under `prefix`. */
  const everything = async (prefix: string): Promise<string> => {
    const keys = (await raw.keys(`${prefix}*`)).sort();
    const values = await Promise.all(
      keys.map((key) => raw.type(key).then((t) => (t === 'string' ? raw.get(key) : ''))),
    );
    return values.join('\n');
  };

  it('stores a private page encrypted and serves it from Redis to its user only', async () => {
    const prefix = uniquePrefix();
    const options = { prefix, redis: { url: redis.url }, encryption: KEYS };
    const one = await start(options);
    const first = await request(one.getHttpServer()).get('/account/statement').set('x-user', 'ada');
    expect(first.headers['x-cache']).toBe('MISS');
    await request(one.getHttpServer()).get('/account/rates');
    const stored = await everything(prefix);
    expect(stored).not.toContain('DE89');
    expect(stored).not.toContain('1234.56');
    expect(stored).toContain('public exchange rates');

    // Another instance, asked for the same URL (the key holds the host and port).
    const two = await start(options);
    const host = `127.0.0.1:${(one.getHttpServer().address() as AddressInfo).port}`;
    const before = loads;
    const hit = await request(two.getHttpServer())
      .get('/account/statement')
      .set('host', host)
      .set('x-user', 'ada');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body).toEqual(first.body);
    expect(loads).toBe(before);
    const other = await request(two.getHttpServer())
      .get('/account/statement')
      .set('host', host)
      .set('x-user', 'bob');
    expect(other.headers['x-cache']).toBe('MISS');
    expect(other.body).toMatchObject({ user: 'bob' });
  });

  it('stores a private page as before when no keys are configured', async () => {
    const prefix = uniquePrefix();
    const app = await start({ prefix, redis: { url: redis.url } });
    await request(app.getHttpServer()).get('/account/statement').set('x-user', 'ada');
    expect(await everything(prefix)).toContain('DE89');
  });
});
