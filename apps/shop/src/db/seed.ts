import { count } from 'drizzle-orm';
import type { Database, Transaction } from './database.js';
import { Prng } from './prng.js';
import { categories, prices, products, reviews, stock, users } from './schema.js';

/** The seeded demo users; their tokens are the bearer tokens of the demo (see apps/shop/README.md). */
export const DEMO_USERS = [
  { id: 1, name: 'Alice', token: 'alice-token', role: 'shopper' },
  { id: 2, name: 'Bob', token: 'bob-token', role: 'shopper' },
  { id: 3, name: 'Carol', token: 'carol-token', role: 'shopper' },
  { id: 4, name: 'Dave', token: 'dave-token', role: 'shopper' },
  { id: 100, name: 'Admin', token: 'admin-token', role: 'admin' },
] as const;

const SEED = 20_261_201;
const BATCH = 1_000;
const DEPARTMENTS = ['Kitchen', 'Garden', 'Office', 'Outdoor', 'Audio', 'Bath'];
const AISLES = ['Essentials', 'Premium', 'Tools', 'Accessories'];
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
const COLOURS = ['black', 'white', 'oak', 'sage', 'navy', 'sand'];
const MATERIALS = ['steel', 'bamboo', 'cotton', 'ceramic', 'recycled plastic', 'walnut'];

/**
 * Fills an empty database with a deterministic catalog: 30 categories in two levels, `productCount`
 * products with prices and stock, reviews, and the {@link DEMO_USERS}. Does nothing when products
 * exist, so a restart keeps the data (and what the demo changed).
 *
 * @returns whether it seeded
 */
export async function seedDatabase(db: Database, productCount: number): Promise<boolean> {
  const [existing] = await db.select({ n: count() }).from(products);
  if ((existing?.n ?? 0) > 0) return false;
  const rng = new Prng(SEED);
  await db.transaction(async (tx) => {
    await tx.insert(users).values(DEMO_USERS.map((u) => ({ ...u })));
    const leafIds = await seedCategories(tx);
    const created = new Date('2026-01-01T00:00:00Z');
    for (let start = 1; start <= productCount; start += BATCH) {
      const ids = range(start, Math.min(start + BATCH - 1, productCount));
      await tx.insert(products).values(
        ids.map((id) => {
          const name = `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)} ${id}`;
          const colour = rng.pick(COLOURS);
          const material = rng.pick(MATERIALS);
          return {
            id,
            sku: `SKU-${String(id).padStart(6, '0')}`,
            name,
            description: `A ${colour} ${material} ${name.toLowerCase()} for everyday use.`,
            categoryId: rng.pick(leafIds),
            attributes: { colour, material, weightGrams: rng.int(100, 5_000) },
            createdAt: created,
            updatedAt: created,
          };
        }),
      );
      await tx.insert(prices).values(
        ids.map((id) => ({
          productId: id,
          amountCents: rng.int(199, 49_999),
          currency: 'EUR',
          version: 0,
        })),
      );
      await tx.insert(stock).values(ids.map((id) => ({ productId: id, quantity: rng.int(0, 200) })));
      const rows = ids.flatMap((id) =>
        rng.next() < 0.3
          ? range(1, rng.int(1, 4)).map(() => ({
              productId: id,
              userId: rng.int(1, 4),
              rating: rng.int(1, 5),
              body: rng.pick(['Does the job.', 'Great value.', 'Arrived damaged.', 'Would buy again.']),
              createdAt: created,
            }))
          : [],
      );
      if (rows.length > 0) await tx.insert(reviews).values(rows);
    }
  });
  return true;
}

async function seedCategories(tx: Transaction): Promise<number[]> {
  const rows = DEPARTMENTS.flatMap((department, d) => {
    const parentId = d + 1;
    const parent = { id: parentId, parentId: null, name: department, slug: department.toLowerCase() };
    const children = AISLES.map((aisle, a) => ({
      id: 100 + d * 10 + a,
      parentId,
      name: `${department} ${aisle}`,
      slug: `${department}-${aisle}`.toLowerCase(),
    }));
    return [parent, ...children];
  });
  await tx.insert(categories).values(rows);
  return rows.filter((row) => row.parentId !== null).map((row) => row.id);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
