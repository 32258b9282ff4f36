import { Inject, Injectable } from '@nestjs/common';
import type { CacheWriter, DeleteRecord, IncrementRecord, WriteRecord } from '@strata/core';
import { sql } from 'drizzle-orm';
import { DATABASE, type Database } from '../db/database.js';
import { productViews } from '../db/schema.js';

/**
 * Persists the `views` write-behind counters. `incrementMany` receives coalesced deltas: thousands
 * of views of a product between two flushes become one row update. The version check makes a
 * redelivered delta (after a crash or a lost acknowledgement) count once.
 */
@Injectable()
export class ViewCountWriter implements CacheWriter<number> {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async incrementMany(records: readonly IncrementRecord[]): Promise<void> {
    for (const { key, version, delta } of records) {
      await this.db
        .insert(productViews)
        .values({ productId: Number(key), count: delta, version })
        .onConflictDoUpdate({
          target: productViews.productId,
          set: { count: sql`${productViews.count} + excluded.count`, version },
          setWhere: sql`${productViews.version} < ${version}`,
        });
    }
  }

  /** An absolute count (the shop never sets one; kept for the writer contract). */
  async writeMany(records: readonly WriteRecord<number>[]): Promise<void> {
    for (const { key, version, value } of records) {
      await this.db
        .insert(productViews)
        .values({ productId: Number(key), count: value, version })
        .onConflictDoUpdate({
          target: productViews.productId,
          set: { count: value, version },
          setWhere: sql`${productViews.version} < ${version}`,
        });
    }
  }

  /** A reset to zero, versioned like any write (the row stays: it is the tombstone). */
  async deleteMany(records: readonly DeleteRecord[]): Promise<void> {
    await this.writeMany(records.map((r) => ({ ...r, value: 0 })));
  }
}
