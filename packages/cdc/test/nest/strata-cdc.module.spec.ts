import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { StrataConfigError } from '@strata/core';
import { CACHE_MISS, engineOf } from '@strata/core/internal';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { CdcError, StrataCdcModule, type CdcOptions } from '../../src/index.js';
import { eventually, useCdcFixtures } from '../cdc-fixtures.support.js';
import {
  bootShop,
  CapturedLog,
  DATABASE_URL,
  DatabaseConfigModule,
  partsOf,
  type ShopSetup,
} from './cdc-nest-app.support.js';

/** From COMMIT to the invalidation on every instance, on a loaded 2-core machine: asserted with margin. */
const APPLIED_MS = 5_000;
/** A PostgreSQL down or back, seen by a consumer retrying every 100 ms and up (doubling). */
const OUTAGE_MS = 15_000;

/** Prices invalidate their product's entries; the mapping reads `product_id`, on deletes too. */
const catalog = (connection: string, slot: string): CdcOptions => ({
  connection,
  slot,
  publication: slot,
  retryDelay: '100ms',
  tables: {
    prices: (change) => ({ tags: [`product:${String((change.new ?? change.old)?.['product_id'])}`] }),
  },
});

let counter = 0;
const uniquePrefix = (): string => `cdcnest-${process.pid}-${++counter}`;

