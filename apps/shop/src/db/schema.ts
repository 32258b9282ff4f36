/**
 * The shop's tables (Drizzle ORM). The SQL migrations in `apps/shop/drizzle` are generated from
 * this file with `pnpm --filter @strata/shop db:generate` and applied at boot.
 *
 * Tables written by a Strata writer (`prices`, `carts`, `product_views`) carry a `version`: the
 * writer contract (docs/strategies.md) upserts only when the record is newer, and keeps deletes as
 * tombstones (`deleted`), so a retried or reordered delivery never puts an older value back.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/** Product attributes, free-form and small (colour, material, weight). */
export type ProductAttributes = Record<string, string | number | boolean>;

/** A line of a cart as stored (the cart is one JSON document per user). */
export interface CartLine {
  productId: number;
  quantity: number;
}

/** Categories: a two-level tree (departments and their aisles) through `parent_id`. */
export const categories = pgTable('categories', {
  id: integer('id').primaryKey(),
  parentId: integer('parent_id'),
  name: text('name').notNull(),
  slug: text('slug').notNull().unique(),
});

/** Products; price and stock live in their own tables, each with its own caching strategy. */
export const products = pgTable(
  'products',
  {
    id: integer('id').primaryKey(),
    sku: text('sku').notNull().unique(),
    name: text('name').notNull(),
    description: text('description').notNull(),
    categoryId: integer('category_id')
      .notNull()
      .references(() => categories.id),
    attributes: jsonb('attributes').$type<ProductAttributes>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('products_category_idx').on(t.categoryId),
    index('products_search_idx').using(
      'gin',
      sql`to_tsvector('english', ${t.name} || ' ' || ${t.description})`,
    ),
  ],
);

/** Prices: written through the `prices` write-through cache (versioned, tombstones). */
export const prices = pgTable(
  'prices',
  {
    productId: integer('product_id')
      .primaryKey()
      .references(() => products.id),
    amountCents: integer('amount_cents').notNull(),
    currency: text('currency').notNull(),
    version: bigint('version', { mode: 'number' }).notNull(),
    deleted: boolean('deleted').notNull().default(false),
  },
  (t) => [index('prices_amount_idx').on(t.amountCents)],
);

/** Stock: only ever changed inside a database transaction (checkout, restock), never write-behind. */
export const stock = pgTable(
  'stock',
  {
    productId: integer('product_id')
      .primaryKey()
      .references(() => products.id),
    quantity: integer('quantity').notNull(),
  },
  (t) => [check('stock_quantity_non_negative', sql`${t.quantity} >= 0`)],
);

/** Demo users and their bearer tokens (`role: 'admin'` may use the admin routes). */
export const users = pgTable('users', {
  id: integer('id').primaryKey(),
  name: text('name').notNull(),
  token: text('token').notNull().unique(),
  role: text('role', { enum: ['shopper', 'admin'] }).notNull(),
});

/** Product reviews; the rating summary is computed from them and cached per product. */
export const reviews = pgTable(
  'reviews',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    rating: smallint('rating').notNull(),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('reviews_product_idx').on(t.productId)],
);

/** Carts: written behind (the `carts` write-behind cache), one versioned row per user. */
export const carts = pgTable('carts', {
  userId: integer('user_id')
    .primaryKey()
    .references(() => users.id),
  items: jsonb('items').$type<CartLine[]>().notNull(),
  version: bigint('version', { mode: 'number' }).notNull(),
  deleted: boolean('deleted').notNull().default(false),
});

/** View counters: write-behind `increment`, delivered as versioned deltas. */
export const productViews = pgTable(
  'product_views',
  {
    productId: integer('product_id')
      .primaryKey()
      .references(() => products.id),
    count: bigint('count', { mode: 'number' }).notNull(),
    version: bigint('version', { mode: 'number' }).notNull(),
  },
  (t) => [index('product_views_count_idx').on(t.count)],
);

/** Orders, written by checkout in the same transaction that decrements stock. */
export const orders = pgTable(
  'orders',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    totalCents: integer('total_cents').notNull(),
    currency: text('currency').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('orders_user_idx').on(t.userId)],
);

/** Order lines, with the unit price read inside the checkout transaction. */
export const orderItems = pgTable(
  'order_items',
  {
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    quantity: integer('quantity').notNull(),
    unitPriceCents: integer('unit_price_cents').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.productId] })],
);
