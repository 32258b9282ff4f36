import 'reflect-metadata';
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnModuleDestroy,
  type Provider,
  type Type,
} from '@nestjs/common';
import { Test, type TestingModule, type TestingModuleBuilder } from '@nestjs/testing';
import {
  CacheTransactions,
  type CacheLoader,
  type CacheStack,
  type CacheWriter,
  type DeleteRecord,
  type StrategyCache,
  type WriteRecord,
} from '@strata/core';
import { InjectCache, STRATA_CACHE_STACK, StrataModule } from '@strata/nestjs';
import type { NamedCacheOptions } from '../../src/strategies/strata-feature.options.js';
import pg from 'pg';
import {
  startPostgres,
  startRedis,
  type PostgresServer,
  type RedisServer,
  type StartRedisOptions,
} from '@strata/testing';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { redisModuleOptions, type RedisTarget } from '../support/redis.js';

/** A price row as the app sees it. */
export interface Price {
  readonly id: string;
  readonly amount: number;
}

/** A product row as the app sees it. */
export interface Product {
  readonly id: string;
  readonly name: string;
  readonly price: number;
}

/** What is stored for a price, tombstones included. */
export interface PriceRow {
  readonly amount: number;
  readonly version: number;
  readonly deleted: boolean;
}

export const PG_POOL = Symbol('PG_POOL');

const SCHEMA = `
  CREATE TABLE prices (
    id text PRIMARY KEY,
    amount int NOT NULL CHECK (amount >= 0),
    version bigint NOT NULL,
    deleted boolean NOT NULL DEFAULT false
  );
  CREATE TABLE products (id text PRIMARY KEY, name text NOT NULL, price int NOT NULL);
  CREATE TABLE views (id text PRIMARY KEY, count bigint NOT NULL, version bigint NOT NULL);
`;

/** Creates the tables in a fresh database. */
export async function createSchema(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(SCHEMA);
  } finally {
    await client.end();
  }
}

/** Reads and writes the prices table; counts its queries. */
@Injectable()
export class PriceRepository {
  /** SELECTs run by the loader path. */
  reads = 0;
  /** Every record handed to {@link PriceRepository.upsert}, in delivery order. */
  readonly upserts: WriteRecord<Price>[] = [];
  /** When set, each upsert waits a random time below this before running (reorders concurrent writes). */
  jitterMs = 0;
  /** Runs before an upsert's query (holds a writer mid-call to order a race). */
  beforeUpsert: (() => Promise<void>) | undefined;
  /** Runs after an upsert has committed (fault injection between the persist and the cache write). */
  afterUpsert: (() => Promise<void>) | undefined;

  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async find(id: string): Promise<Price | null> {
    this.reads++;
    const { rows } = await this.pool.query<{ id: string; amount: number }>(
      'SELECT id, amount FROM prices WHERE id = $1 AND NOT deleted',
      [id],
    );
    return rows[0] ?? null;
  }

  /** The row as stored, tombstones included (for assertions; not counted). */
  async row(id: string): Promise<PriceRow | undefined> {
    const { rows } = await this.pool.query<{ amount: number; version: string; deleted: boolean }>(
      'SELECT amount, version, deleted FROM prices WHERE id = $1',
      [id],
    );
    const row = rows[0];
    return row && { amount: row.amount, version: Number(row.version), deleted: row.deleted };
  }

  /** Versioned upsert: an older (or equal) version never replaces a newer row or tombstone. */
  async upsert(record: WriteRecord<Price>): Promise<void> {
    this.upserts.push(record);
    if (this.jitterMs > 0) await sleep(Math.random() * this.jitterMs);
    await this.beforeUpsert?.();
    await this.pool.query(
      `INSERT INTO prices (id, amount, version, deleted) VALUES ($1, $2, $3, false)
       ON CONFLICT (id) DO UPDATE SET amount = excluded.amount, version = excluded.version, deleted = false
       WHERE prices.version < excluded.version`,
      [record.key, record.value.amount, record.version],
    );
    await this.afterUpsert?.();
  }

