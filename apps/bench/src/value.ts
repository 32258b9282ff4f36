/** A ~1 KB JSON-able object: nested objects and arrays of strings and numbers, like a typical DTO. */
export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  price: { amount: number; currency: string; vatRate: number };
  stock: { warehouse: string; quantity: number; reserved: number }[];
  tags: string[];
  attributes: Record<string, string | number>;
  ratings: { average: number; count: number; histogram: number[] };
  images: { url: string; width: number; height: number; alt: string }[];
  updatedAt: string;
}

/** Builds the benchmark value; deterministic, so every run measures the same bytes. */
export function makeValue(): Product {
  return {
    id: 'prod_01HZX3Q4V8K2M7N9P5R6T1W0YB',
    sku: 'SKU-000042-BLK-XL',
    name: 'Heavyweight organic cotton hoodie',
    description:
      'A midweight brushed-back fleece hoodie in organic cotton with a lined hood, ribbed cuffs and a kangaroo pocket. Garment dyed, pre-shrunk.',
    price: { amount: 8900, currency: 'EUR', vatRate: 0.2 },
    stock: [
      { warehouse: 'ams-1', quantity: 124, reserved: 3 },
      { warehouse: 'fra-2', quantity: 57, reserved: 0 },
      { warehouse: 'par-1', quantity: 12, reserved: 5 },
    ],
    tags: ['apparel', 'hoodies', 'organic', 'unisex', 'autumn-winter', 'bestseller'],
    attributes: {
      color: 'black',
      size: 'XL',
      material: '100% organic cotton',
      weightGrams: 640,
      fit: 'relaxed',
      origin: 'Portugal',
      care: 'Machine wash cold, tumble dry low',
    },
    ratings: { average: 4.6, count: 1287, histogram: [12, 21, 64, 301, 889] },
    images: [
      { url: 'https://cdn.example.com/p/42/front.webp', width: 1600, height: 2000, alt: 'Front view' },
      { url: 'https://cdn.example.com/p/42/back.webp', width: 1600, height: 2000, alt: 'Back view' },
    ],
    updatedAt: '2025-11-20T08:15:30.000Z',
  };
}

/** The value's JSON, which is what every store keeps. */
export const VALUE_JSON = JSON.stringify(makeValue());
