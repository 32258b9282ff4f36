/**
 * Invalidation from the database (`@strata/cdc`): on a PostgreSQL with `wal_level = logical`, a
 * row changed behind the shop's back (`psql`) drops the product page that shows it, and `/health`
 * and `/metrics` report the consumer (`StrataCdcModule`); on a server without it, and on PGlite,
 * the shop runs as before, without the module, and says at boot why it is off.
 */
import type { LoggerService } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { CdcConsumer, type CdcEventMap } from '@strata/cdc';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@strata/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createShopApp } from '../src/bootstrap.js';
import { shopCdcSlot } from '../src/cache/shop-cdc.options.js';
import type { ShopConfig } from '../src/config/shop-config.js';
import { testConfig, type TestShop } from './shop.fixture.js';
import supertest from 'supertest';

const LOGICAL = { wal_level: 'logical', max_replication_slots: 10, max_wal_senders: 10 } as const;

/** Keeps every log line (errors are printed too, to debug a failure). */
class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown): void {
    this.lines.push(String(message));
  }
  warn(message: unknown): void {
    this.lines.push(String(message));
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.lines.push(String(message));
    console.error(message, ...rest);
  }
  debug(): void {}
  verbose(): void {}
}

interface LoggedShop extends TestShop {
  readonly logs: RecordingLogger;
}

/** The consumer `StrataCdcModule` runs in the shop. */
function consumerOf(shop: TestShop): CdcConsumer {
  return shop.app.get(CdcConsumer);
}

/** The shop did not import `StrataCdcModule`: no consumer, no `cdc` on `/health` or `/metrics`. */
async function expectNoConsumer(shop: TestShop): Promise<void> {
  // Through ModuleRef: the app's own `get` of a missing provider would also exit the process
  // (Nest's `abortOnError`).
  expect(() => shop.app.get(ModuleRef).get(CdcConsumer, { strict: false })).toThrow(/CdcConsumer/);
  expect((await shop.http.get('/health')).body.details).not.toHaveProperty('cdc');
  expect((await shop.http.get('/metrics').expect(200)).text).not.toContain('strata_cdc_');
}

/** The value of the unlabelled metric `name` in a Prometheus text exposition. */
function metricValue(exposition: string, name: string): number {
  const line = exposition.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

/** The shop as `startShop` boots it, with every log line from its init on recorded. */
async function startLoggedShop(config: ShopConfig): Promise<LoggedShop> {
  const app = await createShopApp(config);
  const logs = new RecordingLogger();
  app.useLogger(logs);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    config,
    http: supertest(url),
    close: () => app.close(),
    logs,
  };
}

