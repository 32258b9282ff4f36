import { Injectable } from '@nestjs/common';
import { Cacheable, CacheEvict, CachePut } from '@strata/nestjs';

/** A product of the example catalog. */
export interface Product {
  id: string;
  name: string;
  price: number;
  updatedAt: Date;
}

/**
 * The example's data source: an in-memory table that pretends to be slow (50 ms a read), so the
 * effect of caching is visible in response times and in `loads`.
 */
@Injectable()
export class ProductsService {
  /** How many times the slow source was read. */
  loads = 0;
  private readonly table = new Map<string, Product>([
    ['1', { id: '1', name: 'Espresso cup', price: 9.5, updatedAt: new Date('2026-01-01T00:00:00Z') }],
    ['2', { id: '2', name: 'Milk jug', price: 14, updatedAt: new Date('2026-01-01T00:00:00Z') }],
  ]);

  @Cacheable({ key: (id: string) => `product:${id}`, ttl: '10m', tags: (id: string) => [`product:${id}`] })
  async findOne(id: string): Promise<Product | null> {
    await this.slowRead();
    return this.table.get(id) ?? null;
  }

  @Cacheable({ key: 'product-list', ttl: '30s', tags: ['product-list'] })
  async findAll(): Promise<Product[]> {
    await this.slowRead();
    return [...this.table.values()];
  }

  @CachePut({ key: (id: string) => `product:${id}`, tags: (id: string) => [`product:${id}`] })
  @CacheEvict({ tags: ['product-list'] })
  async updatePrice(id: string, price: number): Promise<Product | null> {
    const product = this.table.get(id);
    if (!product) return null;
    const updated = { ...product, price, updatedAt: new Date() };
    this.table.set(id, updated);
    return updated;
  }

  @CacheEvict({ keys: (id: string) => [`product:${id}`], tags: ['product-list'] })
  async remove(id: string): Promise<boolean> {
    return this.table.delete(id);
  }

  private async slowRead(): Promise<void> {
    this.loads++;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
