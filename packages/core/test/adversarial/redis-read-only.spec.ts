import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CacheStack, CacheStackOptions } from '../../src/index.js';
import { appInstances } from '../instances.support.js';
import { useRedisStacks } from '../redis-stacks.support.js';
import { eventually } from '../support.js';
import { engineOf } from '../../src/internal.js';

/** The stack's Redis time per call (`redis.commandTimeout`), and scheduling slack. */
const DEADLINE_MS = 250;
const SLACK_MS = 250;
/** Replay of the remembered evictions once Redis takes writes again, on a loaded machine. */
const RECOVERY_MS = 3_000;
/** The breaker opens on the refused writes; it tries Redis again after this. */
const BREAK_MS = 300;

/**
 * A primary demoted to a replica while clients stay connected to it (a failover whose clients
 * still reach the old node): reads are answered, every write is refused with `READONLY`. No call
 * may throw or wait past its deadline, the instance whose delete or invalidation was refused must
 * not serve what it evicted, and all of it lands once the node takes writes again (the refusals
 * open the breaker: the remembered evictions are replayed by its first trial after it).
 */
describe.each([
  ['Redis only (L1 off)', { l1: false }],
  ['L1 + Redis', {}],
] as [string, CacheStackOptions][])('a Redis answering READONLY: %s', (_name, shape) => {
  const redis = useRedisStacks();
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(redis.url);
  });
  afterEach(async () => {
    await admin.replicaof('NO', 'ONE');
  });
  afterAll(() => admin.disconnect());

  it('every call returns in time, without throwing; evictions land once writes are taken again', async () => {
    const [a, b] = await appInstances(redis.url, 2, redis.open, {
      ...shape,
      breaker: { breakDuration: BREAK_MS },
      redis: { url: redis.url, commandTimeout: `${DEADLINE_MS}ms` },
    });
    if (a === undefined || b === undefined) throw new Error('two stacks expected');
    await a.set('k', 'old');
    await a.set('t', 'tagged', { tags: ['t'] });
    expect(await b.get('k')).toBe('old');
    // A replica of a node that does not exist: it keeps its data and refuses writes.
    await admin.replicaof('127.0.0.1', '1');

    const calls: [string, (stack: CacheStack) => Promise<unknown>][] = [
      ['delete', (s) => s.delete('k')],
      ['invalidateTags', (s) => s.invalidateTags(['t'])],
      ['set', (s) => s.set('n', 'new')],
      ['get', (s) => s.get('k')],
      ['getOrLoad', (s) => s.getOrLoad('m', () => 'loaded')],
      ['invalidateNamespace', (s) => s.invalidateNamespace('other')],
    ];
    for (const [name, call] of calls) {
      const started = performance.now();
      await expect(call(a), name).resolves.not.toThrow();
      expect(performance.now() - started, name).toBeLessThan(DEADLINE_MS + SLACK_MS);
    }
    // What this instance evicted is not served by it, though Redis could not drop it.
    expect(await a.get('k')).toBeUndefined();
    expect(await a.get('t')).toBeUndefined();
    expect(await a.getOrLoad('k', () => 'reloaded')).toBe('reloaded');
    if (engineOf(a).l1 !== undefined) expect(await a.get('n')).toBe('new');

    await admin.replicaof('NO', 'ONE');
    const converged = async (): Promise<boolean> =>
      (await b.get('k')) === undefined && (await b.get('t')) === undefined && (await a.get('k')) !== 'old';
    expect(await eventually(converged, BREAK_MS + RECOVERY_MS)).toBe(true);
    expect(await admin.get(engineOf(a).keys.entry('k'))).toMatch(/^X\|/);
  });
});
