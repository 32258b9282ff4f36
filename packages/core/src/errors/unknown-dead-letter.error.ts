import { StrataError } from './strata.error.js';

/**
 * A dead-letter id that names no unresolved dead letter of the cache: malformed, never issued,
 * or already re-driven or purged (by this instance or another sharing the journal).
 */
export class UnknownDeadLetterError extends StrataError {
  /** The named cache. */
  readonly cache: string;
  /** The id that was asked for. */
  readonly id: string;

  constructor(cache: string, id: string) {
    super('E_UNKNOWN_DEAD_LETTER', `Cache "${cache}" has no dead letter ${JSON.stringify(id)}`);
    this.cache = cache;
    this.id = id;
  }
}
