import { Inject, Injectable } from '@nestjs/common';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import type { Cache } from 'cache-manager';

/** A price as a legacy service caches it. */
export interface Price {
  readonly sku: string;
  readonly cents: number;
}

/**
 * A service written against `@nestjs/cache-manager` 12, unchanged: the tests import it into an app
 * built on `CacheModule` and into one built on Strata, and expect the same behaviour.
 */
@Injectable()
export class CatalogService {
  loads = 0;

  constructor(@Inject(CACHE_MANAGER) readonly cache: Cache) {}

  /** Cache-aside through `wrap`. */
  price(sku: string, ttl?: number): Promise<Price> {
    return this.cache.wrap(`price:${sku}`, () => this.loadPrice(sku), ttl);
  }

  async loadPrice(sku: string): Promise<Price> {
    this.loads++;
    await Promise.resolve();
    return { sku, cents: sku.length * 100 };
  }
}
