import { findFreePort, startRedis, type RedisServer } from '@strata/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CacheStack, type CacheStackOptions, type StrataEventMap } from '../src/index.js';
import { CacheStoreError } from '../src/errors/cache-store.error.js';
import { RedisUnavailableError } from '../src/internal.js';
import type { CircuitState } from '../src/circuit-breaker/circuit-breaker.js';
import { countingLoader, eventually, sleep, uniquePrefix } from './support.js';
import { engineOf } from '../src/internal.js';

const COMMAND_TIMEOUT_MS = 200;
/** Scheduling slack on a loaded CI machine. */
const MARGIN_MS = 250;

describe('CacheStack when Redis fails', () => {
  // appendOnly: a restarted server still holds what was written before a kill (the replay test
  // needs the old value to come back); every test uses its own prefix, so nothing else leaks.
  let server: RedisServer;
  let serverDown = false;
  const open: CacheStack[] = [];

  beforeAll(async () => {
    server = await startRedis({ appendOnly: true });
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((stack) => stack.close()));
    if (serverDown) {
      await server.restart();
      serverDown = false;
    }
  });

  afterAll(async () => {
    await server?.dispose();
  });

  function stackWith(options: CacheStackOptions = {}, url = server.url): CacheStack {
    const stack = new CacheStack({
      prefix: uniquePrefix(),
      jitter: 0,
      breaker: { breakDuration: '500ms' },
      // These tests are about L2 fallbacks; L1 and the bus under faults: invalidation-bus.spec.ts.
      l1: false,
      ...options,
      redis: { url, commandTimeout: `${COMMAND_TIMEOUT_MS}ms`, connectTimeout: '1s', ...options.redis },
    });
    open.push(stack);
    return stack;
  }

  async function connectedStack(options: CacheStackOptions = {}): Promise<CacheStack> {
    const stack = stackWith(options);
    expect(await stack.connect()).toBe(true);
    return stack;
  }

  async function kill(): Promise<void> {
    serverDown = true;
    await server.kill();
  }

  async function restart(): Promise<void> {
    await server.restart();
    serverDown = false;
  }

  /** Times one call; returns its result and how long it took in ms. */
  async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = performance.now();
    const value = await call();
    return { value, ms: performance.now() - started };
  }

  /** Polls until a getOrLoad of `key` is served from the cache (its loader is not called). */
  async function cachingResumes(stack: CacheStack, key: string, timeoutMs = 8_000): Promise<boolean> {
    const loader = countingLoader((call) => `heal ${call}`);
    return eventually(async () => {
      const before = loader.calls();
      await stack.getOrLoad(key, loader.load);
      return loader.calls() === before;
    }, timeoutMs);
  }

  function record(stack: CacheStack): {
    errors: StrataEventMap['l2:error'][];
    states: CircuitState[];
  } {
    const errors: StrataEventMap['l2:error'][] = [];
    const states: CircuitState[] = [];
    stack.events.on('l2:error', (event) => errors.push(event));
    stack.events.on('breaker:state', ({ state }) => states.push(state));
    return { errors, states };
  }

  it('falls back to the loader within a second per call when Redis is killed, then heals after restart', async () => {
    const stack = await connectedStack();
    const { errors } = record(stack);
    await stack.set('warm', 'cached');
    expect(await stack.get('warm')).toBe('cached');

    await kill();
    for (let i = 0; i < 10; i++) {
      const { value, ms } = await timed(() => stack.getOrLoad(`down:${i}`, async () => `loaded ${i}`));
      expect(value).toBe(`loaded ${i}`);
      expect(ms).toBeLessThan(1000);
    }
    const warm = await timed(() => stack.getOrLoad('warm', async () => 'from loader'));
    expect(warm.value).toBe('from loader');
    expect(warm.ms).toBeLessThan(1000);
    const read = await timed(() => stack.get('warm'));
    expect(read.value).toBeUndefined();
    expect(read.ms).toBeLessThan(1000);
    expect(stack.l2Available).toBe(false);

    // The lost connection is reported, not thrown.
    expect(await eventually(() => errors.length > 0, 2_000)).toBe(true);
    for (const { error } of errors) expect(error).toBeInstanceOf(Error);

    await restart();
    expect(await cachingResumes(stack, 'after-restart')).toBe(true);
    expect(stack.l2Available).toBe(true);
    // Served by Redis, not only remembered in process: a second stack on the prefix sees it.
    const other = stackWith({ prefix: engineOf(stack).options.prefix });
    expect(await other.connect()).toBe(true);
    expect(await other.get('after-restart')).toMatch(/^heal \d+$/);
  });

  it('keeps serving L1 entries while Redis is down, without the bus (with it: invalidation-bus.spec.ts)', async () => {
    const stack = await connectedStack({ l1: {}, bus: false });
    await stack.set('k', { v: 1 });
    await kill();
    const { value, ms } = await timed(() => stack.get('k'));
    expect(value).toStrictEqual({ v: 1 });
    // From L1 without a Redis round trip: well under a command timeout plus its margin.
    expect(ms).toBeLessThan(COMMAND_TIMEOUT_MS + MARGIN_MS);
    const loader = countingLoader(() => 'loaded');
    expect(await stack.getOrLoad('k', loader.load)).toStrictEqual({ v: 1 });
    expect(loader.calls()).toBe(0);
  });

  it('answers within the command timeouts while Redis is frozen, opens the breaker, and closes it after', async () => {
    const stack = await connectedStack();
    const { errors, states } = record(stack);
    expect(await cachingResumes(stack, 'before-pause', 1_000)).toBe(true);

    const paused = server.pause(1500);
    const started = Date.now();
    const durations: number[] = [];
    for (let i = 0; Date.now() - started < 1_200; i++) {
      const { value, ms } = await timed(() => stack.getOrLoad(`frozen:${i}`, async () => `loaded ${i}`));
      expect(value).toBe(`loaded ${i}`);
      durations.push(ms);
      await sleep(5);
    }
    await paused;

    // A miss waits on Redis for one commandTimeout at most, all its commands together (the read,
    // token, lease, write: docs/failure-behaviour.md); once the breaker opens, calls skip Redis.
    expect(durations.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...durations)).toBeLessThan(COMMAND_TIMEOUT_MS + MARGIN_MS);
    expect(durations.filter((ms) => ms < 50).length).toBeGreaterThan(0);

    expect(errors.length).toBeGreaterThanOrEqual(3);
    const first = errors[0]!;
    expect(first.error).toBeInstanceOf(CacheStoreError);
    expect((first.error as CacheStoreError).code).toBe('E_STORE');
    expect(['read', 'write']).toContain(first.operation);
    expect(states[0]).toBe('open');

    expect(await cachingResumes(stack, 'after-pause')).toBe(true);
    expect(states.at(-1)).toBe('closed');
    expect(states).toContain('half-open');
    expect(stack.l2Available).toBe(true);
  });

  it('starts without Redis when nothing listens: connect() resolves false, reads fall back', async () => {
    const port = await findFreePort();
    const stack = stackWith({ redis: { connectTimeout: '300ms' } }, `redis://127.0.0.1:${port}`);
    const connect = await timed(() => stack.connect());
    expect(connect.value).toBe(false);
    expect(connect.ms).toBeLessThan(300 + MARGIN_MS);
    expect(stack.l2Available).toBe(false);

    const read = await timed(() => stack.get('k'));
    expect(read.value).toBeUndefined();
    expect(read.ms).toBeLessThan(1000);
    const loader = countingLoader((call) => `loaded ${call}`);
    const load = await timed(() => stack.getOrLoad('k', loader.load));
    expect(load.value).toBe('loaded 1');
    expect(load.ms).toBeLessThan(1000);
    expect(await stack.getOrLoad('k', loader.load)).toBe('loaded 2');
    await stack.set('k', 'set while down');

    const closing = await timed(() => stack.close());
    expect(closing.ms).toBeLessThan(1000);
  });

  it('with failOnUnavailable, connect() rejects with RedisUnavailableError', async () => {
    const port = await findFreePort();
    const stack = stackWith(
      { redis: { connectTimeout: '300ms', failOnUnavailable: true } },
      `redis://127.0.0.1:${port}`,
    );
    const started = performance.now();
    const error = await stack.connect().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(performance.now() - started).toBeLessThan(300 + MARGIN_MS);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as RedisUnavailableError).code).toBe('E_REDIS_UNAVAILABLE');
    expect((error as Error).message).toContain(String(port));
  });

  it('uses Redis once it answers when it was down at boot', async () => {
    await kill();
    const stack = stackWith({ redis: { connectTimeout: '200ms' } });
    expect(await stack.connect()).toBe(false);
    expect(await stack.getOrLoad('k', async () => 'no cache yet')).toBe('no cache yet');
    await restart();
    expect(await cachingResumes(stack, 'late')).toBe(true);
    expect(stack.l2Available).toBe(true);
  });

  it('replays a delete and a tag invalidation issued while Redis was down, so old values are not served', async () => {
    const stack = await connectedStack();
    const prefix = engineOf(stack).options.prefix;
    await stack.set('victim', 'old');
    await stack.set('tagged', 'old', { tags: ['gone'] });
    await stack.set('keeper', 'kept');

    await kill();
    await stack.delete('victim');
    await stack.invalidateTags(['gone']);
    await restart();

    // The append-only file brought the old entries back (the untouched `keeper` shows it; reading
    // `victim` now would race the stack's own reconnect and replay): only the replay can hide it.
    const raw = new Redis(server.url, { lazyConnect: true });
    try {
      await raw.connect();
      expect(await raw.get(engineOf(stack).keys.entry('keeper'))).toMatch(/^S1\|/);

      expect(await eventually(() => stack.l2Available, 8_000)).toBe(true);
      expect(await stack.get('victim')).toBeUndefined();
      expect(await stack.get('tagged')).toBeUndefined();
      expect(await stack.get('keeper')).toBe('kept');

      // The replay reached Redis itself: another instance does not see the old values either.
      expect(await raw.get(engineOf(stack).keys.entry('victim'))).toMatch(/^X\|/);
      const other = stackWith({ prefix });
      expect(await other.connect()).toBe(true);
      expect(await other.get('victim')).toBeUndefined();
      expect(await other.get('tagged')).toBeUndefined();
      expect(await other.get('keeper')).toBe('kept');
    } finally {
      raw.disconnect();
    }
  });

  it('with no calls at all, replays evictions and closes the breaker once Redis is back (a probe)', async () => {
    // Without the bus, whose resent announcements would also go through the guard.
    const stack = await connectedStack({ bus: false });
    await stack.set('victim', 'old');
    await stack.set('tagged', 'old', { tags: ['gone'] });
    await kill();
    await stack.delete('victim');
    await stack.invalidateTags(['gone']);
    await restart();
    // Nothing calls the stack from here on: only its probe can replay and close the breaker.
    const raw = new Redis(server.url);
    try {
      expect(
        await eventually(
          async () => /^X\|/.test((await raw.get(engineOf(stack).keys.entry('victim'))) ?? ''),
          8_000,
        ),
      ).toBe(true);
      expect(await eventually(() => stack.l2Available, 8_000)).toBe(true);
      const other = stackWith({ prefix: engineOf(stack).options.prefix, l1: false });
      expect(await other.connect()).toBe(true);
      expect(await other.get('tagged')).toBeUndefined();
    } finally {
      raw.disconnect();
    }
  });

  it('does not serve the older Redis value after a set that could not reach Redis', async () => {
    const stack = await connectedStack();
    await stack.set('k', 'v1');
    await kill();
    await stack.set('k', 'v2');
    await restart();
    expect(await eventually(() => stack.l2Available, 8_000)).toBe(true);
    const read = await stack.get('k');
    expect(read === undefined || read === 'v2').toBe(true);
    const other = stackWith({ prefix: engineOf(stack).options.prefix });
    expect(await other.connect()).toBe(true);
    expect(await other.get('k')).not.toBe('v1');
  });

  it('after a delete issued during an outage, getOrLoad loads afresh instead of serving the old value', async () => {
    const stack = await connectedStack();
    await stack.set('k', 'old');
    await kill();
    await stack.delete('k');
    await restart();
    expect(await eventually(() => stack.l2Available, 8_000)).toBe(true);
    const loader = countingLoader(() => 'new');
    expect(await stack.getOrLoad('k', loader.load)).toBe('new');
    expect(loader.calls()).toBe(1);
    expect(await stack.get('k')).toBe('new');
  });

  it('resolves writes and invalidations issued while Redis is down, without throwing or waiting', async () => {
    const stack = await connectedStack();
    await kill();
    const calls = await timed(async () => {
      await stack.delete(['a', 'b']);
      await stack.invalidateTags(['t']);
      await stack.invalidateNamespace('ns');
      await stack.set('k', 'v');
    });
    expect(calls.ms).toBeLessThan(1000);
  });
});
