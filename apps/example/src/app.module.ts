import { Module } from '@nestjs/common';
import { StrataModule } from '@strata/nestjs';
import { ProductsController } from './products.controller.js';
import { ProductsService } from './products.service.js';

/**
 * The example app: memory cache by default, Redis when `REDIS_URL` is set.
 * (`apps/shop`, the full demo, replaces this once it lands.)
 */
@Module({
  imports: [
    StrataModule.forRoot({
      prefix: 'example',
      ttl: '5m',
      redis: process.env.REDIS_URL ? { url: process.env.REDIS_URL } : undefined,
    }),
  ],
  controllers: [ProductsController],
  providers: [ProductsService],
})
export class AppModule {}
