import { describe, expect, it } from 'vitest';
import { CacheStack, type CacheStackOptions } from '../src/index.js';
import { CACHE_MISS, engineOf } from '../src/internal.js';
import { callsSince, commandCalls } from './command-stats.support.js';
import { appInstances } from './instances.support.js';
import { useRedisStacks } from './redis-stacks.support.js';
import { eventually, sleep } from './support.js';

/** Bus delivery on a loaded machine: asserted with margin. */
const DELIVERY_MS = 1_000;
const SETS = 60;

describe('CacheStack.set on one Redis server: concurrent sets share a script call', () => {
  const redis = useRedisStacks();
  const { open } = redis;

  const two = async (options: CacheStackOptions = {}): Promise<[CacheStack, CacheStack]> => {
    const [a, b] = await appInstances(redis.url, 2, open, options);
    if (a === undefined || b === undefined) throw new Error('two stacks expected');
    return [a, b];
  };

  /** The version in the header of the record Redis holds under `full` (`S1|<version>|…`). */
  async function versionInRedis(full: string): Promise<number | undefined> {
    const raw = await redis.admin.get(full);
    const match = /^S1\|(\d+)\|/.exec(raw ?? '');
    return match === null ? undefined : Number(match[1]);
  }

  /** Reads `key` on `stack` until L1 holds it (a read that crossed a bus message may not fill it). */
  async function inL1(stack: CacheStack, key: string): Promise<void> {
    const filled = await eventually(
      async () => {
        await stack.get(key);
        return stack.peek(key) !== CACHE_MISS;
      },
      DELIVERY_MS,
      5,
    );
    expect(filled).toBe(true);
  }

  const keys = Array.from({ length: SETS }, (_, i) => `k${i}`);

  it('stores each set with its version and change time, in far fewer script calls, one PUBLISH per call; peers drop their copies', async () => {
    const [a, b] = await two();
    for (const key of keys) await b.set(key, 'old');
    for (const key of keys) await inL1(b, key);
    // An entry computed from k0: setting k0 drops it (its change time is set with the batch).
    const { dependencies } = await a.trackDependencies(() => a.get('k0'));
    await a.set('derived', 'from k0', { dependsOn: dependencies });
    expect(await a.get('derived')).toBe('from k0');

    const before = await commandCalls(redis.admin);
    await Promise.all(keys.map((key, i) => a.set(key, `new ${i}`)));
    const scripts = await callsSince(redis.admin, before, 'evalsha', 'eval');
    const publishes = await callsSince(redis.admin, before, 'publish');
    expect(scripts).toBeLessThanOrEqual(SETS / 10);
    expect(publishes).toBe(scripts);

    const { keys: keyBuilder } = engineOf(a);
    for (const [i, key] of keys.entries()) {
      const full = keyBuilder.entry(key);
      const version = await versionInRedis(full);
      expect(version).toBeGreaterThan(0);
      // The change time is the time of the call that stored the set: at its version, and it lives.
      const changed = Number(await redis.admin.get(keyBuilder.keyDependency(full)));
      expect(changed).toBe(version);
      expect(await redis.admin.pttl(keyBuilder.keyDependency(full))).toBeGreaterThan(0);
      expect(a.peek(key)).toBe(`new ${i}`);
    }
    // Every copy B held is dropped, and B reads the new values.
    expect(await eventually(() => keys.every((key) => b.peek(key) === CACHE_MISS), DELIVERY_MS, 5)).toBe(
      true,
    );
    for (const [i, key] of keys.entries()) expect(await b.get(key)).toBe(`new ${i}`);
    expect(await a.get('derived')).toBeUndefined();
    expect(await b.get('derived')).toBeUndefined();
  });

  it('refuses one set of a batch whose token a newer write outdated, and stores the others', async () => {
    const [a, b] = await two();
    const ticket = await a.writeTicket('k1');
    const token = await a.writeToken('k2');
    const fresh = await a.writeToken('k4'); // k4 has no record: a set under it is stored
    await b.set('k1', 'newer');
    await b.set('k2', 'newer');
    await inL1(a, 'k1');
    const before = await commandCalls(redis.admin);
    await Promise.all([
      a.set('k1', 'stale', { ticket }),
      a.set('k2', 'stale', { ifUnchangedSince: token }),
      a.set('k3', 'stored'),
      a.set('k4', 'stored', { ifUnchangedSince: fresh }),
    ]);
    expect(await callsSince(redis.admin, before, 'evalsha', 'eval')).toBe(1);
    expect(await b.get('k1')).toBe('newer');
    expect(await b.get('k2')).toBe('newer');
    expect(await b.get('k3')).toBe('stored');
    expect(await b.get('k4')).toBe('stored');
    expect(a.peek('k1')).not.toBe('stale');
    expect(await a.get('k1')).toBe('newer');
    expect(await a.get('k2')).toBe('newer');
  });

  it('a lone set is one script call: its entry, change time and announcement, no other command', async () => {
    const [a, b] = await two();
    await a.set('lone', 'v1');
    await inL1(b, 'lone');
    const monitor = await redis.admin.monitor();
    const sent: string[] = [];
    const fromScripts: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const command = (args[0] ?? '').toLowerCase();
      if (source === 'lua') fromScripts.push(command);
      else if (command !== 'monitor') sent.push(command);
    });
    await sleep(50); // MONITOR is on before the set
    await a.set('lone', 'v2');
    expect(await eventually(() => b.peek('lone') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    await sleep(50);
    monitor.disconnect();
    // B's own reads may show up (it refills nothing here); A sent one script call.
    expect(sent.filter((command) => command.startsWith('eval'))).toHaveLength(1);
    expect(sent).not.toContain('publish');
    expect(fromScripts).toContain('publish');
    expect(await b.get('lone')).toBe('v2');
  });

  it('without change times or a bus, a batch stores the entries alone', async () => {
    const [a, b] = await two({ dependencies: false, bus: false });
    const before = await commandCalls(redis.admin);
    await Promise.all(keys.map((key, i) => a.set(key, `bare ${i}`)));
    expect(await callsSince(redis.admin, before, 'evalsha', 'eval')).toBeLessThanOrEqual(SETS / 10);
    expect(await callsSince(redis.admin, before, 'publish', 'pttl')).toBe(0);
    const { keys: keyBuilder } = engineOf(a);
    for (const [i, key] of keys.entries()) {
      expect(await b.get(key)).toBe(`bare ${i}`);
      expect(await redis.admin.exists(keyBuilder.keyDependency(keyBuilder.entry(key)))).toBe(0);
    }
  });

  it('a delete or tag invalidation made after a set lands after it in Redis, as when sets went alone', async () => {
    const [a, b] = await two();
    const set = a.set('k', 'set first');
    await a.delete('k');
    await set;
    expect(await b.get('k')).toBeUndefined();
    const tagged = a.set('t', 'set first', { tags: ['group'] });
    await a.invalidateTags(['group']);
    await tagged;
    expect(await b.get('t')).toBeUndefined();
    // Behind calls in flight too.
    const many = keys.map((key) => a.set(key, 'set first'));
    await a.delete(keys);
    await Promise.all(many);
    for (const key of keys) expect(await b.get(key)).toBeUndefined();
  });

  it('close() waits for a batch in flight', async () => {
    const [a, b] = await two();
    // More than the calls in flight carry: the rest waits for a reply, then goes in another call.
    const many = Array.from({ length: 150 }, (_, i) => `c${i}`);
    const sets = many.map((key) => a.set(key, `closing ${key}`));
    await a.close();
    const settled = await Promise.allSettled(sets);
    expect(settled.every((s) => s.status === 'fulfilled')).toBe(true);
    for (const key of many) expect(await b.get(key)).toBe(`closing ${key}`);
  });

  it('a batch whose call fails (Redis frozen): each set is evicted once Redis is back, and announced', async () => {
    const [a, b] = await two({
      redis: { url: redis.url, commandTimeout: '200ms' },
      breaker: { breakDuration: '200ms' },
    });
    const some = keys.slice(0, 10);
    for (const key of some) await b.set(key, 'old');
    for (const key of some) await inL1(b, key);
    const paused = redis.server.pause(1_000);
    await sleep(50);
    const started = performance.now();
    // Resolve (a failed set is reported, not thrown) within the command timeout.
    await Promise.all(some.map((key) => a.set(key, 'unconfirmed')));
    expect(performance.now() - started).toBeLessThan(900);
    expect(engineOf(a).guard?.pendingRepairs).toBeGreaterThanOrEqual(some.length);
    await paused;
    // Redis runs the frozen call once back, then the replayed evictions (before A's next command).
    const replayed = async (): Promise<boolean> => {
      await a.get('probe');
      return engineOf(a).guard?.pendingRepairs === 0;
    };
    expect(await eventually(replayed, 3_000)).toBe(true);
    for (const key of some) expect(await redis.admin.get(engineOf(a).keys.entry(key))).toMatch(/^X\|/);
    expect(await eventually(() => some.every((key) => b.peek(key) === CACHE_MISS), DELIVERY_MS * 3, 10)).toBe(
      true,
    );
    for (const key of some) expect(await b.get(key)).toBeUndefined();
  });
});
