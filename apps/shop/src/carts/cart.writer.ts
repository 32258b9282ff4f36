import { Inject, Injectable } from '@nestjs/common';
import type { CacheWriter, DeleteRecord, WriteRecord } from '@strata/core';
import { sql } from 'drizzle-orm';
import { DATABASE, type Database } from '../db/database.js';
import { carts, type CartLine } from '../db/schema.js';
import { uniqueKeyRounds } from '../db/unique-key-rounds.js';
import type { Cart } from './cart.js';

/**
 * Persists the `carts` write-behind cache: versioned upserts (ten quick edits of a cart between
 * two flushes are one row write, a batch one statement), and tombstones for emptied carts, so a
 * redelivered older record can neither overwrite a newer cart nor bring a deleted one back.
 */
@Injectable()
export class CartWriter implements CacheWriter<Cart> {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async writeMany(records: readonly WriteRecord<Cart>[]): Promise<void> {
    await this.upsert(
      records.map(({ key, version, value }) => ({ key, version, items: [...value.items], deleted: false })),
    );
  }

  async deleteMany(records: readonly DeleteRecord[]): Promise<void> {
    await this.upsert(records.map(({ key, version }) => ({ key, version, items: [], deleted: true })));
  }

  private async upsert(
    rows: readonly { key: string; version: number; items: CartLine[]; deleted: boolean }[],
  ): Promise<void> {
    for (const round of uniqueKeyRounds(rows)) {
      await this.db
        .insert(carts)
        .values(
          round.map(({ key, version, items, deleted }) => ({ userId: Number(key), items, version, deleted })),
        )
        .onConflictDoUpdate({
          target: carts.userId,
          set: { items: sql`excluded.items`, version: sql`excluded.version`, deleted: sql`excluded.deleted` },
          setWhere: sql`${carts.version} < excluded.version`,
        });
    }
  }
}
