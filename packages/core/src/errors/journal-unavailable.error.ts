import { StrataError } from './strata.error.js';

/**
 * A write-behind cache could not journal a write in Redis: with `onRedisDown: 'reject'` whenever
 * Redis is unreachable (nothing was written anywhere), and for an `increment` whose script was sent
 * but not answered (a timeout): the delta may or may not be journaled, and persisting it as well
 * could count it twice, so the caller decides.
 */
export class JournalUnavailableError extends StrataError {
  /** The named cache. */
  readonly cache: string;

  constructor(cache: string, reason: string, cause?: unknown) {
    super('E_JOURNAL_UNAVAILABLE', `The write-behind journal of cache "${cache}" is unreachable: ${reason}`, {
      cause,
    });
    this.cache = cache;
  }
}
