import { StrataError } from './strata.error.js';

/**
 * A loader ran longer than its `hardTimeout` and no stale value could stand in for it. The
 * loader itself cannot be cancelled: it keeps running, and its late result is discarded.
 */
export class LoaderTimeoutError extends StrataError {
  /** Full key of the entry being loaded. */
  readonly key: string;
  /** The hard timeout that passed, in ms. */
  readonly timeoutMs: number;

  constructor(key: string, timeoutMs: number) {
    super(
      'E_LOAD_TIMEOUT',
      `The loader of "${key}" did not settle within its hardTimeout of ${timeoutMs} ms`,
    );
    this.key = key;
    this.timeoutMs = timeoutMs;
  }
}
