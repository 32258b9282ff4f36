import 'reflect-metadata';
import { Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type {
  CacheLoader,
  CacheStack,
  CacheWriter,
  DeleteRecord,
  IncrementRecord,
  WriteBehindStrategyCache,
  WriteRecord,
} from '@strata/core';
import { getCacheToken, STRATA_CACHE_STACK, StrataModule } from '@strata/nestjs';
import type { NamedCacheOptions } from '../../src/strategies/strata-feature.options.js';
import pg from 'pg';
import { uniquePrefix } from '../support/app.js';
import { redisModuleOptions, type RedisTarget } from '../support/redis.js';
import {
  DbModule,
  PG_POOL,
  PriceLoader,
  PriceRepository,
  type Price,
  type PriceRow,
} from './pricing.fixture.js';

/** One call the writer received. */
export interface WriterCall {
  readonly kind: 'write' | 'delete';
  readonly keys: readonly string[];
  /** Whether the DbModule's pool had been ended when the call arrived. */
  readonly poolEnding: boolean;
}

/** One record the writer received, writes and deletes alike (`amount` undefined for a delete). */
export interface Delivered {
  readonly version: number;
  readonly amount: number | undefined;
}

/**
 * The write-behind writer of prices: one statement per call, so a batch is atomic (a row that
 * violates `CHECK (amount >= 0)` fails the whole call), versioned like `PriceRepository.upsert`
 * (an older or equal version never replaces a newer row or tombstone). Records what it is given.
 */
@Injectable()
export class LedgerPriceWriter implements CacheWriter<Price> {
  /** Every call, in arrival order. */
  readonly calls: WriterCall[] = [];
  /** Records received per key, in arrival order. */
  readonly delivered = new Map<string, Delivered[]>();
  /** Rows the statements actually inserted or updated (stale versions excluded). */
  rowsWritten = 0;
  /** Most calls in progress at once. */
  maxConcurrent = 0;
  private active = 0;
  /** Runs before each statement: throw to fail the call, or wait on a gate to hold it open. */
  before: ((call: WriterCall) => Promise<void>) | undefined;

  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /** Records received in all (writes and deletes). */
  get recordCount(): number {
    let total = 0;
    for (const records of this.delivered.values()) total += records.length;
    return total;
  }

  writeMany(records: readonly WriteRecord<Price>[]): Promise<void> {
    return this.run('write', records, () =>
      this.pool.query(
        `INSERT INTO prices (id, amount, version, deleted)
       SELECT id, amount, version, false FROM unnest($1::text[], $2::int[], $3::bigint[]) AS r(id, amount, version)
       ON CONFLICT (id) DO UPDATE SET amount = excluded.amount, version = excluded.version, deleted = false
       WHERE prices.version < excluded.version`,
        [records.map((r) => r.key), records.map((r) => r.value.amount), records.map((r) => r.version)],
      ),
    );
  }

  deleteMany(records: readonly DeleteRecord[]): Promise<void> {
    return this.run('delete', records, () =>
      this.pool.query(
        `INSERT INTO prices (id, amount, version, deleted)
       SELECT id, 0, version, true FROM unnest($1::text[], $2::bigint[]) AS r(id, version)
       ON CONFLICT (id) DO UPDATE SET deleted = true, version = excluded.version
       WHERE prices.version < excluded.version`,
        [records.map((r) => r.key), records.map((r) => r.version)],
      ),
    );
  }

  /** Keys of every call that included `key`. */
  callsWith(key: string): WriterCall[] {
    return this.calls.filter((call) => call.keys.includes(key));
  }

  private async run(
    kind: WriterCall['kind'],
    records: readonly (WriteRecord<Price> | DeleteRecord)[],
    statement: () => Promise<pg.QueryResult>,
  ): Promise<void> {
    const call: WriterCall = { kind, keys: records.map((r) => r.key), poolEnding: this.pool.ending };
    this.calls.push(call);
    for (const record of records) {
      const list = this.delivered.get(record.key) ?? [];
      list.push({ version: record.version, amount: 'value' in record ? record.value.amount : undefined });
      this.delivered.set(record.key, list);
    }
    this.maxConcurrent = Math.max(this.maxConcurrent, ++this.active);
    try {
      await this.before?.(call);
      const result = await statement();
      this.rowsWritten += result.rowCount ?? 0;
    } finally {
      this.active--;
    }
  }
}

/**
 * The writer of view counters: applies each summed delta once per version (`version` is the last
 * increment included; an equal or older one is a redelivery and changes nothing).
 */
@Injectable()
export class ViewCountWriter implements CacheWriter<number> {
  /** Increment records received, in arrival order. */
  readonly increments: IncrementRecord[] = [];

  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async incrementMany(records: readonly IncrementRecord[]): Promise<void> {
    this.increments.push(...records);
    await this.pool.query(
      `INSERT INTO views (id, count, version)
       SELECT id, delta, version FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS r(id, delta, version)
       ON CONFLICT (id) DO UPDATE SET count = views.count + excluded.count, version = excluded.version
       WHERE views.version < excluded.version`,
      [records.map((r) => r.key), records.map((r) => r.delta), records.map((r) => r.version)],
    );
  }

  async writeMany(records: readonly WriteRecord<number>[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO views (id, count, version)
       SELECT id, value, version FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS r(id, value, version)
       ON CONFLICT (id) DO UPDATE SET count = excluded.count, version = excluded.version
       WHERE views.version < excluded.version`,
      [records.map((r) => r.key), records.map((r) => r.value), records.map((r) => r.version)],
    );
  }

  async deleteMany(records: readonly DeleteRecord[]): Promise<void> {
    await this.writeMany(records.map((r) => ({ key: r.key, version: r.version, value: 0 })));
  }
}

/** Reads a view counter from the database. */
@Injectable()
export class ViewCountLoader implements CacheLoader<number> {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async load(id: string): Promise<number | null> {
    const { rows } = await this.pool.query<{ count: string }>('SELECT count FROM views WHERE id = $1', [id]);
    return rows[0] === undefined ? null : Number(rows[0].count);
  }
}

/** Provides the writers on top of the DbModule (which exports the pool). */
@Module({})
class LedgerModule {
  static on(db: DynamicModule): DynamicModule {
    return {
      module: LedgerModule,
      imports: [db],
      providers: [LedgerPriceWriter, ViewCountWriter, ViewCountLoader],
      exports: [LedgerPriceWriter, ViewCountWriter, ViewCountLoader],
    };
  }
}

/** Write-behind options of the `prices` cache (name, strategy, loader and writer are fixed). */
export type WriteBehindOptions = Omit<NamedCacheOptions, 'name' | 'strategy' | 'loader' | 'writer'>;

/** Options of {@link createWriteBehindApp}: a Redis stack with `redisUrl` or `redisClient`, memory-only without. */
export interface WriteBehindAppOptions extends RedisTarget {
  readonly databaseUrl: string;
  readonly cache?: WriteBehindOptions;
  /** Adds the write-behind `views` counter cache (ViewCountWriter; ViewCountLoader when `loader`). */
  readonly views?: WriteBehindOptions & { readonly loader?: boolean };
  /** The stack's key prefix (two apps given the same one share a journal). */
  readonly prefix?: string;
}

export interface WriteBehindApp {
  readonly moduleRef: TestingModule;
  /** The `prices` write-behind cache. */
  readonly prices: WriteBehindStrategyCache<Price>;
  /** The `views` counter cache (only when asked for). */
  readonly views: WriteBehindStrategyCache<number>;
  readonly stack: CacheStack;
  readonly writer: LedgerPriceWriter;
  /** Loads (`reads`) and row lookups (`row`). */
  readonly repo: PriceRepository;
  /** The DbModule's pool. */
  readonly pool: pg.Pool;
  /** Closes the app (drains the write-behind queue) and forgets it. */
  close(): Promise<void>;
}

const open = new Set<TestingModule>();

/**
 * Boots Strata (memory-only, or on Redis), a feature with the write-behind `prices` cache
 * (`PriceLoader`, {@link LedgerPriceWriter}), and the DbModule on the database.
 */
export async function createWriteBehindApp(options: WriteBehindAppOptions): Promise<WriteBehindApp> {
  const db = DbModule.forDatabase(options.databaseUrl);
  const moduleRef = await Test.createTestingModule({
    imports: [
      StrataModule.forRoot({
        prefix: options.prefix ?? uniquePrefix(),
        jitter: 0,
        ...(options.redisUrl || options.redisClient ? { redis: redisModuleOptions(options, '200ms') } : {}),
      }),
      StrataModule.forFeature({
        imports: [db, LedgerModule.on(db)],
        caches: [
          {
            name: 'prices',
            strategy: 'write-behind',
            loader: PriceLoader,
            writer: LedgerPriceWriter,
            ...options.cache,
          },
          ...(options.views
            ? [
                {
                  name: 'views',
                  strategy: 'write-behind' as const,
                  writer: ViewCountWriter,
                  ...options.views,
                  loader: options.views.loader ? ViewCountLoader : undefined,
                },
              ]
            : []),
        ],
      }),
      db,
    ],
  }).compile();
  open.add(moduleRef);
  await moduleRef.init();
  return {
    moduleRef,
    prices: moduleRef.get<WriteBehindStrategyCache<Price>>(getCacheToken('prices'), { strict: false }),
    get views() {
      return moduleRef.get<WriteBehindStrategyCache<number>>(getCacheToken('views'), { strict: false });
    },
    stack: moduleRef.get<CacheStack>(STRATA_CACHE_STACK, { strict: false }),
    writer: moduleRef.get(LedgerPriceWriter, { strict: false }),
    repo: moduleRef.get(PriceRepository, { strict: false }),
    pool: moduleRef.get<pg.Pool>(PG_POOL, { strict: false }),
    close: async () => {
      open.delete(moduleRef);
      await moduleRef.close();
    },
  };
}

/** Closes every app {@link createWriteBehindApp} opened and the test did not close (for `afterEach`). */
export async function closeWriteBehindApps(): Promise<void> {
  const apps = [...open];
  open.clear();
  await Promise.all(apps.map((app) => app.close()));
}

/** Every price row, tombstones included, read on a client of its own (not the app's pool). */
export async function readRows(databaseUrl: string): Promise<Map<string, PriceRow>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; amount: number; version: string; deleted: boolean }>(
      'SELECT id, amount, version, deleted FROM prices',
    );
    return new Map(
      rows.map((row) => [row.id, { amount: row.amount, version: Number(row.version), deleted: row.deleted }]),
    );
  } finally {
    await client.end();
  }
}

/** A promise the writer can wait on until the test opens it. */
export class Gate {
  private release!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.release = resolve));
  open(): void {
    this.release();
  }
}

/** Every view counter row. */
export async function readCounts(databaseUrl: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; count: string }>('SELECT id, count FROM views');
    return new Map(rows.map((row) => [row.id, Number(row.count)]));
  } finally {
    await client.end();
  }
}