/** Runs SQL on a connection of its own, as `psql` would. */
async function psql(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function query<T extends pg.QueryResultRow>(url: string, statement: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(statement)).rows;
  } finally {
    await client.end();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One read of a product page during a poll: what it showed, and whether the change was applied before it. */
interface Read {
  readonly value: unknown;
  readonly cache: unknown;
  readonly appliedBefore: boolean;
}

/**
 * Caches the page at `path` (a MISS, then a HIT), runs `statement` in the database, then reads the
 * page until it shows `expected` (within 5 s). Fails if a read sent after the consumer applied the
 * change still shows the old value, or if a read after the new value shows the old one again.
 */
async function changeBehindTheShop(
  shop: LoggedShop,
  url: string,
  path: string,
  pick: (body: Record<string, unknown>) => unknown,
  statement: string,
  expected: unknown,
): Promise<Read[]> {
  expect((await shop.http.get(path).expect(200)).headers['x-cache']).toBe('MISS');
  const cached = await shop.http.get(path).expect(200);
  expect(cached.headers['x-cache']).toBe('HIT');
  expect(pick(cached.body)).not.toEqual(expected);

  const applied: CdcEventMap['cdc:applied'][] = [];
  const stopListening = consumerOf(shop).events.on('cdc:applied', (event) => applied.push(event));
  try {
    await psql(url, statement);
    const reads: Read[] = [];
    const deadline = Date.now() + 5_000;
    for (;;) {
      const appliedBefore = applied.some((event) => event.changes > 0);
      const response = await shop.http.get(path).expect(200);
      reads.push({ value: pick(response.body), cache: response.headers['x-cache'], appliedBefore });
      if (pick(response.body) !== undefined && isEqual(pick(response.body), expected)) break;
      if (Date.now() > deadline) break;
      await sleep(20);
    }
    // Once applied, no read shows the old value, whether served from the cache or not.
    expect(reads.filter((read) => read.appliedBefore && !isEqual(read.value, expected))).toEqual([]);
    expect(reads.at(-1)?.value, JSON.stringify(reads)).toEqual(expected);
    for (let i = 0; i < 10; i++) {
      expect(pick((await shop.http.get(path).expect(200)).body)).toEqual(expected);
    }
    return reads;
  } finally {
    stopListening();
  }
}

function isEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

describe('invalidation from the database on PostgreSQL with wal_level = logical', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  const shops: LoggedShop[] = [];

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres({ settings: LOGICAL }), startRedis()]);
  });
  afterEach(async () => {
    for (const shop of shops.splice(0)) await shop.close();
  });
  afterAll(async () => {
    await Promise.all([postgres?.dispose(), redis?.dispose()]);
  });

  const start = async (databaseUrl: string, redisUrl: string | undefined): Promise<LoggedShop> => {
    const shop = await startLoggedShop(testConfig({ kind: 'postgres', url: databaseUrl }, redisUrl));
    shops.push(shop);
    return shop;
  };

  it('shows a price changed with a plain UPDATE on the next product page read (with Redis)', async () => {
    const url = await postgres.createDatabase();
    const shop = await start(url, redis.url);
    expect(shop.logs.lines.filter((line) => line.startsWith('Invalidation from the database is'))).toEqual([
      `Invalidation from the database is on: slot ${shopCdcSlot(shop.config.cachePrefix)} (streaming), ` +
        'publication shop_cdc, tables products, prices, stock, reviews, categories, users',
    ]);

    const [row] = await query<{ amount_cents: number }>(
      url,
      'SELECT amount_cents FROM prices WHERE product_id = 1',
    );
    const price = (row?.amount_cents ?? 0) + 1234;
    await changeBehindTheShop(
      shop,
      url,
      '/products/1',
      (body) => (body['price'] as { amountCents?: number } | null)?.amountCents,
      `UPDATE prices SET amount_cents = ${price} WHERE product_id = 1`,
      price,
    );
    expect(consumerOf(shop).status()).toMatchObject({ state: 'streaming', consuming: true });
  });

  it('reports the consumer on /health, and its changes on /metrics', async () => {
    const url = await postgres.createDatabase();
    const shop = await start(url, redis.url);
    const health = await shop.http.get('/health').expect(200);
    expect(health.body.info.cdc).toMatchObject({
      status: 'up',
      state: 'streaming',
      slot: shopCdcSlot(shop.config.cachePrefix),
    });
    expect(health.body.info.cache).toMatchObject({ status: 'up' });

    const before = (await shop.http.get('/metrics').expect(200)).text;
    expect(metricValue(before, 'strata_cdc_consuming')).toBe(1);
    const changesBefore = metricValue(before, 'strata_cdc_changes_total');
    // The counter follows the same event, through a listener added when the app started.
    const applied = new Promise<void>((resolve) => {
      const off = consumerOf(shop).events.on('cdc:applied', (event) => {
        if (event.changes === 0) return;
        off();
        resolve();
      });
    });
    await psql(url, 'UPDATE prices SET amount_cents = amount_cents + 1 WHERE product_id = 7');
    await applied;
    const after = (await shop.http.get('/metrics').expect(200)).text;
    expect(metricValue(after, 'strata_cdc_changes_total')).toBeGreaterThanOrEqual(changesBefore + 1);
    expect(metricValue(after, 'strata_cdc_transactions_total')).toBeGreaterThanOrEqual(1);
  });

  it('drops the pages of a product renamed, restocked, or with a review deleted in the database', async () => {
    const url = await postgres.createDatabase();
    const shop = await start(url, redis.url);
    // Deletes of reviews are mapped through product_id, which only REPLICA IDENTITY FULL sends.
    expect(await query(url, "SELECT relreplident FROM pg_class WHERE relname = 'reviews'")).toEqual([
      { relreplident: 'f' },
    ]);

    await changeBehindTheShop(
      shop,
      url,
      '/products/2',
      (body) => body['name'],
      "UPDATE products SET name = 'Renamed in psql' WHERE id = 2",
      'Renamed in psql',
    );
    await changeBehindTheShop(
      shop,
      url,
      '/products/3',
      (body) => body['inStock'],
      'UPDATE stock SET quantity = 4242 WHERE product_id = 3',
      4242,
    );
    const [reviewed] = await query<{ product_id: number; reviews: number }>(
      url,
      'SELECT product_id, count(*)::int AS reviews FROM reviews GROUP BY product_id ORDER BY product_id LIMIT 1',
    );
    if (reviewed === undefined) throw new Error('the seed wrote no review');
    await changeBehindTheShop(
      shop,
      url,
      `/products/${reviewed.product_id}`,
      (body) => (body['rating'] as { count: number }).count,
      `DELETE FROM reviews WHERE id = (SELECT min(id) FROM reviews WHERE product_id = ${reviewed.product_id})`,
      reviewed.reviews - 1,
    );
  });

  it('is off, saying which ALTER ROLE turns it on, when the role may not replicate', async () => {
    const role = `shop_plain_${Date.now().toString(36)}`;
    const database = `${role}_db`;
    await psql(postgres.url, `CREATE ROLE ${role} LOGIN PASSWORD 'plain'`);
    await psql(postgres.url, `CREATE DATABASE ${database} OWNER ${role}`);
    const url = new URL(postgres.url);
    url.username = role;
    url.password = 'plain';
    url.pathname = `/${database}`;
    const shop = await start(url.toString(), redis.url);
    expect((await shop.http.get('/products/6').expect(200)).body.id).toBe(6);
    const off = shop.logs.lines.filter((line) => line.startsWith('Invalidation from the database is off'));
    expect(off).toHaveLength(1);
    expect(off[0]).toContain(`ALTER ROLE "${role}" REPLICATION`);
    await expectNoConsumer(shop);
  });

  it('reads a temporary slot of its own without Redis', async () => {
    const url = await postgres.createDatabase();
    const shop = await start(url, undefined);
    const slot = shopCdcSlot(shop.config.cachePrefix);
    // The temporary slot is created once the stream connects: changes from then on are read.
    const deadline = Date.now() + 5_000;
    while (
      (
        await query(
          url,
          `SELECT 1 FROM pg_replication_slots WHERE temporary AND active AND slot_name LIKE '${slot}\\_%'`,
        )
      ).length === 0
    ) {
      if (Date.now() > deadline) throw new Error(`no temporary slot ${slot}_… within 5 s`);
      await sleep(20);
    }
    await changeBehindTheShop(
      shop,
      url,
      '/products/4',
      (body) => (body['price'] as { amountCents?: number } | null)?.amountCents,
      'UPDATE prices SET amount_cents = 123456 WHERE product_id = 4',
      123456,
    );
  });
});

