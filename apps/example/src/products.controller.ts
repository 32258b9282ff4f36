import { Body, Controller, Delete, Get, NotFoundException, Param, Patch } from '@nestjs/common';
import { ProductsService, type Product } from './products.service.js';

/** HTTP routes of the example; caching happens in the service, below the controller. */
@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get()
  findAll(): Promise<Product[]> {
    return this.products.findAll();
  }

  @Get('stats')
  stats(): { loads: number } {
    return { loads: this.products.loads };
  }

  @Get(':id')
  async findOne(@Param('id') id: string): Promise<Product> {
    const product = await this.products.findOne(id);
    if (!product) throw new NotFoundException(`No product ${id}`);
    return product;
  }

  @Patch(':id')
  async updatePrice(@Param('id') id: string, @Body() body: { price?: unknown }): Promise<Product> {
    const price = Number(body.price);
    if (!Number.isFinite(price) || price < 0)
      throw new NotFoundException('price must be a non-negative number');
    const product = await this.products.updatePrice(id, price);
    if (!product) throw new NotFoundException(`No product ${id}`);
    return product;
  }

  @Delete(':id')
  async remove(@Param('id') id: string): Promise<{ deleted: boolean }> {
    return { deleted: await this.products.remove(id) };
  }
}
