import { StrataError } from './strata.error.js';

/**
 * A write-behind cache with `onRedisDown: 'reject'` could not journal a write because Redis was
 * unreachable. Nothing was written: neither the cache, nor the journal, nor the database.
 */
export class JournalUnavailableError extends StrataError {
  /** The named cache. */
  readonly cache: string;

  constructor(cache: string, cause?: unknown) {
    super(
      'E_JOURNAL_UNAVAILABLE',
      `The write-behind journal of cache "${cache}" is unreachable (Redis down) and onRedisDown is 'reject'`,
      { cause },
    );
    this.cache = cache;
  }
}
