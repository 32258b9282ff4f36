import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Param,
  type DynamicModule,
  type INestApplication,
  type LoggerService,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import type { CacheStack } from '@strata/core';
import {
  Cacheable,
  HttpCache,
  HttpCacheModule,
  STRATA_CACHE_STACK,
  StrataMetricsModule,
  StrataModule,
} from '@strata/nestjs';
import pg from 'pg';
import type { Registry } from 'prom-client';
import {
  CdcConsumer,
  CdcHealthIndicator,
  StrataCdcModule,
  type CdcOptions,
  type StrataCdcModuleAsyncOptions,
} from '../../src/index.js';

/** Injection token of the test database's URL. */
export const DATABASE_URL = Symbol('DATABASE_URL');

/** Provides and exports {@link DATABASE_URL}, as an app's configuration module would. */
@Module({})
export class DatabaseConfigModule {
  static register(url: string): DynamicModule {
    return {
      module: DatabaseConfigModule,
      providers: [{ provide: DATABASE_URL, useValue: url }],
      exports: [DATABASE_URL],
    };
  }
}

/** A product's price, as the API shows it. */
export interface Price {
  readonly productId: number;
  readonly amountCents: number;
}

/** The `prices` table, read through a pool of its own (the app's database access). */
@Injectable()
export class PriceTable implements OnApplicationShutdown {
  private readonly pool: pg.Pool;

  constructor(@Inject(DATABASE_URL) url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 2 });
    // An idle client's error (the server stopped) is not the test's failure; the next query's is.
    this.pool.on('error', () => undefined);
  }

  async price(productId: number): Promise<Price | null> {
    const result = await this.pool.query<{ amount_cents: number }>(
      'select amount_cents from prices where product_id = $1',
      [productId],
    );
    const row = result.rows[0];
    return row === undefined ? null : { productId, amountCents: row.amount_cents };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

/** The service whose cached reads the database's changes invalidate. */
@Injectable()
export class ProductService {
  /** How many times `price` ran (missed its cache entry). */
  loads = 0;

  constructor(@Inject(PriceTable) private readonly prices: PriceTable) {}

  @Cacheable({ key: (id: string) => `product:${id}`, tags: (id: string) => [`product:${id}`] })
  async price(id: string): Promise<Price | null> {
    this.loads++;
    return this.prices.price(Number(id));
  }
}

/** A cached page that reads through the service (the page depends on `product:<id>`). */
@Controller('products')
export class ProductController {
  constructor(@Inject(ProductService) private readonly products: ProductService) {}

  @Get(':id/price')
  @HttpCache({ ttl: '1m' })
  price(@Param('id') id: string): Promise<Price | null> {
    return this.products.price(id);
  }
}

/** `GET /health` with the CDC indicator. */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(CdcHealthIndicator) private readonly cdc: CdcHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.cdc.isHealthy()]);
  }
}

/** How one instance of the shop is set up. */
export interface ShopSetup {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** The fleet's cache prefix (instances sharing it share the consumer lease). */
  readonly prefix: string;
  /** `StrataCdcModule.forRoot`'s options, or `forRootAsync`'s. */
  readonly cdc: CdcOptions | { readonly async: StrataCdcModuleAsyncOptions };
  /** Adds `StrataMetricsModule.forRoot({ registry })`. */
  readonly metrics?: Registry;
  /** Adds Terminus and `GET /health`. */
  readonly health?: boolean;
  /** Where the app logs (default: nowhere). */
  readonly logger?: LoggerService;
}

/**
 * Boots one instance of the shop on Express, listening on a free loopback port. The app is
 * handed to `track` before it starts, so the caller closes it even when boot fails.
 */
export async function bootShop(
  setup: ShopSetup,
  track: (app: INestApplication) => void,
): Promise<INestApplication> {
  const cdc =
    'async' in setup.cdc ? StrataCdcModule.forRootAsync(setup.cdc.async) : StrataCdcModule.forRoot(setup.cdc);
  const moduleRef = await Test.createTestingModule({
    // StrataCdcModule before StrataModule: Nest runs a shutdown hook of the modules imported last
    // first, so the consumer stops before the stack closes only thanks to the hook it uses.
    imports: [
      cdc,
      StrataModule.forRoot({ prefix: setup.prefix, redis: { url: setup.redisUrl } }),
      HttpCacheModule.forRoot(),
      DatabaseConfigModule.register(setup.databaseUrl),
      ...(setup.metrics === undefined ? [] : [StrataMetricsModule.forRoot({ registry: setup.metrics })]),
      ...(setup.health === true ? [TerminusModule.forRoot({ logger: false })] : []),
    ],
    controllers: [ProductController, ...(setup.health === true ? [HealthController] : [])],
    providers: [PriceTable, ProductService],
  }).compile();
  const app = moduleRef.createNestApplication(new ExpressAdapter(), { logger: setup.logger ?? false });
  track(app);
  await app.listen(0, '127.0.0.1');
  return app;
}

/** The app's consumer and cache stack. */
export function partsOf(app: INestApplication): { consumer: CdcConsumer; stack: CacheStack } {
  return { consumer: app.get(CdcConsumer), stack: app.get<symbol, CacheStack>(STRATA_CACHE_STACK) };
}

/** Log lines by level, for assertions on what an operator would read. */
export class CapturedLog implements LoggerService {
  readonly lines: { level: string; context: string | undefined; message: string }[] = [];

  log(message: unknown, context?: string): void {
    this.add('log', message, context);
  }
  warn(message: unknown, context?: string): void {
    this.add('warn', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.add('error', message, typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined);
  }
  debug(message: unknown, context?: string): void {
    this.add('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.add('verbose', message, context);
  }

  /** Lines of `context` at `level`. */
  of(context: string, level: string): string[] {
    return this.lines.filter((l) => l.context === context && l.level === level).map((l) => l.message);
  }

  private add(level: string, message: unknown, context: string | undefined): void {
    this.lines.push({ level, context, message: String(message) });
  }
}
