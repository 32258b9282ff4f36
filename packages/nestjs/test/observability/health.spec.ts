import { Controller, Get, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import type { WriteBehindStrategyCache } from '@strata/core';
import { getCacheToken, StrataHealthIndicator, StrataModule, type StrataHealthOptions } from '@strata/nestjs';
import { startRedis, type RedisServer } from '@strata/testing';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { CartWriter, FailingWriter, writeBehindFeature } from './observability.fixture.js';

/** The thresholds the next app's /health uses. */
let thresholds: StrataHealthOptions = {};

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly strata: StrataHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.strata.isHealthy('cache', thresholds)]);
  }
}

async function boot(redisUrl: string | undefined): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TerminusModule.forRoot({ logger: false }),
      StrataModule.forRoot({
        prefix: uniquePrefix(),
        ...(redisUrl !== undefined && {
          redis: { url: redisUrl, commandTimeout: 200, connectTimeout: 500 },
          breaker: { failureThreshold: 1, breakDuration: '100ms' },
        }),
      }),
      writeBehindFeature('memory', 1),
    ],
    controllers: [HealthController],
    providers: [StrataHealthIndicator, CartWriter, FailingWriter],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('StrataHealthIndicator', () => {
  let app: INestApplication | undefined;
  let server: RedisServer | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await app?.close();
    await server?.dispose();
    app = undefined;
    server = undefined;
    thresholds = {};
  });

  it('is down while Redis is killed and up again once it is back', async () => {
    server = await startRedis();
    app = await boot(server.url);
    const http = app.getHttpServer();

    const up = await request(http).get('/health').expect(200);
    expect(up.body.status).toBe('ok');
    expect(up.body.info.cache.status).toBe('up');
    expect(up.body.info.cache.redis).toMatchObject({ reachable: true, breaker: 'closed', bus: 'connected' });
    expect(up.body.info.cache.redis.roundTripMs).toBeGreaterThan(0);

    await server.kill();
    const down = await request(http).get('/health').expect(503);
    expect(down.body.error.cache.status).toBe('down');
    expect(down.body.error.cache.redis.reachable).toBe(false);
    expect(down.body.error.cache.message).toContain('Redis did not answer PING');

    await server.restart();
    await until(async () => (await request(http).get('/health')).status === 200);
    const back = await request(http).get('/health').expect(200);
    expect(back.body.info.cache.redis).toMatchObject({ reachable: true, breaker: 'closed' });
  });

  it("reports a Redis outage as degraded (still 200) with onRedisProblem: 'degraded'", async () => {
    server = await startRedis();
    app = await boot(server.url);
    thresholds = { onRedisProblem: 'degraded' };
    await server.kill();
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body.status).toBe('degraded');
    expect(res.body.details.cache.status).toBe('degraded');
  });

  it('is down when a write-behind write waits longer than maxWriteBehindLag, up once flushed', async () => {
    app = await boot(undefined);
    const http = app.getHttpServer();
    thresholds = { maxWriteBehindLag: '500ms' };
    // The lag of the memory journal is read on `Date`: faked, it passes without waiting.
    vi.useFakeTimers({ toFake: ['Date'] });
    const carts = app.get<WriteBehindStrategyCache<number>>(getCacheToken('carts'));
    await carts.set('a', 1);
    const fresh = await request(http).get('/health');
    expect(fresh.body).toMatchObject({ status: 'ok' });
    expect(fresh.body.info.cache.writeBehind.carts).toMatchObject({ pending: 1, deadLetters: 0 });
    expect(fresh.body.info.cache.redis).toBeUndefined(); // memory only: nothing to ping

    vi.advanceTimersByTime(600);
    const lagging = await request(http).get('/health').expect(503);
    expect(lagging.body.error.cache.message).toMatch(
      /write-behind "carts" has a write pending for \d+ ms \(max 500 ms\)/,
    );

    await carts.flush();
    const flushed = await request(http).get('/health').expect(200);
    expect(flushed.body.info.cache.writeBehind.carts).toEqual({ pending: 0, deadLetters: 0 });
  });

  it('counts unresolved dead letters, is down past maxDeadLetters, and up once they are purged', async () => {
    app = await boot(undefined);
    const http = app.getHttpServer();
    const orders = app.get<WriteBehindStrategyCache<number>>(getCacheToken('orders'));
    await orders.set('x', 1);
    await orders.flush();
    const reported = await request(http).get('/health').expect(200); // one is below the default
    expect(reported.body.info.cache.writeBehind.orders.deadLetters).toBe(1);
    thresholds = { maxDeadLetters: 0 };
    const judged = await request(http).get('/health').expect(503);
    expect(judged.body.error.cache.message).toContain(
      'write-behind "orders" has 1 unresolved dead letters (max 0)',
    );
    await orders.purgeDeadLetters();
    const purged = await request(http).get('/health').expect(200);
    expect(purged.body.info.cache.writeBehind.orders.deadLetters).toBe(0);
  });

  it('rejects a bad threshold naming the option', async () => {
    app = await boot(undefined);
    await expect(
      app.get(StrataHealthIndicator).isHealthy('cache', { maxWriteBehindLag: 'soon' }),
    ).rejects.toThrow(/maxWriteBehindLag/);
  });
});
