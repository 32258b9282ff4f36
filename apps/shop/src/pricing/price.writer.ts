import { Inject, Injectable } from '@nestjs/common';
import type { CacheWriter, DeleteRecord, WriteRecord } from '@strata/core';
import { sql } from 'drizzle-orm';
import { DATABASE, type Database } from '../db/database.js';
import { prices } from '../db/schema.js';
import type { Price } from './price.js';

/**
 * Persists the `prices` write-through cache: versioned upserts (a record only replaces an older
 * one) and tombstones for deletes, per the writer contract in docs/strategies.md.
 */
@Injectable()
export class PriceWriter implements CacheWriter<Price> {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async writeMany(records: readonly WriteRecord<Price>[]): Promise<void> {
    for (const { key, version, value } of records) {
      await this.db
        .insert(prices)
        .values({ productId: Number(key), amountCents: value.amountCents, currency: value.currency, version })
        .onConflictDoUpdate({
          target: prices.productId,
          set: { amountCents: value.amountCents, currency: value.currency, version, deleted: false },
          setWhere: sql`${prices.version} < ${version}`,
        });
    }
  }

  async deleteMany(records: readonly DeleteRecord[]): Promise<void> {
    for (const { key, version } of records) {
      await this.db
        .insert(prices)
        .values({ productId: Number(key), amountCents: 0, currency: 'EUR', version, deleted: true })
        .onConflictDoUpdate({
          target: prices.productId,
          set: { deleted: true, version },
          setWhere: sql`${prices.version} < ${version}`,
        });
    }
  }
}
