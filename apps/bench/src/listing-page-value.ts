/**
 * A realistic page to compress, for context next to {@link makeLargeValue}'s near-random text: the
 * shop's `GET /products` listing (`ProductPage` in apps/shop/src/catalog/product-search.service.ts:
 * items of `id`, `sku`, `name`, `categoryId`, `amountCents`, `currency`, then `total`, `page`,
 * `pageSize`), with products made the way the shop's seed makes them (apps/shop/src/db/seed.ts:
 * "<adjective> <noun> <id>" names from 10 adjectives and 12 nouns, `SKU-<id>`, one of 24 leaf
 * categories, a price of 1.99 to 499.99 EUR; a different PRNG, the same distributions), ids consecutive as in the default sort. Its repeated
 * keys, enums and vocabulary are what compression feeds on in real API responses; it is not a
 * bound on what every page compresses to.
 */
import { seededRandom } from '@strata/testing';

const ADJECTIVES = [
  'Compact',
  'Sturdy',
  'Classic',
  'Smart',
  'Quiet',
  'Bright',
  'Nordic',
  'Rustic',
  'Modular',
  'Travel',
];
const NOUNS = [
  'Kettle',
  'Lamp',
  'Chair',
  'Speaker',
  'Planter',
  'Towel',
  'Backpack',
  'Desk',
  'Grinder',
  'Tent',
  'Mug',
  'Shelf',
];
/** The shop's leaf categories: 4 aisles in each of 6 departments, ids 100 + 10 × department + aisle. */
const LEAF_CATEGORY_IDS = Array.from({ length: 24 }, (_, i) => 100 + Math.floor(i / 4) * 10 + (i % 4));
/** The shop's largest page (`pageSize` at most 100). */
export const LISTING_MAX_PAGE_SIZE = 100;
/** The shop's catalogue size in its default configuration (`SHOP_SEED_PRODUCTS`), for `total`. */
const CATALOGUE_PRODUCTS = 10_000;

/** One line of the shop's listing. */
export interface ListingItem {
  id: number;
  sku: string;
  name: string;
  categoryId: number;
  amountCents: number;
  currency: string;
}

/** The shop's listing page. */
export interface ListingPage {
  items: ListingItem[];
  total: number;
  page: number;
  pageSize: number;
}

/**
 * A listing page of `pageSize` items (the shop serves at most {@link LISTING_MAX_PAGE_SIZE}; a
 * larger count builds the same shape past what the shop sends, to reach a size), from `seed`.
 */
export function makeListingPage(pageSize: number, seed = 1): ListingPage {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const page = 1 + Math.floor(random() * 50);
  const first = (page - 1) * pageSize + 1;
  const items = Array.from({ length: pageSize }, (_, i): ListingItem => {
    const id = first + i;
    return {
      id,
      sku: `SKU-${String(id).padStart(6, '0')}`,
      name: `${pick(ADJECTIVES)} ${pick(NOUNS)} ${id}`,
      categoryId: pick(LEAF_CATEGORY_IDS),
      amountCents: 199 + Math.floor(random() * 49_801),
      currency: 'EUR',
    };
  });
  return { items, total: CATALOGUE_PRODUCTS, page, pageSize };
}

/** The smallest listing page (by item count) whose JSON is at least `bytes` long. */
export function makeListingPageOfSize(bytes: number, seed = 1): ListingPage {
  let pageSize = LISTING_MAX_PAGE_SIZE;
  let value = makeListingPage(pageSize, seed);
  while (JSON.stringify(value).length < bytes) {
    const perItem = JSON.stringify(value).length / pageSize;
    pageSize = Math.max(pageSize + 1, Math.ceil(bytes / perItem));
    value = makeListingPage(pageSize, seed);
  }
  return value;
}
