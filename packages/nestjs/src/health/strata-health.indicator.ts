import { Inject, Injectable, Optional } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { StrataConfigError, WriteBehindStrategy, type CacheStack } from '@strata/core';
import { MAX_TIMER_MS, toPositiveMs } from '@strata/core/internal';
import { STRATA_CACHE_STACK } from '../module/cache-stack.token.js';
import type { StrataHealthOptions } from './strata-health.options.js';
import { engineOf } from '@strata/core/internal';

type Status = 'up' | 'degraded' | 'down';

/** `maxDeadLetters` when unset (see {@link StrataHealthOptions.maxDeadLetters}). */
export const DEFAULT_MAX_DEAD_LETTERS = 100;

/** What the check found, reported under the indicator's key whatever the status. */
interface Findings {
  redis?: { reachable: boolean; roundTripMs: number | undefined; breaker: string | undefined; bus?: string };
  writeBehind?: Record<string, { pending?: number; oldestPendingAgeMs?: number; deadLetters?: number }>;
  message?: string;
}

/**
 * A `@nestjs/terminus` health indicator for Strata: Redis reachable (a `PING` through the
 * stack's own connection) and its round trip, the circuit breaker, the invalidation bus, and
 * per write-behind cache its queue depth, lag (oldest unflushed write) and unresolved dead letters
 * (with a Redis journal, read from Redis: every instance reports the same count), judged
 * against the thresholds the app sets ({@link StrataHealthOptions}). A memory-only stack has no
 * Redis part. Result shape: Terminus's (`{ [key]: { status, ... } }`); no runtime import of
 * Terminus, which stays the app's (a peer dependency).
 *
 * @example
 * ```ts
 * @Get('health') @HealthCheck()
 * check() {
 *   return this.health.check([() => this.strata.isHealthy('cache', { maxWriteBehindLag: '30s' })]);
 * }
 * ```
 */
@Injectable()
export class StrataHealthIndicator {
  constructor(
    @Inject(STRATA_CACHE_STACK) private readonly stack: CacheStack,
    @Optional() private readonly writeBehind?: WriteBehindStrategy,
  ) {}

  /** Runs the checks; `status: 'down'` (or `'degraded'`) with a `message` naming each problem. */
  async isHealthy(key = 'strata', options: StrataHealthOptions = {}): Promise<HealthIndicatorResult> {
    const { pingTimeout, maxRoundTrip, maxWriteBehindLag } = options;
    // Waited for with a timer.
    const pingTimeoutMs =
      pingTimeout === undefined ? 1_000 : toPositiveMs(pingTimeout, 'pingTimeout', { maxMs: MAX_TIMER_MS });
    const maxRoundTripMs =
      maxRoundTrip === undefined ? undefined : toPositiveMs(maxRoundTrip, 'maxRoundTrip');
    const maxLagMs =
      maxWriteBehindLag === undefined ? 60_000 : toPositiveMs(maxWriteBehindLag, 'maxWriteBehindLag');
    const maxDead = options.maxDeadLetters ?? DEFAULT_MAX_DEAD_LETTERS;
    if (!(maxDead === Number.POSITIVE_INFINITY || (Number.isSafeInteger(maxDead) && maxDead >= 0)))
      throw new StrataConfigError('maxDeadLetters', maxDead, 'expected an integer >= 0, or Infinity');
    const onRedis = options.onRedisProblem ?? 'down';
    if (onRedis !== 'down' && onRedis !== 'degraded')
      throw new StrataConfigError('onRedisProblem', onRedis, "expected 'down' or 'degraded'");

    const findings: Findings = {};
    const redisProblems: string[] = [];
    const problems: string[] = [];
    if (engineOf(this.stack).l2 !== undefined) {
      const roundTripMs = await this.ping(pingTimeoutMs);
      const breaker = this.stack.breakerState;
      const bus = engineOf(this.stack).bus;
      findings.redis = {
        reachable: roundTripMs !== undefined,
        roundTripMs: roundTripMs === undefined ? undefined : round(roundTripMs),
        breaker,
        ...(bus !== undefined && { bus: bus.connected ? 'connected' : 'disconnected' }),
      };
      if (roundTripMs === undefined)
        redisProblems.push(`Redis did not answer PING within ${pingTimeoutMs} ms`);
      else if (maxRoundTripMs !== undefined && roundTripMs > maxRoundTripMs)
        redisProblems.push(`Redis PING took ${round(roundTripMs)} ms (max ${maxRoundTripMs} ms)`);
      if (breaker === 'open') redisProblems.push('the Redis circuit breaker is open');
    }
    for (const cache of this.writeBehind?.caches.values() ?? []) {
      const pending = await cache.pending().catch(() => undefined);
      const age = await cache.oldestPendingAge().catch(() => undefined);
      // Unresolved ones, from the journal: with Redis, every instance counts the same.
      const deadLetters = await cache.deadLetterCount().catch(() => undefined);
      findings.writeBehind ??= {};
      findings.writeBehind[cache.name] = {
        ...(pending !== undefined && { pending }),
        ...(age !== undefined && { oldestPendingAgeMs: Math.round(age) }),
        ...(deadLetters !== undefined && { deadLetters }),
      };
      if (age !== undefined && age > maxLagMs)
        problems.push(
          `write-behind "${cache.name}" has a write pending for ${Math.round(age)} ms (max ${maxLagMs} ms)`,
        );
      if (deadLetters !== undefined && deadLetters > maxDead)
        problems.push(
          `write-behind "${cache.name}" has ${deadLetters} unresolved dead letters (max ${maxDead})`,
        );
    }

    const status: Status = problems.length > 0 ? 'down' : redisProblems.length > 0 ? onRedis : 'up';
    const all = [...redisProblems, ...problems];
    if (all.length > 0) findings.message = all.join('; ');
    return { [key]: { status, ...findings } };
  }

  /** The `PING` round trip in ms, or `undefined` when Redis did not answer in time. */
  private async ping(timeoutMs: number): Promise<number | undefined> {
    const client = engineOf(this.stack).redisClient;
    if (client === undefined) return undefined;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      // No offline queue: while disconnected this rejects at once instead of waiting.
      const answered = await Promise.race([client.ping().then(() => true), timeout]);
      return answered === true ? performance.now() - started : undefined;
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
