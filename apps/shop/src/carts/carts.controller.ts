import { Body, Controller, Delete, Get, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { NoHttpCache } from '@strata/nestjs';
import { z } from 'zod';
import { AuthGuard } from '../auth/auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import type { ShopUser } from '../auth/shop-user.js';
import { ZodApiBody } from '../common/zod-api-body.decorator.js';
import { idParam, ZodPipe } from '../common/zod.pipe.js';
import type { Cart } from './cart.js';
import { CartsService } from './carts.service.js';

const CartItemBody = z.object({ quantity: z.number().int().min(0).max(99) });

/**
 * The signed-in user's cart. Not an HTTP-cached page (`@NoHttpCache`): it changes with every edit
 * and the write-behind cache already answers it from memory or Redis.
 */
@ApiTags('cart')
@ApiBearerAuth()
@Controller('cart')
@UseGuards(AuthGuard)
@NoHttpCache()
export class CartsController {
  constructor(private readonly carts: CartsService) {}

  @Get()
  get(@CurrentUser() user: ShopUser): Promise<Cart> {
    return this.carts.get(user.id);
  }

  @Put('items/:productId')
  @ZodApiBody(CartItemBody)
  setItem(
    @CurrentUser() user: ShopUser,
    @Param('productId') productId: string,
    @Body(new ZodPipe(CartItemBody)) body: z.infer<typeof CartItemBody>,
  ): Promise<Cart> {
    return this.carts.setItem(user.id, idParam(productId), body.quantity);
  }

  @Delete()
  @HttpCode(204)
  async clear(@CurrentUser() user: ShopUser): Promise<void> {
    await this.carts.clear(user.id);
  }
}
