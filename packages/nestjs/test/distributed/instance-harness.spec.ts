import { startRedisCluster, type RedisCluster } from '@strata/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import {
  InstanceError,
  startInstance,
  startInstances,
  useInstances,
  type InstanceStrataOptions,
  type LoadedValue,
} from '../support/instance-process.js';
import { useRedisServer } from '../support/redis.js';

// Proves the multi-instance harness on what exists today: three Nest apps in three processes on
// one Redis, L1 off, so every read goes through Redis and the instances agree through it alone.

const redis = useRedisServer();
useInstances();

const shared = (): InstanceStrataOptions => ({
  prefix: uniquePrefix(),
  jitter: 0,
  l1: false,
  redis: { url: redis.url },
});

const loaded = (instance: string, key: string, version = 0, value: unknown = null, run = 1): LoadedValue => ({
  instance,
  key,
  version,
  value,
  run,
});

describe('multi-instance harness (child processes on one Redis)', () => {
  it('shares loads, writes, deletes and invalidations across three instances', async () => {
    const started = performance.now();
    const [a, b, c] = await startInstances(3, { strata: shared() });
    const startMs = Math.round(performance.now() - started);
    if (!a || !b || !c) throw new Error('expected three instances');
    console.info(
      `[instance-harness] 3 instances ready in ${startMs} ms (each: ${[a, b, c].map((i) => `${i.name} ${i.startupMs} ms`).join(', ')})`,
    );
    expect(new Set([a.pid, b.pid, c.pid, process.pid]).size).toBe(4);

    // A loads k; B and C read A's value from Redis without running their loaders.
    await a.setSourceValue('k', { price: 10 });
    expect(await a.get('k')).toEqual(loaded('A', 'k', 1, { price: 10 }));
    expect(a.loadsStarted('k')).toBe(1);
    expect(await b.get('k')).toEqual(loaded('A', 'k', 1, { price: 10 }));
    expect(await c.get('k')).toEqual(loaded('A', 'k', 1, { price: 10 }));
    expect((await a.stats()).runs).toEqual({ k: 1 });
    expect(await b.stats()).toMatchObject({
      runs: {},
      totalRuns: 0,
      l1: false,
      l2Available: true,
      l2Hits: 1,
    });
    expect(await c.stats()).toMatchObject({ runs: {}, totalRuns: 0, l2Hits: 1 });

    // A sets a new value (a Date and a Map survive the IPC and the cache codec); B and C read it.
    const updated = { instance: 'A', at: new Date('2030-01-02T03:04:05Z'), tags: new Map([['x', 1]]) };
    await a.set('k', updated);
    expect(await b.get('k')).toEqual(updated);
    expect(await c.cacheGet('k')).toEqual(updated);

    // A delete on C is seen by A: a miss, then A's loader runs again.
    await c.delete('k');
    expect(await a.cacheGet('k')).toBeUndefined();
    expect(await a.get('k')).toEqual(loaded('A', 'k', 1, { price: 10 }, 2));

    // Tags and namespaces: an invalidation by one instance drops what another cached.
    expect(await b.get('t', { tags: ['group'] })).toEqual(loaded('B', 't'));
    await c.invalidateTags(['group']);
    expect(await a.cacheGet('t', { tags: ['group'] })).toBeUndefined();
    await c.set('n', 'in-ns', { namespace: 'other' });
    expect(await a.cacheGet('n', { namespace: 'other' })).toBe('in-ns');
    await b.invalidateNamespace('other');
    expect(await a.cacheGet('n', { namespace: 'other' })).toBeUndefined();

    // L1 is off: peek never finds anything.
    expect(await a.peek('k')).toBeUndefined();

    // Graceful close: app.close(), then the process ends by itself (no handle left open).
    expect(await Promise.all([a.close(), b.close(), c.close()])).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
  });

  it('keeps A and C working when B is SIGKILLed during a held load, and rejects commands to B', async () => {
    // B's lease on 'slow' dies with it; A and C wait at most the lease's ttl (cross-instance-single-flight.spec.ts).
    const [a, b, c] = await startInstances(3, { strata: { ...shared(), lease: { ttl: '500ms' } } });
    if (!a || !b || !c) throw new Error('expected three instances');
    await b.setLoadDelay(60_000);
    const held = b.get('slow');
    await b.waitForLoadStart('slow');
    expect((await b.stats()).inFlight).toEqual({ slow: 1 });

    const exit = await b.kill();
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(b.exit).toEqual(exit);
    // The command in flight and any later one reject at once, naming the instance and the kill.
    await expect(held).rejects.toMatchObject({
      code: 'E_EXITED',
      message: expect.stringMatching(/instance B \(pid \d+\) killed by SIGKILL: get\("slow"\)/),
    });
    const sent = performance.now();
    await expect(b.stats()).rejects.toThrow(/instance B .*killed by SIGKILL: stats\(\)/);
    // At once: far from the 10 s command time limit it would otherwise wait for.
    expect(performance.now() - sent).toBeLessThan(1_000);

    // B never stored anything; A loads the key, C reads A's value.
    expect(await a.get('slow')).toEqual(loaded('A', 'slow'));
    expect(await c.get('slow')).toEqual(loaded('A', 'slow'));
    await c.set('after', 1);
    expect(await a.cacheGet('after')).toBe(1);
    expect((await c.stats()).totalRuns).toBe(0);
  });

  it('reports failures: command errors, time-outs with the stderr tail, and a failed boot', async () => {
    const a = await startInstance({ name: 'A', strata: shared(), commandTimeoutMs: 5_000 });

    // An error thrown in the child comes back with its name, code and message.
    const failed = await a.set('k', 1, { namespace: 'not a namespace!' }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(InstanceError);
    expect(failed).toMatchObject({ code: 'E_COMMAND', remote: { name: expect.any(String) } });
    expect((failed as InstanceError).message).toMatch(/instance A: set\("k", 1, .*\) failed: /);
    await expect(a.request('noSuchCommand')).rejects.toMatchObject({
      code: 'E_COMMAND',
      remote: { code: 'E_UNKNOWN_COMMAND' },
    });

    // A held load past the command's time limit: a time-out, not a hang.
    await a.setLoadDelay(30_000);
    const sent = performance.now();
    await expect(a.request('get', ['held'], { timeoutMs: 200 })).rejects.toMatchObject({
      code: 'E_TIMEOUT',
      message: expect.stringContaining('instance A (pid'),
    });
    expect(performance.now() - sent).toBeLessThan(1_000);
    expect(await a.releaseLoads()).toBe(1);
    await a.setLoadDelay(0);
    expect(await a.get('k')).toEqual(loaded('A', 'k'));

    // A boot that fails (a bad prefix) rejects with the child's error and its stderr.
    const boot = await startInstance({ name: 'Bad', strata: { ...shared(), prefix: 'not a prefix!' } }).catch(
      (error: unknown) => error,
    );
    expect(boot).toMatchObject({ code: 'E_START', remote: { name: 'StrataConfigError' } });
    expect((boot as InstanceError).message).toMatch(
      /instance Bad failed to start: StrataConfigError: .*prefix/,
    );
    expect((boot as InstanceError).message).toContain('--- stderr of Bad');
  });
});

describe('multi-instance harness on a Redis Cluster', () => {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(async () => {
    await cluster?.dispose();
  });

  it("works on a Redis Cluster through Strata's redis.cluster option, and closes the client it made", async () => {
    if (!cluster) throw new Error('the cluster did not start');
    const [a, b] = await startInstances(2, {
      strata: { prefix: uniquePrefix(), jitter: 0, l1: false, redis: { cluster: { nodes: cluster.nodes } } },
    });
    if (!a || !b) throw new Error('expected two instances');
    expect(await a.get('k')).toEqual(loaded('A', 'k'));
    expect(await b.get('k')).toEqual(loaded('A', 'k'));
    expect((await b.stats()).totalRuns).toBe(0);
    await a.set('x', 1, { tags: ['t'] });
    await b.invalidateTags(['t']);
    expect(await a.cacheGet('x')).toBeUndefined();
    // Closing ends the process by itself: the cluster client was quit.
    expect(await Promise.all([a.close(), b.close()])).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
  });
});
