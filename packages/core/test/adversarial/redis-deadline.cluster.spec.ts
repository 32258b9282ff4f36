import { startRedisCluster, type RedisCluster } from '@strata/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheStack } from '../../src/index.js';
import { uniquePrefix } from '../support.js';
import { engineOf } from '../../src/internal.js';

/** `redis.commandTimeout`: the Redis time of one cache operation, all its commands together. */
const DEADLINE_MS = 250;
/** Scheduling slack on a loaded machine: well under a second command timeout. */
const SLACK_MS = 150;

/** Times each call; returns those over the deadline (with slack), by name. */
async function overDeadline(calls: [string, () => Promise<unknown>][]): Promise<string[]> {
  const slow: string[] = [];
  for (const [name, call] of calls) {
    const started = performance.now();
    await call();
    const ms = performance.now() - started;
    if (ms > DEADLINE_MS + SLACK_MS) slow.push(`${name}: ${Math.round(ms)} ms`);
  }
  return slow;
}

/**
 * A Redis Cluster that cannot serve: ioredis waits `retryDelayOnFailover` /
 * `retryDelayOnClusterDown` (100 ms) and sends again, up to 16 times, before it gives up, on top
 * of the command timeout. One cache operation still waits at most one deadline.
 */
describe('one Redis deadline per cache operation on a Cluster that cannot serve', () => {
  let cluster: RedisCluster;
  let stack: CacheStack;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    stack = new CacheStack({
      prefix: uniquePrefix(),
      jitter: 0,
      l1: false,
      breaker: { failureThreshold: 1_000 },
      redis: { cluster: { nodes: cluster.nodes }, commandTimeout: `${DEADLINE_MS}ms` },
    });
    expect(await stack.connect()).toBe(true);
  });

  afterAll(async () => {
    await stack?.close();
    await cluster?.dispose();
  });

  it('the node of the entry and tag slots gone (ioredis retries after 100 ms): each call falls back within the deadline', async () => {
    // The tags slot and an entry on the same primary: the entry and its tag times are down together.
    const primary = await cluster.primaryFor(engineOf(stack).keys.tag('t'));
    let key = '';
    for (let i = 0; key === ''; i++) {
      if ((await cluster.primaryFor(engineOf(stack).keys.entry(`k${i}`))).port === primary.port)
        key = `k${i}`;
    }
    await stack.set(key, 'v', { tags: ['t'] });
    await Promise.all([...(await cluster.replicas()), primary].map((node) => node.kill()));
    expect(
      await overDeadline([
        ['get', () => stack.get(key, { tags: ['t'] })],
        ['getOrLoad', () => stack.getOrLoad(`${key}`, async () => 'loaded', { tags: ['t'] })],
        ['set', () => stack.set(key, 'v2')],
        ['delete', () => stack.delete(key)],
        ['invalidateTags', () => stack.invalidateTags(['t'])],
      ]),
    ).toStrictEqual([]);
  });

  it('every node gone: each call falls back within the deadline', async () => {
    await Promise.all((await cluster.primaries()).map((node) => node.kill()));
    expect(
      await overDeadline([
        ['delete', () => stack.delete(['warm', 'other'])],
        ['invalidateTags', () => stack.invalidateTags(['t'])],
        ['set', () => stack.set('warm', 'v2')],
        ['getOrLoad', () => stack.getOrLoad('cold', async () => 'loaded')],
        ['get', () => stack.get('warm')],
      ]),
    ).toStrictEqual([]);
  });
});
