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
   * Most unresolved dead letters per write-behind cache (writes set aside after `maxAttempts`, or
   * unreadable journal entries, neither re-driven nor purged) before the check fails. With a
   * Redis journal they are counted in Redis, so every instance reports the same count and fails
   * together: the check is a signal that writes fail systematically (a writer rejecting most of
   * them, a schema change), never a reaction to one bad write, which a restart or a removal from
   * rotation would not fix anyway. Each dead letter is logged when it happens and can be listed,
   * re-driven or purged (`listDeadLetters`, `redriveDeadLetter`, `purgeDeadLetters`). Past 10 000
   * per partition the oldest are dropped, so keep this well below. `Infinity`: reported only.
   * @default 100
   */
  readonly maxDeadLetters?: number;
}