describe('invalidation from the database on a server with wal_level = replica', () => {
  let postgres: PostgresServer;

  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.dispose();
  });

  it('boots, serves pages from the cache, and says at boot why it is off and how to turn it on', async () => {
    const shop = await startLoggedShop(
      testConfig({ kind: 'postgres', url: await postgres.createDatabase() }),
    );
    try {
      expect((await shop.http.get('/products/5').expect(200)).headers['x-cache']).toBe('MISS');
      expect((await shop.http.get('/products/5').expect(200)).headers['x-cache']).toBe('HIT');
      const off = shop.logs.lines.filter((line) => line.startsWith('Invalidation from the database is off'));
      expect(off).toHaveLength(1);
      expect(off[0]).toContain('DATABASE_URL points at a server with wal_level = replica');
      expect(off[0]).toContain('ALTER SYSTEM SET wal_level = logical');
      await expectNoConsumer(shop);
    } finally {
      await shop.close();
    }
  });
});

describe('invalidation from the database on PGlite', () => {
  it('is off, and the boot says so once', async () => {
    const shop = await startLoggedShop(testConfig({ kind: 'pglite', dataDir: undefined }));
    try {
      await shop.http.get('/products/5').expect(200);
      const off = shop.logs.lines.filter((line) => line.startsWith('Invalidation from the database is off'));
      expect(off).toHaveLength(1);
      expect(off[0]).toContain('PGlite');
      await expectNoConsumer(shop);
    } finally {
      await shop.close();
    }
  });
});
