import { Body, Controller, Get, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { HttpCache } from '@strata/nestjs';
import { AuthGuard } from '../auth/auth.guard.js';
import { byUser, CurrentUser } from '../auth/current-user.decorator.js';
import type { ShopRequest, ShopUser } from '../auth/shop-user.js';
import { ZodApiBody } from '../common/zod-api-body.decorator.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { NewOrderSchema, OrdersService, type NewOrder, type OrderView } from './orders.service.js';

/** Checkout and order history of the signed-in user. */
@ApiTags('orders')
@ApiBearerAuth()
@Controller('orders')
@UseGuards(AuthGuard)
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  /**
   * Per-user page: `scope: 'private'` keys the entry by the verified user id (`varyBy`) and sends
   * `Cache-Control: private`, so two users never share it. A checkout invalidates `orders:<id>`
   * (and the POST to this path drops the path's pages).
   */
  @Get()
  @HttpCache<ShopRequest>({
    ttl: '1m',
    scope: 'private',
    varyBy: byUser,
    tags: (request) => [`orders:${request.user?.id ?? 'anonymous'}`],
  })
  history(@CurrentUser() user: ShopUser): Promise<OrderView[]> {
    return this.orders.history(user.id);
  }

  @Post()
  @ZodApiBody(NewOrderSchema)
  checkout(
    @CurrentUser() user: ShopUser,
    @Body(new ZodPipe(NewOrderSchema)) body: NewOrder,
  ): Promise<OrderView> {
    return this.orders.checkout(user.id, body);
  }
}
