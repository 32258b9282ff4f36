import { StrataError } from './strata.error.js';

/**
 * An L2 (Redis) operation failed or timed out. It never reaches callers: it is reported
 * through the `l2:error` event, reads fall back to the other layers or the loader, and deletes
 * and invalidations that could not reach Redis are replayed before Redis serves again.
 */
export class CacheStoreError extends StrataError {
  /** The operation that failed (`read`, `write`, `delete`, `invalidate`). */
  readonly operation: string;

  constructor(operation: string, cause: unknown) {
    super('E_STORE', `Redis ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.operation = operation;
  }
}
