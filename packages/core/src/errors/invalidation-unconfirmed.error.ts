import { StrataError } from './strata.error.js';

/**
 * A confirmed invalidation (`confirmInvalidation`) was not acknowledged: Redis did not store its
 * delete markers or tag times, or the bus did not publish its announcement. What failed is kept
 * for the usual replay and retry as well, so repeating the call is safe (invalidations are
 * idempotent); the caller must not treat the change as applied.
 */
export class InvalidationUnconfirmedError extends StrataError {
  /** What was not acknowledged: `redis` (markers or tag times) or `bus` (the announcement). */
  readonly step: 'redis' | 'bus';
  constructor(step: 'redis' | 'bus') {
    super(
      'E_INVALIDATION_UNCONFIRMED',
      step === 'redis'
        ? 'Redis did not acknowledge the invalidation (it is kept for a replay)'
        : 'the invalidation bus did not publish the announcement (it is kept for a retry)',
    );
    this.step = step;
  }
}
