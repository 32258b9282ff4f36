import { StrataError } from './strata.error.js';

/**
 * A dead letter that cannot be re-driven (it stays a dead letter): a record that was unreadable
 * (there is no write to deliver; purge it), a set or delete whose key has increments being
 * delivered or not reducible with it, or a key with an unreadable unflushed record (retry after
 * the key's flush).
 */
export class DeadLetterNotRedrivableError extends StrataError {
  /** The named cache. */
  readonly cache: string;
  /** The dead letter's id. */
  readonly id: string;

  constructor(cache: string, id: string, reason: string) {
    super(
      'E_DEAD_LETTER_NOT_REDRIVABLE',
      `Dead letter ${JSON.stringify(id)} of cache "${cache}" cannot be re-driven: ${reason}`,
    );
    this.cache = cache;
    this.id = id;
  }
}
