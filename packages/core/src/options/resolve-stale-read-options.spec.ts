import { describe, expect, it } from 'vitest';
import { StrataConfigError } from '../errors/strata-config.error.js';
import { resolveReadPolicy } from './stale-policy.js';
import type { CacheStackOptions } from './cache-stack.options.js';
import { resolveStackOptions } from './resolve-options.js';

function rejected(run: () => unknown): StrataConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StrataConfigError);
    return error as StrataConfigError;
  }
  throw new Error('expected a StrataConfigError');
}

const stack = (options: unknown): CacheStackOptions => options as CacheStackOptions;

describe('stale-read options', () => {
  it('resolves durations, the stale window and early refresh defaults', () => {
    const random = (): number => 0.5;
    const reads = resolveStackOptions({
      grace: '1m',
      staleWhileRevalidate: 5_000,
      softTimeout: '200ms',
      hardTimeout: '2s',
      earlyRefresh: { random },
      graceRetry: { delay: '250ms', maxAttempts: 2 },
    }).reads;
    expect(reads).toStrictEqual({
      graceMs: 60_000,
      swrMs: 5_000,
      staleMs: 60_000,
      softTimeoutMs: 200,
      hardTimeoutMs: 2_000,
      early: { beta: 1, random },
      earlyRefresh: true,
      retry: { delayMs: 250, maxAttempts: 2 },
    });
    expect(resolveStackOptions({ earlyRefresh: true }).reads.early).toStrictEqual({
      beta: 1,
      random: Math.random,
    });
  });

  it.each([
    [{ grace: -1 }, 'grace'],
    [{ grace: 'soon' }, 'grace'],
    [{ staleWhileRevalidate: Number.POSITIVE_INFINITY }, 'staleWhileRevalidate'],
    [{ softTimeout: 0 }, 'softTimeout'],
    [{ hardTimeout: '0ms' }, 'hardTimeout'],
    [{ softTimeout: '2s', hardTimeout: '1s' }, 'softTimeout'],
    [{ earlyRefresh: 'yes' }, 'earlyRefresh'],
    [{ earlyRefresh: { beta: 0 } }, 'earlyRefresh.beta'],
    [{ earlyRefresh: { beta: Number.NaN } }, 'earlyRefresh.beta'],
    [{ earlyRefresh: { random: 0.5 } }, 'earlyRefresh.random'],
    [{ earlyRefresh: { delta: 1 } }, 'earlyRefresh.delta'],
    [{ graceRetry: { delay: 0 } }, 'graceRetry.delay'],
    [{ graceRetry: { maxAttempts: 1.5 } }, 'graceRetry.maxAttempts'],
    [{ graceRetry: { tries: 1 } }, 'graceRetry.tries'],
  ])('rejects %j naming %s', (options, option) => {
    expect(rejected(() => resolveStackOptions(stack(options))).option).toBe(option);
  });

  it('per call: returns the defaults object itself when the call sets nothing, overrides otherwise', () => {
    const defaults = resolveStackOptions({ grace: '1m', hardTimeout: '1s' }).reads;
    expect(resolveReadPolicy({}, defaults)).toBe(defaults);
    const policy = resolveReadPolicy({ staleWhileRevalidate: '10s', earlyRefresh: { beta: 2 } }, defaults);
    expect(policy).toMatchObject({ graceMs: 60_000, swrMs: 10_000, staleMs: 60_000, hardTimeoutMs: 1_000 });
    expect(policy.early?.beta).toBe(2);
    expect(resolveReadPolicy({ grace: 0, earlyRefresh: false }, defaults)).toMatchObject({
      graceMs: 0,
      early: undefined,
    });
    // The effective soft/hard pair is checked, and a label names the option as the caller knows it.
    const error = rejected(() =>
      resolveReadPolicy({ softTimeout: '1s' }, defaults, (option) => `@Cacheable({ ${option} }) on X.y`),
    );
    expect(error.option).toBe('@Cacheable({ softTimeout }) on X.y');
  });
});
