import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { StrataConfigError } from '@strata/core';
import { StrataMetrics } from '@strata/nestjs';
import { CdcConsumer } from '../consumer/cdc-consumer.js';
import { logCdcEvents } from './cdc-event-log.js';
import { CdcMetrics } from './cdc-metrics.js';
import { messageOf } from '../errors/as-error.js';

/**
 * Runs the module's {@link CdcConsumer} with the app:
 * - at module init, logs its events (`Logger('StrataCdc')`) and, when the app has
 *   `StrataMetricsModule`, registers its metrics on the same registry with the same prefix;
 * - at application bootstrap, starts it: a `CdcError` (the database cannot serve the mappings and
 *   `required` is on) fails boot, its message naming the table or setting and the fix;
 * - before application shutdown, stops it and gives its lease up, while `StrataModule`'s cache
 *   stack, which it invalidates and leases through, is still open (that closes at
 *   `onApplicationShutdown`, after the HTTP server).
 */
@Injectable()
export class CdcLifecycle
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnModuleDestroy
{
  private readonly logger = new Logger('StrataCdc');
  private metrics: CdcMetrics | undefined;

  constructor(
    @Inject(CdcConsumer) private readonly consumer: CdcConsumer,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  async onModuleInit(): Promise<void> {
    logCdcEvents(this.consumer, this.logger);
    const strataMetrics = this.findStrataMetrics();
    if (strataMetrics === undefined) return;
    // Present since StrataMetricsModule imported it; a failure names the package all the same.
    const prom = await import('prom-client').catch((error: unknown) => {
      throw new StrataConfigError(
        'StrataCdcModule',
        'prom-client',
        `cannot be imported: install it (a peer dependency of @strata/cdc) (${messageOf(error)})`,
      );
    });
    this.metrics = new CdcMetrics(prom, this.consumer, strataMetrics.registry, strataMetrics.prefix);
    this.metrics.start();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }

  onModuleDestroy(): void {
    // StrataMetrics unregisters its own metrics at this point too.
    this.metrics?.stop();
    this.metrics = undefined;
  }

  /** The app's `StrataMetrics`, in whichever module `StrataMetricsModule` was imported. */
  private findStrataMetrics(): StrataMetrics | undefined {
    try {
      return this.moduleRef.get(StrataMetrics, { strict: false });
    } catch {
      return undefined;
    }
  }
}
