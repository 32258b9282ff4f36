import {
  Global,
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ShopConfig } from '../config/shop-config.js';
import { DATABASE, openDatabase, type DatabaseHandle } from './database.js';
import { QueryCounter } from './query-counter.js';
import { seedDatabase } from './seed.js';

const DATABASE_HANDLE = Symbol('DATABASE_HANDLE');

/**
 * Opens the database at boot (migrations, then the seed when it is empty) and provides the
 * Drizzle {@link DATABASE} and the {@link QueryCounter} to every module. The connection closes in
 * `onApplicationShutdown`, after every module's `onModuleDestroy` (where the write-behind caches
 * drain into it).
 */
@Global()
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE_HANDLE) private readonly handle: DatabaseHandle) {}

  static forRoot(config: ShopConfig): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: QueryCounter, useValue: new QueryCounter() },
        {
          provide: DATABASE_HANDLE,
          inject: [QueryCounter],
          useFactory: async (counter: QueryCounter): Promise<DatabaseHandle> => {
            const logger = new Logger('Database');
            const handle = await openDatabase(config.database, counter);
            const started = performance.now();
            if (await seedDatabase(handle.db, config.seedProducts)) {
              logger.log(
                `Seeded ${config.seedProducts} products in ${Math.round(performance.now() - started)} ms`,
              );
            }
            logger.log(
              config.database.kind === 'postgres'
                ? 'PostgreSQL (DATABASE_URL)'
                : `PGlite in ${config.database.dataDir ?? 'memory'}`,
            );
            counter.reset();
            return handle;
          },
        },
        { provide: DATABASE, inject: [DATABASE_HANDLE], useFactory: (handle: DatabaseHandle) => handle.db },
      ],
      exports: [DATABASE, QueryCounter],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.handle.close();
  }
}
