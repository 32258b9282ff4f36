import 'reflect-metadata';
import { Inject, Injectable, Module, type OnModuleDestroy } from '@nestjs/common';
import type { CacheLoader, CacheWriter, DeleteRecord, StrategyCache, WriteRecord } from '@strata/core';
import { CacheEvict, CachePut, InjectCache, StrataModule } from '@strata/nestjs';
import { DecoratorMisuseError } from '../src/errors/decorator-misuse.error.js';
import type { StrataModuleOptions } from '../src/module/strata-module.options.js';
import { startPostgres, type PostgresServer } from '@strata/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeApps, createApp, uniquePrefix } from './support/app.js';

const PG_POOL = Symbol('PG_POOL');
let postgres: PostgresServer;
let databaseUrl: string;

@Injectable()
class PoolHolder implements OnModuleDestroy {
  readonly pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }
}

/** Versioned upserts and tombstones, as the writer contract asks. */
@Injectable()
class StockWriter implements CacheWriter<number> {
  constructor(@Inject(PG_POOL) private readonly db: PoolHolder) {}
  async writeMany(records: readonly WriteRecord<number>[]): Promise<void> {
    for (const r of records) {
      await this.db.pool.query(
        `INSERT INTO stock (id, qty, version, deleted) VALUES ($1, $2, $3, false)
         ON CONFLICT (id) DO UPDATE SET qty = excluded.qty, version = excluded.version, deleted = false
         WHERE stock.version < excluded.version`,
        [r.key, r.value, r.version],
      );
    }
  }
  async deleteMany(records: readonly DeleteRecord[]): Promise<void> {
    for (const r of records) {
      await this.db.pool.query(
        `INSERT INTO stock (id, qty, version, deleted) VALUES ($1, 0, $2, true)
         ON CONFLICT (id) DO UPDATE SET deleted = true, version = excluded.version WHERE stock.version < excluded.version`,
        [r.key, r.version],
      );
    }
  }
}

@Injectable()
class StockLoader implements CacheLoader<number> {
  loads = 0;
  constructor(@Inject(PG_POOL) private readonly db: PoolHolder) {}
  async load(id: string): Promise<number | null> {
    this.loads++;
    const { rows } = await this.db.pool.query<{ qty: number }>(
      'SELECT qty FROM stock WHERE id = $1 AND NOT deleted',
      [id],
    );
    return rows[0]?.qty ?? null;
  }
}

@Module({
  providers: [{ provide: PG_POOL, useClass: PoolHolder }, StockWriter, StockLoader],
  exports: [PG_POOL, StockWriter, StockLoader],
})
class StockDbModule {}

@Injectable()
class StockService {
  constructor(@InjectCache('stock') readonly stock: StrategyCache<number>) {}

  @CachePut({ cache: 'stock', key: (id: string) => id })
  async restock(_id: string, qty: number): Promise<number> {
    return qty;
  }

  @CacheEvict({ cache: 'stock', keys: (id: string) => [id] })
  async discontinue(_id: string): Promise<void> {}
}

const feature = StrataModule.forFeature({
  imports: [StockDbModule],
  caches: [{ name: 'stock', strategy: 'write-through', loader: StockLoader, writer: StockWriter }],
});

/**
 * Registers the tests of `@CachePut` / `@CacheEvict` on a named write-through cache, with a
 * PostgreSQL of their own. `redis` gives the module's Redis options (called inside tests, once
 * the spec file's servers have started).
 */
export function describeNamedCacheDecorators(redis: () => NonNullable<StrataModuleOptions['redis']>): void {
  describe('@CachePut / @CacheEvict with a named write-through cache', namedCacheTests(redis));
}

const namedCacheTests = (redis: () => NonNullable<StrataModuleOptions['redis']>) => (): void => {
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.dispose();
  });
  afterEach(closeApps);

  const row = async (id: string): Promise<{ qty: number; deleted: boolean } | undefined> => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ qty: number; deleted: boolean }>(
        'SELECT qty, deleted FROM stock WHERE id = $1',
        [id],
      );
      return rows[0];
    } finally {
      await client.end();
    }
  };

  it('persists a put through the writer and serves it; an evict deletes through the writer', async () => {
    databaseUrl = await postgres.createDatabase();
    const setup = new pg.Client({ connectionString: databaseUrl });
    await setup.connect();
    await setup.query(
      'CREATE TABLE stock (id text PRIMARY KEY, qty int NOT NULL, version bigint NOT NULL, deleted boolean NOT NULL)',
    );
    await setup.end();

    const app = await createApp({ prefix: uniquePrefix(), redis: redis() }, [StockService], {
      imports: [feature],
    });
    const service = app.get(StockService);
    const loader = app.get(StockLoader);

    await service.restock('sku-1', 7);
    expect(await row('sku-1')).toEqual({ qty: 7, deleted: false });
    expect(await service.stock.get('sku-1')).toBe(7);
    expect(loader.loads).toBe(0);

    await service.discontinue('sku-1');
    expect(await row('sku-1')).toMatchObject({ deleted: true });
    expect(await service.stock.get('sku-1')).toBeUndefined();
    expect(loader.loads).toBe(1);
  });

  it('fails at boot when the named cache does not exist', async () => {
    @Injectable()
    class Orphan {
      @CacheEvict({ cache: 'nope', keys: ['x'] })
      async run(): Promise<void> {}
    }
    await expect(createApp({ prefix: uniquePrefix() }, [Orphan])).rejects.toBeInstanceOf(
      DecoratorMisuseError,
    );
  });
};
