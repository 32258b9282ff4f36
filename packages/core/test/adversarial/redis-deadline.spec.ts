import { startRedis, type RedisServer } from '@strata/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CacheStack, type CacheStackOptions } from '../../src/index.js';
import { eventually, uniquePrefix } from '../support.js';
import { engineOf } from '../../src/internal.js';

/** `redis.commandTimeout`: the Redis time of one cache operation, all its commands together. */
const DEADLINE_MS = 250;
/** Scheduling slack on a loaded machine: well under a second command timeout. */
const SLACK_MS = 150;
/** Longer than all the calls of the first test together, so each meets the frozen server. */
const FREEZE_MS = 2_500;

/**
 * A frozen Redis (SIGSTOP: connections stay open, nothing is answered) holds a cache call for at
 * most one deadline, whatever number of commands the call sends, and replies that arrive after a
 * call gave up do not change what it reported.
 */
describe('one Redis deadline per cache operation', () => {
  let server: RedisServer;
  let freeze: Promise<void> | undefined;
  const open: CacheStack[] = [];

  beforeAll(async () => {
    server = await startRedis();
  });

  afterEach(async () => {
    await freeze;
    freeze = undefined;
    await Promise.all(open.splice(0).map((stack) => stack.close()));
  });

  afterAll(async () => {
    await server?.dispose();
  });

  async function connected(options: CacheStackOptions = {}, prefix = uniquePrefix()): Promise<CacheStack> {
    const stack = new CacheStack({
      prefix,
      jitter: 0,
      // One failure per call below must not open the breaker: each call has to meet Redis.
      breaker: { failureThreshold: 1_000 },
      ...options,
      redis: { url: server.url, commandTimeout: `${DEADLINE_MS}ms`, ...options.redis },
    });
    open.push(stack);
    expect(await stack.connect()).toBe(true);
    return stack;
  }

  /** Freezes Redis at once (the SIGSTOP is sent before this returns) for `ms`. */
  function freezeRedis(ms = FREEZE_MS): void {
    freeze = server.pause(ms);
  }

  async function timed(call: () => Promise<unknown>): Promise<number> {
    const started = performance.now();
    await call();
    return performance.now() - started;
  }

  it('bounds get, getOrLoad, set, delete and the invalidations by one deadline on a frozen Redis', async () => {
    const stack = await connected({ l1: false });
    await stack.set('warm', 'v', { tags: ['t'] });
    freezeRedis();
    const calls: Record<string, () => Promise<unknown>> = {
      get: () => stack.get('warm'),
      getOrLoad: () => stack.getOrLoad('cold', async () => 'loaded'),
      set: () => stack.set('warm', 'v2'),
      delete: () => stack.delete(['warm', 'other']),
      invalidateTags: () => stack.invalidateTags(['t']),
      invalidateNamespace: () => stack.invalidateNamespace('ns'),
      writeTicket: () => stack.writeTicket('warm'),
    };
    const slow: string[] = [];
    for (const [name, call] of Object.entries(calls)) {
      const ms = await timed(call);
      if (ms > DEADLINE_MS + SLACK_MS) slow.push(`${name}: ${Math.round(ms)} ms`);
    }
    expect(slow).toStrictEqual([]);
  });

  it('bounds a getOrLoad whose Redis freezes while its loader runs (write, then lease release)', async () => {
    const stack = await connected({ l1: false, lease: { ttl: '10s' } });
    let loaderMs = 0;
    const ms = await timed(() =>
      stack.getOrLoad('k', async () => {
        const started = performance.now();
        freezeRedis(DEADLINE_MS * 3);
        loaderMs = performance.now() - started;
        return 'loaded';
      }),
    );
    expect(ms - loaderMs).toBeLessThan(DEADLINE_MS + SLACK_MS);
  });

  it('counts the calls a loader makes toward its own call: one deadline for the whole getOrLoad', async () => {
    const stack = await connected({ l1: false, lease: { ttl: '10s' } });
    await stack.set('a', 1);
    await stack.set('b', 2);
    const ms = await timed(() =>
      stack.getOrLoad('sum', async () => {
        freezeRedis(DEADLINE_MS * 3);
        const a = (await stack.get<number>('a')) ?? 0;
        const b = (await stack.get<number>('b')) ?? 0;
        await stack.set('seen', a + b);
        return a + b;
      }),
    );
    expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
    // Its lease release, past the deadline, was still sent: no instance waits out the 10 s lease.
    await freeze;
    const admin = new Redis(server.url);
    try {
      const leaseKey = `${engineOf(stack).options.prefix}:~lease:${engineOf(stack).keys.entry('sum')}`;
      expect(await eventually(async () => (await admin.exists(leaseKey)) === 0, 1_000)).toBe(true);
    } finally {
      admin.disconnect();
    }
  });

  it('gives a slow loader no less Redis time: its result is still stored', async () => {
    const stack = await connected({ l1: false });
    const other = await connected({ l1: false }, engineOf(stack).options.prefix);
    await stack.getOrLoad('k', async () => {
      await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS * 2));
      return 'slow but stored';
    });
    expect(await other.get('k')).toBe('slow but stored');
  });

  it('releases a lease whose SET NX was answered after the call gave up, so other instances do not wait for it', async () => {
    const stack = await connected({ l1: false, lease: { ttl: '10s' } });
    const other = await connected({ l1: false, lease: { ttl: '10s' } }, engineOf(stack).options.prefix);
    // Freeze between the miss (read and token answered) and the lease.
    stack.events.on('miss', () => freezeRedis(DEADLINE_MS * 2));
    expect(await stack.getOrLoad('k', async () => 'without lease')).toBe('without lease');
    await freeze;

    const admin = new Redis(server.url);
    try {
      const leaseKey = `${engineOf(stack).options.prefix}:~lease:${engineOf(stack).keys.entry('k')}`;
      expect(await eventually(async () => (await admin.exists(leaseKey)) === 0, 1_000)).toBe(true);
    } finally {
      admin.disconnect();
    }
    // No lease to wait for: it loads (or finds the value the first call stored late, under its
    // miss token) at once, not after the lease's 10 s.
    const ms = await timed(() => other.getOrLoad('k', async () => 'other loads'));
    expect(ms).toBeLessThan(1_000);
  });

  it('a set given up on never brings back what it replaced, nor overwrites a later set when it lands late', async () => {
    const stack = await connected({ l1: false });
    const other = await connected({ l1: false }, engineOf(stack).options.prefix);
    await stack.set('k', 'v1');
    freezeRedis(DEADLINE_MS * 2);
    await stack.set('k', 'v2');
    await freeze;
    // Redis runs the late write now, then the remembered eviction of what it replaces.
    expect(['v2', undefined]).toContain(await other.get('k'));
    await stack.set('k', 'v3');
    // A set right after the thaw may itself meet the eviction's replay still timing out: then it
    // is dropped too, and the key is a miss; never v1 or v2.
    expect(['v3', undefined]).toContain(await other.get('k'));
    await stack.set('k', 'v4');
    expect(await other.get('k')).toBe('v4');
  });

  it('a tag invalidation cut off by a freeze reaches Redis and the other instances once it thaws', async () => {
    const a = await connected();
    const holder = await connected({}, engineOf(a).options.prefix);
    await a.set('k', 'old', { tags: ['t'] });
    expect(
      await eventually(async () => {
        await holder.get('k');
        return holder.peek('k') === 'old';
      }, 1_000),
    ).toBe(true);
    freezeRedis(DEADLINE_MS * 2);
    expect(await timed(() => a.invalidateTags(['t']))).toBeLessThan(DEADLINE_MS + SLACK_MS);
    expect(a.peek('k')).not.toBe('old');
    await freeze;
    const reader = await connected({ l1: false }, engineOf(a).options.prefix);
    expect(await reader.get('k')).toBeUndefined();
    expect(await eventually(() => holder.peek('k') !== 'old', 2_000)).toBe(true);
  });
});
