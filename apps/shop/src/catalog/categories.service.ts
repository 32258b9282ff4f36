import { Inject, Injectable } from '@nestjs/common';
import { Cacheable } from '@strata/nestjs';
import { asc } from 'drizzle-orm';
import { DATABASE, type Database } from '../db/database.js';
import { categories } from '../db/schema.js';
import type { Category } from './category-tree.js';

/** The category tree: read on every product page and listing, changed almost never. */
@Injectable()
export class CategoriesService {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Every category (one cached entry, tag `categories`). */
  @Cacheable({ key: 'category-tree', ttl: '1h', tags: ['categories'] })
  async all(): Promise<Category[]> {
    return this.db.select().from(categories).orderBy(asc(categories.id));
  }
}
