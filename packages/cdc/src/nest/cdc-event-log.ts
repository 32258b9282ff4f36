import type { LoggerService } from '@nestjs/common';
import type { CdcConsumer } from '../consumer/cdc-consumer.js';
import { messageOf } from '../errors/as-error.js';
import type { CdcEventMap } from '../events/cdc-events.js';

/** What each fallback reason means, for the log line. */
const FALLBACK_REASONS: Record<Exclude<CdcEventMap['cdc:fallback']['reason'], 'mapping-error'>, string> = {
  truncate: 'was truncated',
  'too-many': 'was changed by a transaction past maxInvalidations',
  reconnect: 'may have changed while the consumer reconnected',
};

/**
 * Logs what an operator needs to know of `consumer`: a warning when it degrades or is unavailable
 * (invalidation then relies on TTLs), a line when it streams or stands by, every error, and a
 * warning when a mapping throws (its table's fallback applied instead).
 *
 * @returns A function that removes the listeners.
 */
export function logCdcEvents(consumer: CdcConsumer, logger: LoggerService): () => void {
  const offs = [
    consumer.events.on('cdc:state', ({ state, reason }) => {
      const slot = consumer.status().slot;
      const why = reason === undefined ? '' : ` (${reason})`;
      if (state === 'degraded') {
        logger.warn(
          `Change data capture is degraded${why}: invalidation relies on TTLs until the consumer reconnects.`,
        );
      } else if (state === 'unavailable') {
        logger.warn(
          `Change data capture is unavailable${why}: invalidation relies on TTLs until the database can stream changes and the app restarts.`,
        );
      } else if (state === 'streaming') {
        logger.log(`Streaming committed changes from slot ${slot}.`);
      } else if (state === 'standby') {
        logger.log(`Standing by: another instance consumes slot ${slot}; this one takes over if it stops.`);
      }
    }),
    consumer.events.on('cdc:error', ({ during, error }) => {
      logger.error(
        `Change data capture failed during ${during}: ${messageOf(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    }),
    consumer.events.on('cdc:fallback', ({ table, reason, error }) => {
      if (reason === 'mapping-error') {
        logger.warn(
          `The mapping of ${table} threw (${messageOf(error)}): the table's fallback was applied instead.`,
        );
      } else {
        logger.log(`${table} ${FALLBACK_REASONS[reason]}: the table's fallback was applied.`);
      }
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
