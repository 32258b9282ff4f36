import { StrataError } from './strata.error.js';

/** Redis did not answer at boot and `redis.failOnUnavailable` is set. */
export class RedisUnavailableError extends StrataError {
  constructor(url: string, cause: unknown) {
    super(
      'E_REDIS_UNAVAILABLE',
      `Redis at ${url} did not answer at boot and redis.failOnUnavailable is true: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}
