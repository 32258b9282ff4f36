import type { Duration } from '@strata/core';

/** Thresholds of {@link StrataHealthIndicator.isHealthy}: what counts as unhealthy. */
export interface StrataHealthOptions {
  /**
   * How long the Redis `PING` may take. No answer within it: Redis counts as unreachable.
   * @default '1s'
   */
  readonly pingTimeout?: Duration;
  /**
   * Slowest acceptable `PING` round trip; a slower answer is a problem (Redis reachable but
   * slow). Unset: not judged, only reported.
   */
  readonly maxRoundTrip?: Duration;
  /**
   * What a Redis problem (unreachable, too slow, circuit breaker open) makes the check:
   * `'down'` fails it (HTTP 503 from Terminus); `'degraded'` keeps it passing while saying so
   * (the cache still answers from L1 and the loaders while Redis is away; Terminus 12.1+).
   * @default 'down'
   */
  readonly onRedisProblem?: 'down' | 'degraded';
  /**
   * Oldest acceptable unflushed write-behind write: a writer that stopped keeping up (or
   * fails) shows here before the queue fills.
   * @default '1m'
   */
  readonly maxWriteBehindLag?: Duration;
  /**
   * Most dead letters (writes set aside after `maxAttempts`, this instance, per cache) before
   * the check fails. Unset: counted and reported, not judged (a restart does not fix them).
   */
  readonly maxDeadLetters?: number;
}