  /** Versioned delete that keeps a tombstone row. */
  async remove(record: DeleteRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO prices (id, amount, version, deleted) VALUES ($1, 0, $2, true)
       ON CONFLICT (id) DO UPDATE SET deleted = true, version = excluded.version
       WHERE prices.version < excluded.version`,
      [record.key, record.version],
    );
  }
}

/** Reads and writes the products table; counts loads; runs transactions on one pool client. */
@Injectable()
export class ProductRepository {
  /** SELECTs run by the loader path. */
  reads = 0;
  /** When set, each load waits this long in Postgres (so concurrent callers overlap). */
  loadDelayMs = 0;

  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async find(id: string): Promise<Product | null> {
    this.reads++;
    if (this.loadDelayMs > 0) await this.pool.query('SELECT pg_sleep($1)', [this.loadDelayMs / 1000]);
    const { rows } = await this.pool.query<Product>('SELECT id, name, price FROM products WHERE id = $1', [
      id,
    ]);
    return rows[0] ?? null;
  }

  /** The committed row, read on its own connection (for assertions; not counted). */
  async committed(id: string): Promise<Product | undefined> {
    const { rows } = await this.pool.query<Product>('SELECT id, name, price FROM products WHERE id = $1', [
      id,
    ]);
    return rows[0];
  }

  async insert(product: Product): Promise<void> {
    await this.pool.query('INSERT INTO products (id, name, price) VALUES ($1, $2, $3)', [
      product.id,
      product.name,
      product.price,
    ]);
  }

  async updatePrice(id: string, price: number, client: pg.ClientBase | pg.Pool = this.pool): Promise<void> {
    await client.query('UPDATE products SET price = $2 WHERE id = $1', [id, price]);
  }

  /** BEGIN … COMMIT on one client; ROLLBACK and rethrow when `work` throws. */
  async transaction<R>(work: (client: pg.PoolClient) => Promise<R>): Promise<R> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }
}

@Injectable()
export class PriceLoader implements CacheLoader<Price> {
  constructor(private readonly prices: PriceRepository) {}
  load(id: string): Promise<Price | null> {
    return this.prices.find(id);
  }
}

@Injectable()
export class PriceWriter implements CacheWriter<Price> {
  constructor(private readonly prices: PriceRepository) {}
  async writeMany(records: readonly WriteRecord<Price>[]): Promise<void> {
    for (const record of records) await this.prices.upsert(record);
  }
  async deleteMany(records: readonly DeleteRecord[]): Promise<void> {
    for (const record of records) await this.prices.remove(record);
  }
}

@Injectable()
export class ProductLoader implements CacheLoader<Product> {
  constructor(private readonly products: ProductRepository) {}
  load(id: string): Promise<Product | null> {
    return this.products.find(id);
  }
}

/** The pool on the test database and the data access built on it. Ends the pool on shutdown. */
@Module({})
export class DbModule implements OnModuleDestroy {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  static forDatabase(url: string, extraProviders: Provider[] = []): DynamicModule {
    return {
      module: DbModule,
      providers: [
        {
          provide: PG_POOL,
          useFactory: () => {
            const pool = new pg.Pool({ connectionString: url, max: 8 });
            // An idle client whose server went away (a test stopping Postgres) errors on the pool;
            // without a listener that is an unhandled error. Queries still see their own errors.
            pool.on('error', () => undefined);
            return pool;
          },
        },
        PriceRepository,
        ProductRepository,
        PriceLoader,
        PriceWriter,
        ProductLoader,
        ...extraProviders,
      ],
      exports: [PG_POOL, PriceRepository, ProductRepository, PriceLoader, PriceWriter, ProductLoader],
    };
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }
}

/** The app code under test: uses the named caches and wraps its transactions. */
@Injectable()
export class CatalogService {
  constructor(
    @InjectCache('prices') readonly prices: StrategyCache<Price>,
    @InjectCache('products') readonly products: StrategyCache<Product>,
    readonly transactions: CacheTransactions,
    readonly productRepository: ProductRepository,
  ) {}

  /** Cache-aside write path: the app updates the row itself, then evicts (after the commit). */
  async reprice(id: string, price: number, beforeCommit?: () => Promise<void>): Promise<void> {
    await this.transactions.run(() =>
      this.productRepository.transaction(async (tx) => {
        await this.productRepository.updatePrice(id, price, tx);
        await this.products.delete(id);
        await beforeCommit?.();
      }),
    );
  }
}

/** The named caches of the app: write-through prices and cache-aside products. */
export const CATALOG_CACHES: readonly NamedCacheOptions[] = [
  { name: 'prices', strategy: 'write-through', loader: PriceLoader, writer: PriceWriter },
  { name: 'products', strategy: 'cache-aside', loader: ProductLoader },
];

/** Options of {@link createCatalogApp}; the app's Redis is `redisUrl` or `redisClient`. */
export interface CatalogAppOptions extends RedisTarget {
  readonly prefix: string;
  readonly databaseUrl: string;
  readonly caches?: readonly NamedCacheOptions[];
  /** `false`: no L1 in front of Redis (the default with the bus is on), for tests that count loads. */
  readonly l1?: false;
  /** Providers of the DbModule that it does not export. */
  readonly hiddenDbProviders?: Provider[];
  readonly providers?: Provider[];
  /** Adjusts the testing module before compilation (e.g. `overrideProvider`). */
  readonly configure?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

export interface CatalogApp {
  readonly moduleRef: TestingModule;
  readonly catalog: CatalogService;
  readonly stack: CacheStack;
  readonly priceRepository: PriceRepository;
  readonly productRepository: ProductRepository;
  get<T>(type: Type<T>): T;
}

const open = new Set<TestingModule>();

/** Boots the app: Strata on Redis, the feature with the named caches, the DbModule on the database. */
export async function createCatalogApp(options: CatalogAppOptions): Promise<CatalogApp> {
  const db = DbModule.forDatabase(options.databaseUrl, options.hiddenDbProviders);
  let builder = Test.createTestingModule({
    imports: [
      StrataModule.forRoot({
        prefix: options.prefix,
        jitter: 0,
        ...(options.l1 === false ? { l1: false } : {}),
        redis: redisModuleOptions(options, '200ms'),
        breaker: { breakDuration: '500ms' },
      }),
      StrataModule.forFeature({ imports: [db], caches: options.caches ?? CATALOG_CACHES }),
      db,
    ],
    providers: [CatalogService, ...(options.providers ?? [])],
  });
  if (options.configure) builder = options.configure(builder);
  const moduleRef = await builder.compile();
  open.add(moduleRef);
  await moduleRef.init();
  return {
    moduleRef,
    catalog: moduleRef.get(CatalogService),
    stack: moduleRef.get<CacheStack>(STRATA_CACHE_STACK),
    priceRepository: moduleRef.get(PriceRepository),
    productRepository: moduleRef.get(ProductRepository),
    get: (type) => moduleRef.get(type, { strict: false }),
  };
}

/** Closes every app {@link createCatalogApp} opened (for `afterEach`). */
export async function closeCatalogApps(): Promise<void> {
  const apps = [...open];
  open.clear();
  await Promise.all(apps.map((app) => app.close()));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The servers a strategy spec file shares, and the database of the running test. */
export interface CatalogServers {
  readonly postgres: PostgresServer;
  readonly redis: RedisServer;
  /** A fresh database with the schema, created before each test. */
  readonly databaseUrl: string;
}

/**
 * Starts a PostgreSQL and a Redis for the spec file (disposed after it) and gives each test a
 * fresh database with the schema. Call it before the file's own `beforeEach`, which then sees it.
 */
export function useCatalogServers(redisOptions: StartRedisOptions = {}): CatalogServers {
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  let databaseUrl: string | undefined;
  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis(redisOptions)]);
  });
  afterAll(async () => {
    await Promise.all([postgres?.dispose(), redis?.dispose()]);
  });
  beforeEach(async () => {
    databaseUrl = await (postgres as PostgresServer).createDatabase();
    await createSchema(databaseUrl);
  });
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is only available inside tests and hooks`);
    return value;
  };
  return {
    get postgres() {
      return ready(postgres, 'the PostgreSQL server');
    },
    get redis() {
      return ready(redis, 'the Redis server');
    },
    get databaseUrl() {
      return ready(databaseUrl, 'the test database');
    },
  };
}
