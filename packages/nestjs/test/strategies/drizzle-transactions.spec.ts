/**
 * A runnable example: a NestJS service on Drizzle ORM (node-postgres) whose cache-aside
 * evictions and writes wait for the database COMMIT, through `CacheTransactions.run`.
 * Real Postgres and Redis (`useCatalogServers`), a fresh database and key prefix per test.
 */
import 'reflect-metadata';
import { Inject, Injectable, Module, type DynamicModule, type OnModuleDestroy } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { CacheTransactions, type CacheLoader, type CacheStack, type StrategyCache } from '@strata/core';
import { InjectCache, STRATA_CACHE_STACK, StrataModule } from '@strata/nestjs';
import { eq, sql, TransactionRollbackError } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { deferred } from '../support/deferred.js';
import { useCatalogServers } from './pricing.fixture.js';

// The app: a Drizzle schema, the database provider, the cache's loader and the service.

export const products = pgTable('drizzle_products', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  price: integer('price').notNull(),
});

export type Product = typeof products.$inferSelect;

/** The table, created with SQL here (an app would use its migrations). */
const CREATE_PRODUCTS = sql`
  CREATE TABLE drizzle_products (id text PRIMARY KEY, name text NOT NULL, price integer NOT NULL)
`;

export const DRIZZLE = Symbol('DRIZZLE');
export type Database = NodePgDatabase & { $client: pg.Pool };
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** Loads a product on a cache miss. */
@Injectable()
export class ProductLoader implements CacheLoader<Product> {
  /** Rows loaded from Postgres (for the assertions). */
  loads = 0;

  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  async load(id: string): Promise<Product | null> {
    this.loads++;
    const [row] = await this.db.select().from(products).where(eq(products.id, id));
    return row ?? null;
  }
}

/** The Drizzle database on a `pg` pool, and the loader built on it. Ends the pool on shutdown. */
@Module({})
export class DrizzleModule implements OnModuleDestroy {
  constructor(@Inject(DRIZZLE) private readonly db: Database) {}

  static forDatabase(url: string): DynamicModule {
    return {
      module: DrizzleModule,
      providers: [
        {
          provide: DRIZZLE,
          useFactory: (): Database => {
            const pool = new pg.Pool({ connectionString: url, max: 8 });
            // `pool.end()` resolves before its clients' sockets close; without a listener, the
            // server going away right after (the end of the file) is an unhandled pool error.
            pool.on('error', () => undefined);
            return drizzle({ client: pool });
          },
        },
        ProductLoader,
      ],
      exports: [DRIZZLE, ProductLoader],
    };
  }

  async onModuleDestroy(): Promise<void> {
    await this.db.$client.end();
  }
}

/** Runs inside the transaction after the service's writes (the tests hold it open or abort it). */
type BeforeCommit = (tx: Transaction) => Promise<void>;

@Injectable()
export class ProductService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Database,
    @InjectCache('products') private readonly products: StrategyCache<Product>,
    private readonly transactions: CacheTransactions, // the instance StrataModule provides
  ) {}

  find(id: string): Promise<Product | undefined> {
    return this.products.get(id);
  }

  /** Updates the price; the cached row is evicted after COMMIT, and kept if the transaction rolls back. */
  async changePrice(id: string, price: number, beforeCommit?: BeforeCommit): Promise<void> {
    await this.transactions.run(() =>
      this.db.transaction(async (tx) => {
        await tx.update(products).set({ price }).where(eq(products.id, id));
        await this.products.delete(id); // queued: applied after COMMIT, dropped on ROLLBACK
        await beforeCommit?.(tx);
      }),
    );
  }

  /** Renames the product and caches the row as stored (`RETURNING`), after COMMIT. */
  async rename(id: string, name: string, beforeCommit?: BeforeCommit): Promise<Product | undefined> {
    return this.transactions.run(() =>
      this.db.transaction(async (tx) => {
        const [row] = await tx.update(products).set({ name }).where(eq(products.id, id)).returning();
        if (row) await this.products.set(id, row); // queued like the delete
        await beforeCommit?.(tx);
        return row;
      }),
    );
  }
}

// The tests.

const servers = useCatalogServers();

let moduleRef: TestingModule | undefined;
let service: ProductService;
let loader: ProductLoader;
let stack: CacheStack;
let db: Database;

const apple: Product = { id: 'apple', name: 'Apple', price: 100 };

