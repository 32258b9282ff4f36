import { Inject, Injectable } from '@nestjs/common';
import type { CacheWriter, DeleteRecord, WriteRecord } from '@strata/core';
import { sql } from 'drizzle-orm';
import { DATABASE, type Database } from '../db/database.js';
import { carts } from '../db/schema.js';
import type { Cart } from './cart.js';

/**
 * Persists the `carts` write-behind cache: one versioned upsert per coalesced record (ten quick
 * edits of a cart between two flushes are one row write), and tombstones for emptied carts, so a
 * redelivered older record can neither overwrite a newer cart nor bring a deleted one back.
 */
@Injectable()
export class CartWriter implements CacheWriter<Cart> {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async writeMany(records: readonly WriteRecord<Cart>[]): Promise<void> {
    for (const { key, version, value } of records) {
      const items = [...value.items];
      await this.db
        .insert(carts)
        .values({ userId: Number(key), items, version })
        .onConflictDoUpdate({
          target: carts.userId,
          set: { items, version, deleted: false },
          setWhere: sql`${carts.version} < ${version}`,
        });
    }
  }

  async deleteMany(records: readonly DeleteRecord[]): Promise<void> {
    for (const { key, version } of records) {
      await this.db
        .insert(carts)
        .values({ userId: Number(key), items: [], version, deleted: true })
        .onConflictDoUpdate({
          target: carts.userId,
          set: { items: [], version, deleted: true },
          setWhere: sql`${carts.version} < ${version}`,
        });
    }
  }
}
