import { Inject, Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { CdcConsumer } from '../consumer/cdc-consumer.js';
import type { CdcState } from '../events/cdc-events.js';

/** States in which committed changes do not become invalidations on this fleet. */
const DOWN_STATES: ReadonlySet<CdcState> = new Set(['degraded', 'stopped', 'unavailable']);

/**
 * A `@nestjs/terminus` health indicator for change data capture. `up` while the consumer streams
 * the slot or stands by for the instance that does (and `starting`); `down` when it is
 * `degraded` (the database or Redis cannot be reached: invalidation relies on TTLs), `stopped` or
 * `unavailable`, or when the slot's lag passes `maxLagBytes` (`CdcOptions`). Details, whatever the
 * status: `state`, `slot`, `lagBytes`, `lagSeconds`, `confirmedLsn`, and a `message` when down.
 *
 * It only reads `CdcConsumer.status()`: a check opens no connection and changes nothing, so no
 * number of requests to the health endpoint can affect the consumer. Result shape: Terminus's
 * (`{ [key]: { status, ... } }`); no runtime import of Terminus, which stays the app's (an
 * optional peer dependency).
 *
 * @example
 * ```ts
 * @Get('health') @HealthCheck()
 * check() {
 *   return this.health.check([() => this.cdc.isHealthy('cdc')]);
 * }
 * ```
 */
@Injectable()
export class CdcHealthIndicator {
  constructor(@Inject(CdcConsumer) private readonly consumer: CdcConsumer) {}

  /**
   * Judges the consumer's status; `status: 'down'` with a `message` saying why. Resolves at once
   * (a promise, as Terminus's indicators return).
   */
  isHealthy(key = 'cdc'): Promise<HealthIndicatorResult> {
    return Promise.resolve(this.check(key));
  }

  private check(key: string): HealthIndicatorResult {
    const { state, slot, lagBytes, lagSeconds, confirmedLsn, maxLagBytes, reason } = this.consumer.status();
    const details = { state, slot, lagBytes, lagSeconds, confirmedLsn: confirmedLsn ?? null };
    let message: string | undefined;
    if (DOWN_STATES.has(state)) {
      message = `the consumer is ${state}${reason === undefined ? '' : `: ${reason}`}`;
    } else if (lagBytes > maxLagBytes) {
      message = `slot ${slot} is ${lagBytes} bytes behind (threshold ${maxLagBytes})`;
    }
    return {
      [key]: message === undefined ? { status: 'up', ...details } : { status: 'down', ...details, message },
    };
  }
}
