import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ShopModule } from './app.module.js';
import { nestLogLevels, type ShopConfig } from './config/shop-config.js';

/**
 * Creates the shop app (not listening yet), with Swagger UI at `/docs`. Shared by `main.ts` and the
 * e2e tests, so both run the same app.
 */
export async function createShopApp(config: ShopConfig): Promise<INestApplication> {
  const app = await NestFactory.create(ShopModule.forRoot(config), {
    logger: nestLogLevels(config.logLevel),
  });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Strata demo shop')
      .setDescription('Each route shows a Strata feature: see apps/shop/README.md for the tour.')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        // The demo's tokens are fixed opaque strings; without this the scheme says 'JWT'.
        bearerFormat: 'opaque',
        description: 'alice-token, bob-token, … or admin-token',
      })
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}
