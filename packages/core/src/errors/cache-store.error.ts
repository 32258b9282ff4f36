import { StrataError } from './strata.error.js';

/**
 * An L2 (Redis) operation failed or timed out. Strata never lets this reach a caller of
 * `get`/`getOrLoad`: it is reported through the `l2:error` event and the call falls back to
 * the other layers or the loader. It reaches callers only of explicit invalidations, where
 * silently doing nothing would leave stale data.
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
