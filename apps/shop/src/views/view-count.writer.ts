import { Inject, Injectable } from '@nestjs/common';
import type { CacheWriter, DeleteRecord, IncrementRecord, WriteRecord } from '@strata/core';
import { sql } from 'drizzle-orm';
import { DATABASE, type Database } from '../db/database.js';
import { productViews } from '../db/schema.js';
import { uniqueKeyRounds } from '../db/unique-key-rounds.js';

/**
 * Persists the `views` write-behind counters. `incrementMany` receives coalesced deltas: thousands
 * of views of a product between two flushes become one row update, and a whole batch is one
 * statement. The version check makes a redelivered delta (after a crash or a lost
 * acknowledgement) count once.
 */
@Injectable()
export class ViewCountWriter implements CacheWriter<number> {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async incrementMany(records: readonly IncrementRecord[]): Promise<void> {
    for (const round of uniqueKeyRounds(records)) {
      await this.db
        .insert(productViews)
        .values(round.map(({ key, version, delta }) => ({ productId: Number(key), count: delta, version })))
        .onConflictDoUpdate({
          target: productViews.productId,
          set: { count: sql`${productViews.count} + excluded.count`, version: sql`excluded.version` },
          setWhere: sql`${productViews.version} < excluded.version`,
        });
    }
  }

  /** An absolute count (the shop never sets one; kept for the writer contract). */
  async writeMany(records: readonly WriteRecord<number>[]): Promise<void> {
    for (const round of uniqueKeyRounds(records)) {
      await this.db
        .insert(productViews)
        .values(round.map(({ key, version, value }) => ({ productId: Number(key), count: value, version })))
        .onConflictDoUpdate({
          target: productViews.productId,
          set: { count: sql`excluded.count`, version: sql`excluded.version` },
          setWhere: sql`${productViews.version} < excluded.version`,
        });
    }
  }

  /** A reset to zero, versioned like any write (the row stays: it is the tombstone). */
  async deleteMany(records: readonly DeleteRecord[]): Promise<void> {
    await this.writeMany(records.map((r) => ({ ...r, value: 0 })));
  }
}
