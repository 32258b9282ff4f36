import { describe, expect, it } from 'vitest';
import { CacheStoreError } from '../errors/cache-store.error.js';
import { OperationDeadlines } from './operation-deadlines.js';
import { RedisTimeBudget } from './redis-time-budget.js';

const never = (): Promise<string> => new Promise<string>(() => undefined);

describe('OperationDeadlines', () => {
  it('gives up on each command at its own deadline, earliest first, with one timer for all', async () => {
    const deadlines = new OperationDeadlines(200);
    const started = performance.now();
    const settledAt = (promise: Promise<unknown>): Promise<number> =>
      promise.then(
        () => Number.NaN,
        (error: unknown) => {
          expect(error).toBeInstanceOf(CacheStoreError);
          return performance.now() - started;
        },
      );
    const late = settledAt(deadlines.within(new RedisTimeBudget(200), 'read', never));
    const early = settledAt(deadlines.within(new RedisTimeBudget(40), 'read', never));
    const [earlyMs, lateMs] = await Promise.all([early, late]);
    expect(earlyMs).toBeGreaterThanOrEqual(39);
    expect(earlyMs).toBeLessThan(180);
    expect(lateMs).toBeGreaterThanOrEqual(199);
    await deadlines.drain();
  });

  it('answers a command that replies in time, and gives up on none after it settled', async () => {
    const deadlines = new OperationDeadlines(30);
    const budget = new RedisTimeBudget(30);
    await expect(deadlines.within(budget, 'read', () => Promise.resolve('ok'))).resolves.toBe('ok');
    await expect(
      deadlines.within(budget, 'read', () => Promise.reject(new Error('refused'))),
    ).rejects.toThrow('refused');
    // The timer armed for the first command fires for nothing; a later command still gets its own deadline.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await expect(deadlines.within(new RedisTimeBudget(30), 'read', never)).rejects.toBeInstanceOf(
      CacheStoreError,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
    await deadlines.drain();
  });
});
