import { StrataError } from './strata.error.js';
import { describeValue } from './strata-config.error.js';

/**
 * A per-call duration (`ttl`, `nullTtl`, `grace`, `staleWhileRevalidate`, `softTimeout`,
 * `hardTimeout`) is not one Strata can store: not a number of ms or an `ms` string, `NaN`,
 * infinite, not positive, or above its maximum (`MAX_TTL_MS`, 365 days, for lifetimes). The same
 * values given at boot are a `StrataConfigError`.
 */
export class InvalidTtlError extends StrataError {
  /** The option, e.g. `ttl`. */
  readonly option: string;
  /** The value that was rejected. */
  readonly value: unknown;

  constructor(option: string, value: unknown, reason: string) {
    super('E_INVALID_TTL', `Invalid ${option} ${describeValue(value)}: ${reason}`);
    this.option = option;
    this.value = value;
  }
}