beforeEach(async () => {
  // A fresh database per test (useCatalogServers) and a fresh key prefix: no collisions with other files.
  const database = DrizzleModule.forDatabase(servers.databaseUrl);
  moduleRef = await Test.createTestingModule({
    imports: [
      StrataModule.forRoot({ prefix: uniquePrefix(), jitter: 0, redis: { url: servers.redis.url } }),
      StrataModule.forFeature({
        imports: [database],
        caches: [{ name: 'products', strategy: 'cache-aside', loader: ProductLoader }],
      }),
      database,
    ],
    providers: [ProductService],
  }).compile();
  await moduleRef.init();
  service = moduleRef.get(ProductService);
  loader = moduleRef.get(ProductLoader, { strict: false });
  stack = moduleRef.get<CacheStack>(STRATA_CACHE_STACK, { strict: false });
  db = moduleRef.get<Database>(DRIZZLE, { strict: false });

  await db.execute(CREATE_PRODUCTS);
  await db.insert(products).values(apple);
  // Warm the cache: one load, then the row is in Redis.
  expect(await service.find('apple')).toEqual(apple);
  expect(loader.loads).toBe(1);
});

/** Transactions a test holds open: a failed assertion must not leave one holding a pool client. */
const held: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  await Promise.allSettled(held.splice(0).map((commit) => commit()));
  await moduleRef?.close();
  moduleRef = undefined;
});

/** What Redis holds for a product (no L1 is configured, so this is the shared cache). */
const cached = (id: string): Promise<Product | null | undefined> =>
  stack.get<Product | null>(id, { namespace: 'products' });

/** The committed row, read on another pool connection than the transaction's. */
const committed = async (id: string): Promise<Product | undefined> =>
  (await db.select().from(products).where(eq(products.id, id)))[0];

/** Starts `write` with a step that holds its transaction open; resolves once it is held there. */
async function holdOpen<R>(
  write: (beforeCommit: BeforeCommit) => Promise<R>,
): Promise<{ commit(): Promise<R> }> {
  const reached = deferred();
  const release = deferred();
  const done = write(async () => {
    reached.resolve();
    await release.promise;
  });
  const commit = (): Promise<R> => {
    release.resolve();
    return done;
  };
  held.push(commit);
  await Promise.race([reached.promise, done]);
  return { commit };
}

describe('cache-aside with Drizzle transactions (CacheTransactions)', () => {
  it('evicts after COMMIT: while the transaction is open, readers still get the cached row', async () => {
    const open = await holdOpen((beforeCommit) => service.changePrice('apple', 150, beforeCommit));

    // The UPDATE ran and delete() was called, but the transaction has not committed. A concurrent
    // reader gets the cached row, without a load that would re-cache the old row after the commit.
    expect(await cached('apple')).toEqual(apple);
    expect(await service.find('apple')).toEqual(apple);
    expect(loader.loads).toBe(1);
    expect(await committed('apple')).toEqual(apple);

    await open.commit();
    expect(await committed('apple')).toEqual({ ...apple, price: 150 });
    expect(await cached('apple')).toBeUndefined();
    expect(await service.find('apple')).toEqual({ ...apple, price: 150 });
    expect(loader.loads).toBe(2);
    expect(await cached('apple')).toEqual({ ...apple, price: 150 });
  });

  it('drops the eviction when the transaction calls tx.rollback()', async () => {
    await expect(service.changePrice('apple', 999, async (tx) => tx.rollback())).rejects.toBeInstanceOf(
      TransactionRollbackError,
    );

    expect(await committed('apple')).toEqual(apple);
    expect(await cached('apple')).toEqual(apple);
    expect(await service.find('apple')).toEqual(apple);
    expect(loader.loads).toBe(1);
  });

  it('drops the eviction when the transaction throws', async () => {
    const failure = new Error('payment provider refused');
    await expect(
      service.changePrice('apple', 999, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);

    expect(await committed('apple')).toEqual(apple);
    expect(await cached('apple')).toEqual(apple);
    expect(await service.find('apple')).toEqual(apple);
    expect(loader.loads).toBe(1);
  });

  it('applies a set after COMMIT: the RETURNING row is cached then, and served without a load', async () => {
    const renamed = { ...apple, name: 'Green apple' };
    const open = await holdOpen((beforeCommit) => service.rename('apple', renamed.name, beforeCommit));

    expect(await cached('apple')).toEqual(apple);
    expect(await service.find('apple')).toEqual(apple);
    expect(await committed('apple')).toEqual(apple);

    expect(await open.commit()).toEqual(renamed);
    expect(await committed('apple')).toEqual(renamed);
    expect(await cached('apple')).toEqual(renamed);
    expect(await service.find('apple')).toEqual(renamed);
    expect(loader.loads).toBe(1);
  });
});
