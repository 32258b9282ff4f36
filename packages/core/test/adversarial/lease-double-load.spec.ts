import { afterEach, describe, expect, it, vi } from 'vitest';
import { CacheStack, type CacheStackOptions, type LoadOptions } from '../../src/index.js';
import { LoadLeases } from '../../src/lease/load-lease.js';
import { appInstances } from '../instances.support.js';
import { useRedisStacks } from '../redis-stacks.support.js';
import { countingLoader, deferred, holdCall, sleep } from '../support.js';

describe('cross-instance single-flight: a second instance never loads what the first stored', () => {
  const redis = useRedisStacks();

  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  const two = async (options: CacheStackOptions = {}): Promise<[CacheStack, CacheStack]> => {
    const [a, b] = await appInstances(redis.url, 2, redis.open, options);
    if (a === undefined || b === undefined) throw new Error('two stacks expected');
    return [a, b];
  };

  /**
   * The window, made deterministic: A takes the lease and loads; B misses, then its lease attempt
   * waits until A has stored its value and released the lease. B then finds the lease free.
   */
  async function raceIntoFreeLease(
    a: CacheStack,
    b: CacheStack,
    key: string,
    options: LoadOptions<string> = {},
  ): Promise<{ calls: number; results: string[] }> {
    const aLoading = deferred();
    const aMayFinish = deferred();
    const aDone = deferred();
    const loader = countingLoader(async (call) => {
      if (call === 1) {
        aLoading.resolve();
        await aMayFinish.promise;
      }
      return `value ${call}`;
    });
    // B, between its miss and its lease attempt (the second attempt).
    const bAttempting = holdCall(LoadLeases.prototype, 'acquire', 2, aDone.promise);
    const first = a.getOrLoad(key, loader.load, options);
    await aLoading.promise;
    const second = b.getOrLoad(key, loader.load, options);
    await bAttempting;
    aMayFinish.resolve();
    const fromA = await first;
    aDone.resolve();
    const fromB = await second;
    return { calls: loader.calls(), results: [fromA, fromB] };
  }

  it('a cold key: the instance that takes the freed lease reads the stored value instead of loading', async () => {
    const [a, b] = await two();
    const { calls, results } = await raceIntoFreeLease(a, b, 'cold');
    expect(calls).toBe(1);
    expect(results).toStrictEqual(['value 1', 'value 1']);
  });

  it('a tag-invalidated entry: reloaded once, and the second instance gets the reloaded value', async () => {
    const [a, b] = await two();
    await a.set('tagged', 'old', { tags: ['t'] });
    await a.invalidateTags(['t']);
    const { calls, results } = await raceIntoFreeLease(a, b, 'tagged', { tags: ['t'] });
    expect(calls).toBe(1);
    expect(results).toStrictEqual(['value 1', 'value 1']);
  });

  it('a namespace-invalidated entry: reloaded once', async () => {
    const [a, b] = await two();
    await a.set('k', 'old', { namespace: 'catalog' });
    await a.invalidateNamespace('catalog');
    const { calls } = await raceIntoFreeLease(a, b, 'k', { namespace: 'catalog' });
    expect(calls).toBe(1);
  });

  it('an entry past its TTL inside grace: both instances refresh it, the loader runs once', async () => {
    const [a, b] = await two({ grace: '30s' });
    // The entry ages on a faked Date (sockets and timers stay real; Redis keeps it for the grace).
    vi.useFakeTimers({ toFake: ['Date'] });
    await a.set('graced', 'stale', { ttl: '50ms' });
    vi.advanceTimersByTime(80);
    const { calls, results } = await raceIntoFreeLease(a, b, 'graced', { grace: '30s' });
    expect(calls).toBe(1);
    expect(results).toStrictEqual(['value 1', 'value 1']);
  });

  it('200 rounds of cold calls over 3 instances started a moment apart: each key loads once', async () => {
    const stacks = await appInstances(redis.url, 3, redis.open);
    let extra = 0;
    for (let round = 0; round < 200; round++) {
      const loader = countingLoader(() => round);
      // Instances a round trip or so apart: a late one misses while the first stores and
      // releases, which is the window a second load came through.
      await Promise.all(
        stacks.map(async (stack, i) => {
          await sleep(i === 0 ? 0 : (round % 4) * i * 0.5);
          await Promise.all(Array.from({ length: 5 }, () => stack.getOrLoad(`round:${round}`, loader.load)));
        }),
      );
      extra += loader.calls() - 1;
    }
    expect(extra).toBe(0);
  });
});
