import type { CdcInvalidation, CdcOptions, Row, RowChange, TableMapping } from '@strata/cdc';

/** The publication the shop's slot reads: the mapped tables. */
export const SHOP_CDC_PUBLICATION = 'shop_cdc';

/**
 * The options of the shop's change-data-capture consumer on the PostgreSQL at `connection`, for
 * the cache whose Redis keys start with `cachePrefix`.
 */
export function shopCdcOptions(connection: string, cachePrefix: string): CdcOptions {
  return {
    connection,
    publication: SHOP_CDC_PUBLICATION,
    slot: shopCdcSlot(cachePrefix),
    tables: SHOP_CDC_TABLES,
    onTruncate: SHOP_CDC_FALLBACKS,
    required: true,
  };
}

/**
 * The replication slot of the cache with this prefix (`shop` → `shop_cdc`): one per cache, since
 * each cache confirms its own position. Two shops with different prefixes on one database each
 * read their own slot; with one prefix, the instances share it (one consumes, the others stand by).
 * Slot names are `a-z`, `0-9` and `_`, at most 63 characters (13 of them left for the suffix of a
 * memory-only instance's temporary slot).
 */
export function shopCdcSlot(cachePrefix: string): string {
  return `${cachePrefix
    .toLowerCase()
    .replaceAll(/[^a-z0-9_]/g, '_')
    .slice(0, 46)}_cdc`;
}

/**
 * What a committed change of each shop table invalidates, for `@strata/cdc`: the same keys and tags
 * the shop's own write paths drop, so an `UPDATE` run in `psql` (or by another service) shows on
 * the next read as an admin route's change does.
 *
 * Not mapped, on purpose:
 * - `carts` and `product_views`: written behind by the `carts` and `views` caches. The cache holds
 *   the newest value and the table follows it; invalidating on their flushes would only drop what
 *   the cache just wrote (and a pending write would still win).
 * - `orders` and `order_items`: written only by checkout, which invalidates the stock, the product
 *   pages and the buyer's history after its commit.
 */
export const SHOP_CDC_TABLES: Readonly<Record<string, TableMapping>> = {
  // PATCH /admin/products/:id puts `product:<id>` and evicts `product-list`; `trending` shows names.
  products: (change) => ({
    tags: [...idsOf(change, 'id').map((id) => `product:${id}`), 'product-list', 'trending'],
  }),
  // PUT /admin/products/:id/price: the write-through `prices` entry (key = product id), then the
  // detail and its page (`product:<id>`) and the listings, which show and sort by price.
  prices: (change) => {
    const ids = idsOf(change, 'product_id');
    return {
      keys: ids,
      namespace: 'prices',
      tags: [...ids.map((id) => `product:${id}`), 'product-list'],
    };
  },
  // Restock and checkout: the cache-aside `stock` entry, then the detail that shows it.
  stock: (change) => {
    const ids = idsOf(change, 'product_id');
    return { keys: ids, namespace: 'stock', tags: ids.map((id) => `product:${id}`) };
  },
  // POST /products/:id/reviews evicts these. A delete reads `product_id`, which is not the key:
  // the table has REPLICA IDENTITY FULL on PostgreSQL (src/db/replica-identity.ts).
  reviews: (change) => {
    const ids = idsOf(change, 'product_id');
    return {
      keys: ids.map((id) => `rating:${id}`),
      tags: ids.flatMap((id) => [`product:${id}`, `reviews:${id}`]),
    };
  },
  // The category tree; details and listings that read it carry its tag as a dependency.
  categories: () => ({ tags: ['categories'] }),
  // Who a token belongs to, and its role: a role revoked in the database applies at once.
  users: () => ({ tags: ['users'] }),
};

/**
 * What a `TRUNCATE` of each mapped table drops, and what drops when its changes cannot be mapped
 * one by one (a transaction past the consumer's bound).
 */
export const SHOP_CDC_FALLBACKS: Readonly<Record<string, CdcInvalidation>> = {
  products: { namespaces: ['default'] },
  prices: { namespaces: ['prices'], tags: ['product-list'] },
  stock: { namespaces: ['stock'] },
  reviews: { namespaces: ['default'] },
  categories: { tags: ['categories'] },
  users: { tags: ['users'] },
};

/**
 * The distinct values of `column` in the rows a change carries: the new row (insert, update) and
 * the old one (update with a changed key or `REPLICA IDENTITY FULL`, delete), so a row moved to
 * another product invalidates both.
 */
function idsOf(change: RowChange, column: string): string[] {
  const rows = [change.new, change.old].filter((row): row is Row => row !== null);
  return [...new Set(rows.map((row) => String(row[column])))];
}
