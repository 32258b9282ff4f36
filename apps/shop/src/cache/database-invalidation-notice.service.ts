import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { CdcConsumer, CdcOptions } from '@strata/cdc';

/** What the boot line says, and at which level. */
interface Notice {
  readonly level: 'log' | 'warn';
  readonly message: string;
}

/**
 * The one line the shop logs at boot about invalidation from the database: on (slot, state,
 * publication, tables) or off (why, and how to turn it on). Logged in `onApplicationBootstrap`,
 * through the app's logger: `StrataCdcModule` is global, and Nest runs the hooks of global modules
 * first, so the consumer has started (streaming, standing by or degraded) when the "on" line is
 * written.
 */
export class DatabaseInvalidationNotice implements OnApplicationBootstrap {
  private readonly logger = new Logger('DatabaseInvalidation');

  private constructor(private readonly notice: () => Notice) {}

  /** The line for a shop whose `StrataCdcModule` runs `consumer` with `options`. */
  static on(consumer: CdcConsumer, options: CdcOptions): DatabaseInvalidationNotice {
    return new DatabaseInvalidationNotice(() => {
      const { slot, state } = consumer.status();
      return {
        level: 'log',
        message:
          `Invalidation from the database is on: slot ${slot} (${state}), publication ` +
          `${options.publication ?? ''}, tables ${Object.keys(options.tables).join(', ')}`,
      };
    });
  }

  /** The line for a shop without it: `reason` says why and how to turn it on. */
  static off(level: 'log' | 'warn', reason: string): DatabaseInvalidationNotice {
    return new DatabaseInvalidationNotice(() => ({
      level,
      message:
        `Invalidation from the database is off: ${reason}. Changes made outside the shop show ` +
        'once their cache entries expire.',
    }));
  }

  onApplicationBootstrap(): void {
    const { level, message } = this.notice();
    if (level === 'warn') this.logger.warn(message);
    else this.logger.log(message);
  }
}
