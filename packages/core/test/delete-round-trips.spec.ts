import { afterEach, describe, expect, it } from 'vitest';
import { CacheStack, type CacheStackOptions, type StrataEventMap } from '../src/index.js';
import { CACHE_MISS, engineOf } from '../src/internal.js';
import { logCommands, type CommandLog } from './command-log.support.js';
import { callsSince, commandCalls } from './command-stats.support.js';
import { appInstances } from './instances.support.js';
import { useRedisStacks } from './redis-stacks.support.js';
import { deferred, eventually } from './support.js';

/** Bus delivery on a loaded machine: asserted with margin. */
const DELIVERY_MS = 1_000;

/**
 * `CacheStack.delete` on one Redis server: one script call stores the delete markers, sets the
 * keys' change times and announces the delete, so another instance drops its copies one round
 * trip after the delete began; when that call does not run, the delete is replayed and announced
 * once Redis serves again.
 */
describe('CacheStack.delete on one Redis server: one round trip to the other instances', () => {
  const redis = useRedisStacks();
  const { open } = redis;

  afterEach(async () => {
    await redis.admin.config('SET', 'maxmemory', '0');
  });

  const two = async (options: CacheStackOptions = {}): Promise<[CacheStack, CacheStack]> => {
    const [a, b] = await appInstances(redis.url, 2, open, options);
    if (a === undefined || b === undefined) throw new Error('two stacks expected');
    // Each script's first call is an EVALSHA Redis does not know yet, then an EVAL: warm them.
    await a.set('warm-up', 'set');
    await a.delete('warm-up');
    return [a, b];
  };

  /** A's client, logged from now on. */
  const logged = (stack: CacheStack): CommandLog => {
    const client = engineOf(stack).connection?.client;
    if (client === undefined) throw new Error('no client');
    return logCommands(client);
  };

  /** Stores `key` through `writer` and reads it into `reader`'s L1. */
  async function heldBy(
    writer: CacheStack,
    reader: CacheStack,
    key: string,
    value: string,
    options: { readonly tags?: string[]; readonly namespace?: string } = {},
  ): Promise<void> {
    await writer.set(key, value, options);
    const filled = await eventually(
      async () => {
        await reader.get(key, options);
        return reader.peek(key, options.namespace) !== CACHE_MISS;
      },
      DELIVERY_MS,
      5,
    );
    expect(filled).toBe(true);
  }

  /** An entry `derived` computed from `source` on `stack` (it depends on it), held in its L1. */
  async function derivedFrom(stack: CacheStack, source: string, derived: string): Promise<void> {
    const { dependencies } = await stack.trackDependencies(() => stack.get(source));
    await stack.set(derived, `from ${source}`, { dependsOn: dependencies });
    expect(stack.peek(derived)).toBe(`from ${source}`);
  }

  const dropped = (stack: CacheStack, keys: readonly string[]): Promise<boolean> =>
    eventually(() => keys.every((key) => stack.peek(key) === CACHE_MISS), DELIVERY_MS, 5);

  it('one script call stores the marker, sets the change time and announces it: the peer drops its copy and the dependents go on both', async () => {
    const [a, b] = await two();
    await heldBy(a, b, 'k', 'old');
    await derivedFrom(a, 'k', 'derived-a');
    await derivedFrom(b, 'k', 'derived-b');
    const log = logged(a);
    const before = await commandCalls(redis.admin);

    await a.delete('k');

    // One command, and nothing else from A until B dropped its copies.
    expect(log.names()).toStrictEqual(['evalsha']);
    expect(await dropped(b, ['k', 'derived-b'])).toBe(true);
    expect(log.names()).toStrictEqual(['evalsha']);
    expect(log.maxInFlight()).toBe(1);
    // Redis ran one script, whose PUBLISH was its own (no other client published).
    expect(await callsSince(redis.admin, before, 'evalsha')).toBe(1);
    expect(await callsSince(redis.admin, before, 'publish')).toBe(1);
    expect(a.peek('derived-a')).toBe(CACHE_MISS);

    const { keys } = engineOf(a);
    const full = keys.entry('k');
    const marker = /^X\|(\d+)$/.exec((await redis.admin.get(full)) ?? '');
    expect(marker).not.toBeNull();
    // The change time is the delete's time, and it lives at least `dependencyTtl` (10 minutes by default).
    expect(await redis.admin.get(keys.keyDependency(full))).toBe(marker?.[1]);
    expect(await redis.admin.pttl(keys.keyDependency(full))).toBeGreaterThan(9 * 60_000);
    for (const stack of [a, b]) {
      expect(await stack.get('k')).toBeUndefined();
      expect(await stack.get('derived-a')).toBeUndefined();
      expect(await stack.get('derived-b')).toBeUndefined();
    }
  });

  it('a delete of several keys is one script call, and the peer drops every copy', async () => {
    const [a, b] = await two();
    const names = ['x', 'y', 'z'];
    for (const key of names) await heldBy(a, b, key, `old ${key}`);
    const log = logged(a);

    await a.delete(names);

    expect(log.names()).toStrictEqual(['evalsha']);
    expect(await dropped(b, names)).toBe(true);
    for (const key of names) {
      expect(await redis.admin.get(engineOf(a).keys.entry(key))).toMatch(/^X\|/);
      expect(await b.get(key)).toBeUndefined();
    }
  });

  it('without change times or a bus, the call stores the markers alone', async () => {
    const [a, b] = await two({ dependencies: false, bus: false });
    await a.set('k', 'old');
    const log = logged(a);
    const before = await commandCalls(redis.admin);

    await a.delete('k');

    expect(log.names()).toStrictEqual(['evalsha']);
    expect(await callsSince(redis.admin, before, 'publish')).toBe(0);
    expect(await callsSince(redis.admin, before, 'pttl')).toBe(0);
    const { keys } = engineOf(a);
    expect(await redis.admin.get(keys.entry('k'))).toMatch(/^X\|/);
    expect(await redis.admin.exists(keys.keyDependency(keys.entry('k')))).toBe(0);
    expect(await b.get('k')).toBeUndefined();
  });

  it('a load that began before the delete does not store its older value after it, on either instance', async () => {
    const [a, b] = await two();
    const loaderRuns = deferred();
    const source = deferred<string>();
    const loading = b.getOrLoad('k', async () => {
      loaderRuns.resolve();
      return source.promise;
    });
    // B's miss and claim came first: its loader reads the source before the delete.
    await loaderRuns.promise;
    await a.delete('k');
    source.resolve('read before the delete');

    expect(await loading).toBe('read before the delete');
    expect(await a.get('k')).toBeUndefined();
    expect(b.peek('k')).toBe(CACHE_MISS);
    expect(await b.get('k')).toBeUndefined();
  });

  it('out of memory (maxmemory, noeviction): a delete stores its marker and change time (a tag invalidation its time), and the peer drops the copies', async () => {
    const [a, b] = await two();
    await heldBy(a, b, 'k', 'old');
    await heldBy(a, b, 'tagged', 'old', { tags: ['group'] });
    await derivedFrom(b, 'k', 'derived-b');
    const errors: StrataEventMap['l2:error'][] = [];
    a.events.on('l2:error', (event) => errors.push(event));
    await redis.admin.config('SET', 'maxmemory-policy', 'noeviction');
    await redis.admin.config('SET', 'maxmemory', '1');
    await expect(redis.admin.set('oom:probe', 'x')).rejects.toThrow(/^OOM /);
    const log = logged(a);

    await a.delete('k');

    expect(log.names()).toStrictEqual(['evalsha']);
    await a.invalidateTags(['group']);
    expect(errors).toStrictEqual([]);
    expect(await dropped(b, ['k', 'derived-b', 'tagged'])).toBe(true);
    const { keys } = engineOf(a);
    const full = keys.entry('k');
    expect(await redis.admin.get(full)).toMatch(/^X\|/);
    expect(Number(await redis.admin.get(keys.keyDependency(full)))).toBeGreaterThan(0);
    expect(await b.get('k')).toBeUndefined();
    expect(await b.get('derived-b')).toBeUndefined();
    expect(await b.get('tagged')).toBeUndefined();
    expect(a.breakerState).toBe('closed');
  });

  it('a delete (or invalidation) whose call does not run, the breaker open, is replayed and announced once Redis serves again', async () => {
    const [a, b] = await two({
      redis: { url: redis.url, commandTimeout: '150ms' },
      breaker: { failureThreshold: 1, breakDuration: '500ms' },
    });
    await heldBy(a, b, 'k', 'old');
    await heldBy(a, b, 'tagged', 'old', { tags: ['group'] });
    await derivedFrom(b, 'k', 'derived-b');
    // A frozen Redis times A's read out: the breaker opens, and stays open after Redis is back.
    const paused = redis.server.pause(400);
    await a.get('probe');
    await paused;
    expect(a.breakerState).toBe('open');

    await a.delete('k');
    await a.invalidateTags(['group']);

    // Not sent: remembered, and Redis still holds the entry.
    expect(engineOf(a).guard?.pendingRepairs).toBeGreaterThan(0);
    const { keys } = engineOf(a);
    expect(await redis.admin.get(keys.entry('k'))).toMatch(/^S1\|/);
    // The probe closes the breaker: the replayed delete, its change time and its announcement follow.
    expect(await eventually(() => engineOf(a).guard?.pendingRepairs === 0, 5_000, 10)).toBe(true);
    expect(await redis.admin.get(keys.entry('k'))).toMatch(/^X\|/);
    expect(await dropped(b, ['k', 'derived-b', 'tagged'])).toBe(true);
    expect(await b.get('k')).toBeUndefined();
    expect(await b.get('derived-b')).toBeUndefined();
    expect(await b.get('tagged')).toBeUndefined();
  });
});
