import { describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import {
  startInstances,
  useInstances,
  type InstanceHandle,
  type InstanceStrataOptions,
  type LoadedValue,
} from '../support/instance-process.js';
import { useRedisServer } from '../support/redis.js';

// Nest apps in separate processes on one Redis: a cold key is loaded once across all of them
// (a Redis lease per key), and a lease whose holder is SIGKILLed mid-load expires so that
// another instance loads.

const redis = useRedisServer();
useInstances();

const options = (extra: Partial<InstanceStrataOptions> = {}): InstanceStrataOptions => ({
  prefix: uniquePrefix(),
  jitter: 0,
  redis: { url: redis.url },
  ...extra,
});

async function totalRuns(instances: readonly InstanceHandle[], key: string): Promise<number> {
  const stats = await Promise.all(instances.map((instance) => instance.stats()));
  return stats.reduce((sum, stat) => sum + (stat.runs[key] ?? 0), 0);
}

describe('cross-instance single-flight (child processes)', () => {
  it('200 concurrent cold calls spread over 3 processes run the loader once', async () => {
    const instances = await startInstances(3, { strata: options(), loadDelayMs: 200 });
    const calls = Array.from({ length: 200 }, (_, i) => {
      const instance = instances[i % instances.length];
      if (instance === undefined) throw new Error('no instance');
      return instance.get<LoadedValue>('hot');
    });
    const results = await Promise.all(calls);
    expect(await totalRuns(instances, 'hot')).toBe(1);
    // Every caller, in every process, got the one loaded value.
    const loaders = new Set(results.map((result) => `${result.instance}:${result.run}`));
    expect(loaders.size).toBe(1);
  });

  it('lease holder SIGKILLed mid-load: another instance loads once the lease expires, the third gets its value', async () => {
    const [a, b, c] = await startInstances(3, { strata: options({ lease: { ttl: '1s' } }) });
    if (!a || !b || !c) throw new Error('expected three instances');
    await b.setLoadDelay(60_000);
    const held = b.get('k');
    await b.waitForLoadStart('k'); // B holds the lease and is loading
    const leaseTaken = Date.now();

    const fromA = a.get<LoadedValue>('k');
    const fromC = c.get<LoadedValue>('k');
    await b.kill();
    await expect(held).rejects.toMatchObject({ code: 'E_EXITED' });

    const [valueA, valueC] = await Promise.all([fromA, fromC]);
    const waited = Date.now() - leaseTaken;
    // One of A and C loaded after B's lease expired; the other got that value.
    expect(valueA).toEqual(valueC);
    expect(await totalRuns([a, c], 'k')).toBe(1);
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(5_000);
  });
});