describe('StrataCdcModule: database changes invalidate a Nest app’s cache', () => {
  const fx = useCdcFixtures();
  const apps: INestApplication[] = [];
  const track = (app: INestApplication): void => void apps.push(app);
  afterEach(async () => {
    // Last booted first: a standby instance never takes over from one closing before it.
    for (const app of apps.splice(0).reverse()) await app.close();
  });

  /** A database with products 1 and 2 priced, and `prices` sending whole old rows. */
  async function shopDatabase(): Promise<string> {
    const url = await fx.database();
    await fx.sql(
      url,
      "insert into products values (1, 'kettle'), (2, 'mug')",
      'insert into prices values (10, 1, 1999), (20, 2, 500)',
      'alter table prices replica identity full',
    );
    return url;
  }

  const setup = (url: string, prefix: string, cdc: ShopSetup['cdc']): ShopSetup => ({
    databaseUrl: url,
    redisUrl: fx.redis.url,
    prefix,
    cdc,
  });

  it('an UPDATE from another connection drops the method entry and the cached page on two instances, one streaming, one standing by', async () => {
    const url = await shopDatabase();
    const prefix = uniquePrefix();
    const a = await bootShop(setup(url, prefix, catalog(url, 'slot_fleet')), track);
    expect(await eventually(() => partsOf(a).consumer.status().state === 'streaming', APPLIED_MS)).toBe(true);
    const b = await bootShop(
      setup(url, prefix, {
        async: {
          imports: [DatabaseConfigModule.register(url)],
          inject: [DATABASE_URL],
          useFactory: (databaseUrl: string) => catalog(databaseUrl, 'slot_fleet'),
        },
      }),
      track,
    );
    expect(await eventually(() => partsOf(b).consumer.status().state === 'standby', APPLIED_MS)).toBe(true);
    expect(partsOf(a).consumer.status()).toMatchObject({
      state: 'streaming',
      consuming: true,
      slot: 'slot_fleet',
    });
    expect(partsOf(b).consumer.status()).toMatchObject({
      state: 'standby',
      consuming: false,
      slot: 'slot_fleet',
    });

    for (const app of [a, b]) {
      const http = app.getHttpServer();
      const miss = await request(http).get('/products/1/price').expect(200);
      expect([miss.headers['x-cache'], miss.body]).toEqual(['MISS', { productId: 1, amountCents: 1999 }]);
      const hit = await request(http).get('/products/1/price').expect(200);
      expect([hit.headers['x-cache'], hit.body]).toEqual(['HIT', { productId: 1, amountCents: 1999 }]);
      expect(partsOf(app).stack.peek('product:1')).toEqual({ productId: 1, amountCents: 1999 });
    }

    await fx.sql(url, 'update prices set amount_cents = 2499 where product_id = 1');
    for (const app of [a, b]) {
      expect(await eventually(() => partsOf(app).stack.peek('product:1') === CACHE_MISS, APPLIED_MS)).toBe(
        true,
      );
    }
    for (const app of [a, b]) {
      const page = await request(app.getHttpServer()).get('/products/1/price').expect(200);
      expect([page.headers['x-cache'], page.body]).toEqual(['MISS', { productId: 1, amountCents: 2499 }]);
    }
  });

  it('boot fails with E_CDC_TABLE naming public.prices when its replica identity does not send what the mapping reads on a delete', async () => {
    const url = await fx.database(); // prices keeps REPLICA IDENTITY DEFAULT: a delete sends only id
    const boot = bootShop(setup(url, uniquePrefix(), catalog(url, 'slot_identity')), track);
    const error = await boot.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CdcError);
    expect(error).toMatchObject({ code: 'E_CDC_TABLE' });
    expect((error as CdcError).message).toContain('public.prices');
    expect((error as CdcError).message).toContain('old.product_id');
  });

  it('boot fails naming StrataModule when the app does not import it', async () => {
    const compile = Test.createTestingModule({
      imports: [StrataCdcModule.forRoot(catalog('postgres://127.0.0.1:1/none', 'slot_none'))],
    }).compile();
    const error = await compile.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrataConfigError);
    expect((error as Error).message).toMatch(/StrataModule\.forRoot/);
  });

  it('the health indicator is up while streaming, down while PostgreSQL is down, and up again once it is back', async () => {
    const url = await shopDatabase();
    const log = new CapturedLog();
    const app = await bootShop(
      { ...setup(url, uniquePrefix(), catalog(url, 'slot_health')), health: true, logger: log },
      track,
    );
    const { consumer } = partsOf(app);
    expect(await eventually(() => consumer.status().state === 'streaming', APPLIED_MS)).toBe(true);
    const health = () => request(app.getHttpServer()).get('/health');

    const up = await health().expect(200);
    expect(up.body.info.cdc).toMatchObject({
      status: 'up',
      state: 'streaming',
      slot: 'slot_health',
      lagBytes: 0,
      lagSeconds: 0,
    });
    expect(up.body.info.cdc).toHaveProperty('confirmedLsn');
    expect(log.of('StrataCdc', 'log')).toContain('Streaming committed changes from slot slot_health.');

    // A fast shutdown: it must not wait for the consumer's walsender (exact flush positions).
    await fx.postgres.stop();
    try {
      let down: { status?: string; state?: string; slot?: string; message?: string } | undefined;
      const isDown = async () => {
        const res = await health();
        down = res.status === 503 ? res.body.error?.cdc : undefined;
        return down?.state === 'degraded';
      };
      expect(await eventually(isDown, OUTAGE_MS, 20)).toBe(true);
      expect(down).toMatchObject({ status: 'down', slot: 'slot_health' });
      expect(down?.message).toMatch(/^the consumer is degraded: /);
      expect(log.of('StrataCdc', 'warn').join('\n')).toMatch(
        /Change data capture is degraded \(.+\): invalidation relies on TTLs until the consumer reconnects\./,
      );
      expect(log.of('StrataCdc', 'error').join('\n')).toMatch(/^Change data capture failed during stream: /m);
    } finally {
      await fx.postgres.restart();
    }

    expect(await eventually(async () => (await health()).status === 200, OUTAGE_MS, 20)).toBe(true);
    // Streaming for real: a change made now is applied.
    const applied = new Promise((resolve) => consumer.events.on('cdc:applied', resolve));
    await fx.sql(url, 'update prices set amount_cents = 2599 where product_id = 1');
    await applied;
    expect((await health().expect(200)).body.info.cdc).toMatchObject({ status: 'up', state: 'streaming' });
  });

  it('with required: false, a database that cannot serve the mappings leaves the app up, the indicator down and a warning', async () => {
    const url = await fx.database();
    const log = new CapturedLog();
    const cdc = { ...catalog(url, 'slot_unavailable'), required: false };
    const app = await bootShop({ ...setup(url, uniquePrefix(), cdc), health: true, logger: log }, track);
    const res = await request(app.getHttpServer()).get('/health').expect(503);
    expect(res.body.error.cdc).toMatchObject({
      status: 'down',
      state: 'unavailable',
      slot: 'slot_unavailable',
    });
    expect(res.body.error.cdc.message).toContain('public.prices');
    expect(log.of('StrataCdc', 'warn').join('\n')).toMatch(
      /Change data capture is unavailable \(cdc: the mapping of public\.prices .+\): invalidation relies on TTLs until/,
    );
  });

  it('adds strata_cdc_* metrics to the StrataMetrics registry, counting applied changes and fallbacks', async () => {
    const url = await shopDatabase();
    const registry = new Registry();
    const app = await bootShop(
      { ...setup(url, uniquePrefix(), catalog(url, 'slot_metrics')), metrics: registry },
      track,
    );
    const { consumer } = partsOf(app);
    expect(await eventually(() => consumer.status().state === 'streaming', APPLIED_MS)).toBe(true);
    let text = await registry.metrics();
    for (const line of [
      'strata_cdc_consuming 1',
      'strata_cdc_changes_total 0',
      'strata_cdc_transactions_total 0',
    ])
      expect(text).toContain(line);
    expect(text).toMatch(/^strata_cdc_lag_bytes \d+$/m);
    expect(text).toMatch(/^strata_cdc_lag_seconds [\d.]+$/m);
    expect(text).toContain('# TYPE strata_cdc_fallbacks_total counter');
    expect(text).toContain('# TYPE strata_cdc_errors_total counter');

    const applied = new Promise((resolve) => consumer.events.on('cdc:applied', resolve));
    await fx.sql(url, 'update prices set amount_cents = amount_cents + 1');
    await applied;
    text = await registry.metrics();
    expect(text).toContain('strata_cdc_changes_total 2');
    expect(text).toContain('strata_cdc_transactions_total 1');

    const fellBack = new Promise((resolve) => consumer.events.on('cdc:fallback', resolve));
    await fx.sql(url, 'truncate prices');
    await fellBack;
    expect(await registry.metrics()).toContain(
      'strata_cdc_fallbacks_total{table="public.prices",reason="truncate"} 1',
    );

    await apps.splice(apps.indexOf(app), 1)[0]!.close();
    expect(await registry.metrics()).not.toContain('strata_cdc_');
  });

  it('app.close() stops the consumer while the cache stack is open: lease given up, slot inactive, no error', async () => {
    const url = await shopDatabase();
    const app = await bootShop(setup(url, uniquePrefix(), catalog(url, 'slot_close')), track);
    const { consumer, stack } = partsOf(app);
    expect(await eventually(() => consumer.status().state === 'streaming', APPLIED_MS)).toBe(true);
    const leaseKey = `${engineOf(stack).options.prefix}:cdc:slot_close`;
    const redis = new Redis(fx.redis.url);
    const pgClient = new pg.Client({ connectionString: url });
    await pgClient.connect();
    const slotActive = async (): Promise<boolean | undefined> => {
      const slot = await pgClient.query<{ active: boolean }>(
        'select active from pg_replication_slots where slot_name = $1',
        ['slot_close'],
      );
      return slot.rows[0]?.active;
    };
    try {
      expect(await eventually(async () => (await slotActive()) === true, APPLIED_MS)).toBe(true);
      expect(await redis.exists(leaseKey)).toBe(1);
      const errors: unknown[] = [];
      consumer.events.on('cdc:error', (e) => errors.push(e));
      let stackOpenWhenStopped: boolean | undefined;
      consumer.events.on('cdc:state', ({ state }) => {
        if (state === 'stopped') stackOpenWhenStopped = !engineOf(stack).closed && stack.l2Available;
      });

      await apps.splice(apps.indexOf(app), 1)[0]!.close();

      expect(stackOpenWhenStopped).toBe(true);
      expect(engineOf(stack).closed).toBe(true);
      expect(errors).toEqual([]);
      expect(await redis.exists(leaseKey)).toBe(0);
      expect(await slotActive()).toBe(false);
    } finally {
      redis.disconnect();
      await pgClient.end();
    }
  });
});
