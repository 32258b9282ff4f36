import type { StrataHealthOptions } from '@strata/nestjs';

/**
 * What the shop's `/health` counts as unhealthy (503).
 *
 * - Redis: no `PONG` within 500 ms, a round trip over 250 ms (loopback or same-zone Redis answers
 *   in well under 1 ms; 250 ms means it is swapping or saturated), or the breaker open. `'down'`:
 *   the shop still answers without Redis (L1 and the database), but an operator must hear of it.
 * - Write-behind: a cart or view count waiting more than 30 s (30 flush intervals) means the
 *   writer cannot keep up or keeps failing. Dead letters (writes the database refused
 *   `maxAttempts` times) are logged, reported here and handled at `/admin/write-behind/:cache/dead-letters`;
 *   they fail the check only past 100 unresolved (the library's default): with a Redis journal
 *   every instance counts the same ones, so one bad write failing the check would take every
 *   instance out of rotation, which fixes nothing. A hundred means the writer refuses writes
 *   systematically.
 */
export const SHOP_HEALTH_THRESHOLDS: StrataHealthOptions = {
  pingTimeout: '500ms',
  maxRoundTrip: '250ms',
  onRedisProblem: 'down',
  maxWriteBehindLag: '30s',
  maxDeadLetters: 100,
};
