/**
 * Stable codes of every error Strata throws. Match on `error.code`, never on the message.
 */
export type StrataErrorCode =
  | 'E_CONFIG'
  | 'E_INVALID_KEY'
  | 'E_INVALID_TAG'
  | 'E_UNCACHEABLE_VALUE'
  | 'E_STORE'
  | 'E_REDIS_UNAVAILABLE'
  | 'E_CLOSED'
  | 'E_DECORATOR_MISUSE'
  | 'E_QUEUE_FULL'
  | 'E_NOT_A_COUNTER'
  | 'E_JOURNAL_UNAVAILABLE'
  | 'E_LOAD_TIMEOUT'
  | 'E_INVALID_TTL'
  | 'E_VALUE_TOO_LARGE'
  | 'E_UNKNOWN_DEAD_LETTER'
  | 'E_DEAD_LETTER_NOT_REDRIVABLE'
  | 'E_INVALIDATION_UNCONFIRMED'
  | 'E_CDC_UNAVAILABLE'
  | 'E_CDC_TABLE'
  | 'E_CDC_SETUP'
  | 'E_CDC_COLUMN_NOT_SENT';

/**
 * Base class of every error Strata throws.
 *
 * @example
 * ```ts
 * try { await cache.set(key, value); }
 * catch (error) { if (error instanceof StrataError && error.code === 'E_UNCACHEABLE_VALUE') … }
 * ```
 */
export class StrataError extends Error {
  /** A stable, machine-readable code. */
  readonly code: StrataErrorCode;

  constructor(code: StrataErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
