import { Prng } from '../../src/db/prng.js';
import { ZipfSampler } from './zipf.js';

/** One request of the workload. */
export interface LoadRequest {
  readonly kind: 'product' | 'listing' | 'cart' | 'review' | 'price' | 'checkout';
  readonly method: 'GET' | 'PUT' | 'POST';
  readonly path: string;
  readonly token?: string;
  readonly body?: unknown;
}

const SHOPPERS = ['alice', 'bob', 'carol', 'dave'];
const SEARCHES = ['lamp', 'chair', 'kettle', 'speaker', 'desk', 'mug', 'tent', 'towel'];

/**
 * The request mix: 94 % product pages (Zipf s = 1 over the catalog), 4 % listings and searches
 * (Zipf over 40 distinct queries), and 2 % writes: cart edits (1 %), reviews (0.4 %), price changes
 * (0.3 %) and checkouts (0.3 %) on Zipf-chosen products. Seeded: every run sends the same sequence.
 */
export class Workload {
  private readonly rng: Prng;
  private readonly products: ZipfSampler;
  private readonly listings: ZipfSampler;
  /** Rank to product id: a fixed shuffle, so the hot products are spread over the id space. */
  private readonly ids: number[];

  constructor(productCount: number, seed: number) {
    this.rng = new Prng(seed);
    this.products = new ZipfSampler(productCount, 1, this.rng);
    this.listings = new ZipfSampler(40, 1, this.rng);
    this.ids = Array.from({ length: productCount }, (_, i) => i + 1);
    for (let i = this.ids.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [this.ids[i], this.ids[j]] = [this.ids[j] as number, this.ids[i] as number];
    }
  }

  next(): LoadRequest {
    const roll = this.rng.next();
    const product = this.ids[this.products.next() - 1] ?? 1;
    const shopper = `${this.rng.pick(SHOPPERS)}-token`;
    if (roll < 0.94) return { kind: 'product', method: 'GET', path: `/products/${product}` };
    if (roll < 0.98) return { kind: 'listing', method: 'GET', path: this.listing(this.listings.next()) };
    if (roll < 0.99) {
      const quantity = this.rng.int(0, 3);
      return {
        kind: 'cart',
        method: 'PUT',
        path: `/cart/items/${product}`,
        token: shopper,
        body: { quantity },
      };
    }
    if (roll < 0.994) {
      const body = { rating: this.rng.int(1, 5), body: 'Load test review.' };
      return { kind: 'review', method: 'POST', path: `/products/${product}/reviews`, token: shopper, body };
    }
    if (roll < 0.997) {
      const body = { amountCents: this.rng.int(199, 49_999) };
      return {
        kind: 'price',
        method: 'PUT',
        path: `/admin/products/${product}/price`,
        token: 'admin-token',
        body,
      };
    }
    const body = { items: [{ productId: product, quantity: 1 }] };
    return { kind: 'checkout', method: 'POST', path: '/orders', token: shopper, body };
  }

  /** Listing number `rank`: a search, a department, or a sorted page of the whole catalog. */
  private listing(rank: number): string {
    if (rank <= 8) return `/products?q=${SEARCHES[rank - 1] ?? 'lamp'}`;
    if (rank <= 14) return `/products?category=${rank - 8}`;
    const sorts = ['price_asc', 'price_desc', 'name', 'newest'];
    return `/products?sort=${sorts[rank % 4] ?? 'name'}&page=${Math.floor((rank - 15) / 4) + 1}`;
  }
}
