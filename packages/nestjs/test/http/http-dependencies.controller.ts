import { Body, Controller, Get, Injectable, Param, Patch } from '@nestjs/common';
import { Cacheable, CacheEvict, CacheService, HttpCache } from '@strata/nestjs';

/** A product row of the in-memory "database" of the dependency suite. */
export interface ProductRow {
  readonly id: string;
  readonly name: string;
  readonly category: string;
}

/** The "database": rows by id, and how many times it was read. */
@Injectable()
export class ProductTable {
  readonly rows = new Map<string, ProductRow>();
  reads = 0;

  get(id: string): ProductRow | null {
    this.reads++;
    return this.rows.get(id) ?? null;
  }

  inCategory(category: string): string[] {
    this.reads++;
    return [...this.rows.values()].filter((row) => row.category === category).map((row) => row.id);
  }
}

/** Per id: a promise the `slow` handler waits for after it read the product. */
export const holds = new Map<string, Promise<void>>();
/** Per id: resolved once the `slow` handler has read the product and waits. */
export const reached = new Map<string, () => void>();

/** Cached reads and an evicting write, as an app's service would have them. */
@Injectable()
export class CatalogService {
  constructor(
    private readonly table: ProductTable,
    private readonly cache: CacheService,
  ) {}

  @Cacheable({ key: (id: string) => `product:${id}`, tags: (id: string) => [`product:${id}`] })
  async product(id: string): Promise<ProductRow | null> {
    return this.table.get(id);
  }

  /** A cached list built from cached products: its entry keeps what they depend on. */
  @Cacheable({ key: (category: string) => `category:${category}:products` })
  async categoryProducts(category: string): Promise<(ProductRow | null)[]> {
    const ids = this.table.inCategory(category);
    return Promise.all(ids.map((id) => this.product(id)));
  }

  @CacheEvict({ keys: (id: string) => [`product:${id}`] })
  async rename(id: string, name: string): Promise<ProductRow | null> {
    const row = this.table.rows.get(id);
    if (row === undefined) return null;
    const renamed = { ...row, name };
    this.table.rows.set(id, renamed);
    return renamed;
  }

  /** Read through CacheService rather than a decorator. */
  async banner(): Promise<string> {
    return (await this.cache.get<string>('banner')) ?? 'none';
  }
}

/** Routes of the dependency suite: pages built from cached reads. */
@Controller('dep')
export class DependencyTestController {
  constructor(private readonly catalog: CatalogService) {}

  @Get('products/:id')
  @HttpCache({ ttl: '1m' })
  findOne(@Param('id') id: string): Promise<ProductRow | null> {
    return this.catalog.product(id);
  }

  @Get('categories/:category/products')
  @HttpCache({ ttl: '1m' })
  list(@Param('category') category: string): Promise<(ProductRow | null)[]> {
    return this.catalog.categoryProducts(category);
  }

  @Get('banner')
  @HttpCache({ ttl: '1m' })
  async banner(): Promise<{ banner: string }> {
    return { banner: await this.catalog.banner() };
  }

  @Get('slow/:id')
  @HttpCache({ ttl: '1m' })
  async slow(@Param('id') id: string): Promise<ProductRow | null> {
    const product = await this.catalog.product(id);
    reached.get(id)?.();
    await holds.get(id);
    return product;
  }

  @Patch('products/:id')
  rename(@Param('id') id: string, @Body() body: { name: string }): Promise<ProductRow | null> {
    return this.catalog.rename(id, body.name);
  }
}
