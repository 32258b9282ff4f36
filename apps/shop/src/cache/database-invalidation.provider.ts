import {
  Inject,
  Injectable,
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { CdcConsumer, type CdcEvents, type CdcStatus } from '@strata/cdc';
import type { CacheStack } from '@strata/core';
import { STRATA_CACHE_STACK } from '@strata/nestjs';
import pg from 'pg';
import { SHOP_CONFIG, type ShopConfig } from '../config/shop-config.js';
import { SHOP_CDC_TABLES, shopCdcOptions } from './shop-cdc.options.js';

/**
 * Invalidation from the database (`@strata/cdc`): committed changes of the shop's tables, made by
 * the shop or anyone else (`psql`, another service), drop the cache entries and pages that show
 * them, on every instance.
 *
 * On only when the database can stream its changes: `DATABASE_URL` is set (the embedded PGlite
 * cannot), the server runs `wal_level = logical` and the role may replicate. Otherwise the shop
 * runs as without it, and one line at boot says why and how to turn it on; entries changed behind
 * the shop's back then show once they expire.
 *
 * Starts once the app is up (`onApplicationBootstrap`) and stops in `beforeApplicationShutdown`,
 * before `StrataModule` closes the cache stack in `onApplicationShutdown`: the last confirmed
 * invalidations land while Redis and the bus are still there.
 */
@Injectable()
export class DatabaseInvalidation implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DatabaseInvalidation');
  private consumer: CdcConsumer | undefined;
  private offReason: string | undefined;

  constructor(
    @Inject(SHOP_CONFIG) private readonly config: ShopConfig,
    @Inject(STRATA_CACHE_STACK) private readonly stack: CacheStack,
  ) {}

  /** Why invalidation from the database is off, or `undefined` while it is on. */
  get off(): string | undefined {
    return this.offReason;
  }

  /** The consumer's events while it is on: applied batches, state changes, fallbacks, errors. */
  get events(): CdcEvents | undefined {
    return this.consumer?.events;
  }

  /** The consumer's status (slot, state, confirmed position, lag) while it is on. */
  status(): CdcStatus | undefined {
    return this.consumer?.status();
  }

  async onApplicationBootstrap(): Promise<void> {
    const { database } = this.config;
    if (database.kind !== 'postgres') {
      this.turnOff(
        'log',
        'the embedded PGlite cannot stream its changes. Set DATABASE_URL to a PostgreSQL server ' +
          'with wal_level = logical for it',
      );
      return;
    }
    if (!this.config.cacheEnabled) {
      this.turnOff('log', 'SHOP_CACHE=off: nothing is cached');
      return;
    }
    const unable = await whyCannotStream(database.url);
    if (unable !== undefined) {
      this.turnOff('warn', unable);
      return;
    }
    const options = shopCdcOptions(database.url, this.config.cachePrefix);
    const consumer = new CdcConsumer(this.stack, options);
    this.watch(consumer);
    // `required`: the level is logical, so a table or replica identity that cannot serve the
    // mappings fails the boot, naming the SQL that fixes it.
    await consumer.start();
    this.consumer = consumer;
    this.logger.log(
      `Invalidation from the database is on: slot ${options.slot ?? ''}, publication ` +
        `${options.publication ?? ''}, tables ${Object.keys(SHOP_CDC_TABLES).join(', ')}`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  private turnOff(level: 'log' | 'warn', reason: string): void {
    this.offReason = reason;
    const line =
      `Invalidation from the database is off: ${reason}. Changes made outside the shop show ` +
      'once their cache entries expire.';
    if (level === 'warn') this.logger.warn(line);
    else this.logger.log(line);
  }

  /** Logs what an operator needs: state changes with their reason, errors, fallbacks. */
  private watch(consumer: CdcConsumer): void {
    consumer.events.on('cdc:state', ({ state, reason }) => {
      if (state === 'degraded')
        this.logger.warn(`Invalidation from the database is degraded: ${reason ?? ''}`);
      else if (state === 'standby') this.logger.log('Another instance reads the slot; standing by');
      else if (state === 'streaming') this.logger.log('Reading committed changes');
    });
    consumer.events.on('cdc:error', ({ during, error }) =>
      this.logger.warn(`Invalidation from the database failed during ${during}: ${describe(error)}`),
    );
    consumer.events.on('cdc:fallback', ({ table, reason }) =>
      this.logger.warn(`${table}: dropped its fallback entries (${reason})`),
    );
  }
}

/**
 * Why the server at `url` cannot stream its changes to the shop, or `undefined` when it can:
 * `wal_level` must be `logical`, and the role must have `REPLICATION` (or be a superuser).
 */
async function whyCannotStream(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const level = (await client.query<{ wal_level: string }>('show wal_level')).rows[0]?.wal_level;
    if (level !== 'logical') {
      return (
        `DATABASE_URL points at a server with wal_level = ${String(level)}, and reading its ` +
        'changes needs wal_level = logical. As a superuser: ALTER SYSTEM SET wal_level = logical; ' +
        'then restart PostgreSQL'
      );
    }
    const role = await client.query<{ name: string; allowed: boolean }>(
      'select rolname as name, rolreplication or rolsuper as allowed from pg_roles where rolname = current_user',
    );
    const row = role.rows[0];
    if (row !== undefined && !row.allowed) {
      return (
        `the role ${row.name} of DATABASE_URL may not read a replication stream. As a superuser: ` +
        `ALTER ROLE "${row.name.replaceAll('"', '""')}" REPLICATION`
      );
    }
    return undefined;
  } catch (error) {
    return `could not check the server's wal_level (${describe(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Provides {@link DatabaseInvalidation}. Needs the global `SHOP_CONFIG` and `StrataModule`'s
 * stack.
 */
@Module({ providers: [DatabaseInvalidation], exports: [DatabaseInvalidation] })
export class DatabaseInvalidationModule {}
