import { Module } from '@nestjs/common';
import { InventoryModule } from '../inventory/inventory.module.js';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';

/** Checkout and order history (`CartsService` comes from the global `CartsModule`). */
@Module({ imports: [InventoryModule], controllers: [OrdersController], providers: [OrdersService] })
export class OrdersModule {}
