/**
 * Large benchmark values: JSON-able catalogue pages of varied records (words, sentences, numbers,
 * dates, nested objects and arrays), from a seeded PRNG, so every run measures the same bytes and
 * the text does not repeat (a repeated string would flatter any codec or compression).
 */
import { seededRandom } from '@strata/testing';

const ONSETS = [
  'b',
  'c',
  'd',
  'f',
  'g',
  'h',
  'j',
  'k',
  'l',
  'm',
  'n',
  'p',
  'r',
  's',
  't',
  'v',
  'w',
  'z',
  'st',
  'tr',
  'ch',
  'br',
];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ou', 'y'];
const CODAS = ['', '', 'n', 'r', 's', 't', 'l', 'm', 'ck', 'nd'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY', 'CHF', 'SEK'];

/** One record of a large value. */
export interface CatalogueItem {
  id: string;
  name: string;
  description: string;
  price: { amount: number; currency: string; discount: number | null };
  stock: number;
  tags: string[];
  attributes: Record<string, string | number | boolean>;
  history: { at: string; quantity: number; note: string }[];
}

/** A large value: records until its JSON reaches the requested size. */
export interface Catalogue {
  seed: number;
  items: CatalogueItem[];
}

class Generator {
  constructor(private readonly random: () => number) {}

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  word(): string {
    let word = '';
    for (let s = 1 + this.int(3); s > 0; s--)
      word += this.pick(ONSETS) + this.pick(VOWELS) + this.pick(CODAS);
    return word;
  }

  words(min: number, max: number): string {
    return Array.from({ length: min + this.int(max - min + 1) }, () => this.word()).join(' ');
  }

  date(): string {
    return new Date(1_600_000_000_000 + this.int(200_000_000) * 1_000).toISOString();
  }

  item(index: number): CatalogueItem {
    const attributes: Record<string, string | number | boolean> = {};
    for (let a = this.int(6); a > 0; a--) {
      const kind = this.int(3);
      attributes[this.word()] =
        kind === 0 ? this.words(1, 3) : kind === 1 ? this.int(100_000) / 100 : this.random() < 0.5;
    }
    return {
      id: `item_${index}_${this.int(2 ** 31).toString(36)}`,
      name: this.words(2, 5),
      description: `${this.words(8, 60)}.`,
      price: {
        amount: this.int(1_000_000),
        currency: this.pick(CURRENCIES),
        discount: this.random() < 0.3 ? this.int(50) / 100 : null,
      },
      stock: this.int(5_000),
      tags: Array.from({ length: this.int(7) }, () => this.word()),
      attributes,
      history: Array.from({ length: this.int(4) }, () => ({
        at: this.date(),
        quantity: this.int(500) - 250,
        note: this.words(0, 6),
      })),
    };
  }
}

/** A value whose JSON is at least `bytes` long (and at most one record more), from `seed`. */
export function makeLargeValue(bytes: number, seed = 1): Catalogue {
  const generator = new Generator(seededRandom(seed));
  const value: Catalogue = { seed, items: [] };
  // `{"seed":1,"items":[...]}`: each record adds its JSON and a comma.
  let size = JSON.stringify(value).length;
  while (size < bytes) {
    const item = generator.item(value.items.length);
    value.items.push(item);
    size += JSON.stringify(item).length + 1;
  }
  return value;
}
