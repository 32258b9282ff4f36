import {
  startRedis,
  startRedisCluster,
  startRedisSentinel,
  type RedisCluster,
  type RedisClusterNode,
  type RedisSentinel,
  type RedisServer,
} from '@strata/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CacheStack, type CacheStackOptions } from '../../src/index.js';
import { CACHE_MISS, type RedisOptions } from '../../src/internal.js';
import { eventually, uniquePrefix } from '../support.js';
import { engineOf } from '../../src/internal.js';

/** Bus delivery on a loaded CI machine, asserted with margin. */
const DELIVERY_MS = 1_000;
/** Failover, reconnection and resubscription on a loaded CI machine. */
const RECOVERY_MS = 15_000;

// The invalidation bus when Redis fails or lags: an announcement that is late, a subscription whose
// node dies, a Sentinel failover, a set whose announcement could not be published. In every case an
// instance keeps no L1 copy older than a write it could have heard of once the bus and Redis are
// back, and its L1 serves again.

/** Opens stacks on one Redis setup and closes them after each test. */
function stacksOn(redis: () => RedisOptions): {
  open(options?: CacheStackOptions, prefix?: string): Promise<CacheStack>;
} {
  const open: CacheStack[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((stack) => stack.close()));
  });
  return {
    async open(options = {}, prefix = uniquePrefix()) {
      const stack = new CacheStack({
        prefix,
        jitter: 0,
        breaker: { breakDuration: '200ms' },
        ...options,
        redis: options.redis ?? redis(),
      });
      open.push(stack);
      expect(await stack.connect()).toBe(true);
      return stack;
    },
  };
}

/** Reads `key` until `stack` holds it in L1 (a read can race an announcement); returns that copy. */
async function readIntoL1(stack: CacheStack, key: string): Promise<unknown> {
  const held = await eventually(
    async () => {
      await stack.get(key);
      return stack.peek(key) !== CACHE_MISS;
    },
    DELIVERY_MS,
    5,
  );
  if (!held) throw new Error(`${key} did not reach L1`);
  return stack.peek(key);
}

/** How many clients of the node at `url` are subscribed to `channel` (PUBSUB NUMSUB is per node). */
async function subscribersOn(url: string, channel: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const reply = (await client.pubsub('NUMSUB', channel)) as unknown[];
    return Number(reply[1]);
  } catch {
    return 0; // a dead node holds no subscription
  } finally {
    client.disconnect();
  }
}

function channelOf(stack: CacheStack): string {
  const channel = engineOf(stack).options.bus?.channel;
  if (channel === undefined) throw new Error('no bus');
  return channel;
}

describe('the invalidation bus on a Redis Cluster whose nodes fail or lag', () => {
  let cluster: RedisCluster;
  const stacks = stacksOn(() => ({ cluster: { nodes: cluster.nodes }, commandTimeout: '2s' }));

  beforeAll(async () => {
    cluster = await startRedisCluster();
  });

  afterAll(async () => {
    await cluster?.dispose();
  });

  /** The nodes holding a subscription to `channel`. */
  async function subscribedNodes(channel: string): Promise<RedisClusterNode[]> {
    const nodes = [...(await cluster.primaries()), ...(await cluster.replicas())];
    const counts = await Promise.all(nodes.map((node) => subscribersOn(node.url, channel)));
    return nodes.filter((_, i) => (counts[i] ?? 0) > 0);
  }

  /** A key of `stack` whose slot `node` does not serve (so reading it never waits for that node). */
  async function keyAwayFrom(stack: CacheStack, node: RedisClusterNode): Promise<string> {
    for (let i = 0; ; i++) {
      const key = `away:${i}`;
      if ((await cluster.primaryFor(engineOf(stack).keys.entry(key))).port !== node.port) return key;
    }
  }

  it("an announcement that reaches an instance after it read the write's value: never an old value, and L1 serves the value again after a read", async () => {
    // A has no L1, so B's is the only subscription: the node carrying it is B's.
    const prefix = uniquePrefix();
    const a = await stacks.open({ l1: false }, prefix);
    const b = await stacks.open({}, prefix);
    const channel = channelOf(b);
    const [node] = await subscribedNodes(channel);
    if (node === undefined) throw new Error("no node holds B's subscription");
    const key = await keyAwayFrom(b, node);

    // A subscriber of our own on the same node sees when that node forwards the announcement.
    const probe = new Redis(node.url);
    const forwarded = new Promise<void>((resolve) => probe.once('message', () => resolve()));
    try {
      await probe.subscribe(channel);
      // The node carrying B's subscription lags: it forwards A's announcement only once thawed,
      // while B reads the key from another node at once (unless A's PUBLISH went to the frozen node).
      const paused = node.pause(400);
      await a.set(key, 'v1');
      expect(await b.get(key)).toBe('v1');
      await forwarded;
      await paused;
    } finally {
      probe.disconnect();
    }

    // The announcement dropped B's copy, or kept the read from storing it: a read refills L1.
    expect(await readIntoL1(b, key)).toBe('v1');
    await a.set(key, 'v2');
    expect(await eventually(() => b.peek(key) === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(await b.get(key)).toBe('v2');
  });

  it('the node carrying both subscriptions dies: both move to live nodes, and invalidations flow both ways again', async () => {
    const prefix = uniquePrefix();
    const a = await stacks.open({}, prefix);
    const b = await stacks.open({}, prefix);
    const channel = channelOf(a);
    await a.set('k', 'v0');
    expect(await readIntoL1(b, 'k')).toBe('v0');

    // Kill every node carrying a subscription (the two may share one); a primary is failed over.
    const carriers = await subscribedNodes(channel);
    expect(carriers.length).toBeGreaterThan(0);
    for (const node of carriers) {
      if (node.role === 'primary') await cluster.failover(node);
      else await node.kill();
    }
    // Each L1 is cleared when its subscription drops: no copy from before outlives the gap.
    expect(await eventually(() => b.peek('k') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(
      await eventually(
        () =>
          engineOf(a).bus?.connected === true &&
          engineOf(b).bus?.connected === true &&
          a.l2Available &&
          b.l2Available,
        RECOVERY_MS,
        20,
      ),
    ).toBe(true);
    const live = [...(await cluster.primaries()), ...(await cluster.replicas())];
    const counts = await Promise.all(live.map((node) => subscribersOn(node.url, channel)));
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(2);

    // A's write reaches B's L1, and B's reaches A's (what was written before the kill may be lost:
    // replication is asynchronous).
    await a.set('k', 'from a');
    expect(await readIntoL1(b, 'k')).toBe('from a');
    expect(await readIntoL1(a, 'k')).toBe('from a');
    await b.set('k', 'from b');
    expect(await eventually(() => a.peek('k') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(await a.get('k')).toBe('from b');
    await a.set('k', 'from a again');
    expect(await eventually(() => b.peek('k') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(await b.get('k')).toBe('from a again');
  });
});

describe('the invalidation bus through a Sentinel failover', () => {
  let sentinel: RedisSentinel;
  const stacks = stacksOn(() => ({
    sentinel: { sentinels: sentinel.sentinels, name: sentinel.name },
    commandTimeout: '500ms',
  }));

  beforeAll(async () => {
    sentinel = await startRedisSentinel();
  });

  afterAll(async () => {
    await sentinel?.dispose();
  });

  it('the subscription follows the new primary; a copy from before the failover does not survive it', async () => {
    const prefix = uniquePrefix();
    const a = await stacks.open({}, prefix);
    const b = await stacks.open({}, prefix);
    const channel = channelOf(b);
    const old = await sentinel.primary();
    expect(await subscribersOn(old.url, channel)).toBe(2);
    await a.set('k', 'v0');
    expect(await readIntoL1(b, 'k')).toBe('v0');

    const promoted = await sentinel.failover();
    expect(await eventually(() => b.peek('k') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(
      await eventually(
        () =>
          engineOf(a).bus?.connected === true &&
          engineOf(b).bus?.connected === true &&
          a.l2Available &&
          b.l2Available,
        RECOVERY_MS,
        20,
      ),
    ).toBe(true);
    // Both subscriptions are on the new primary, which is where every PUBLISH now goes.
    expect(await subscribersOn(promoted.url, channel)).toBe(2);

    // What was written before the kill may be lost (replication is asynchronous): write again.
    await a.set('k', 'v1');
    expect(await readIntoL1(b, 'k')).toBe('v1');
    await a.set('k', 'v2');
    expect(await eventually(() => b.peek('k') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(await b.get('k')).toBe('v2');
  });
});

describe('the invalidation bus when a set could not reach Redis', () => {
  let redis: RedisServer;
  const stacks = stacksOn(() => ({ url: redis.url, commandTimeout: '500ms' }));

  beforeAll(async () => {
    // Append-only: what was written before the restart is still there after it.
    redis = await startRedis({ appendOnly: true });
  });

  afterAll(async () => {
    await redis?.dispose();
  });

  it('a set that missed Redis: once its eviction lands, the others drop what they re-read before it', async () => {
    // A's command connection reconnects only when the test says so; its bus subscription (a
    // connection of its own) and B come back with Redis.
    let holdA = false;
    const aClient = new Redis(redis.url, {
      commandTimeout: 500,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: () => (holdA ? null : 50),
    });
    aClient.on('error', () => undefined);
    try {
      const prefix = uniquePrefix();
      const a = await stacks.open({ redis: { client: aClient } }, prefix);
      const b = await stacks.open({}, prefix);
      await a.set('k', 'v0');
      expect(await readIntoL1(b, 'k')).toBe('v0');

      holdA = true;
      await redis.stop();
      expect(
        await eventually(
          () => aClient.status === 'end' && engineOf(b).bus?.connected === false,
          RECOVERY_MS,
          10,
        ),
      ).toBe(true);
      // Redis is down: A's set evicts 'k' once it can, and announces it once it can.
      await a.set('k', 'v1');
      await redis.restart();
      expect(
        await eventually(
          () => engineOf(a).bus?.connected === true && engineOf(b).bus?.connected === true && b.l2Available,
          RECOVERY_MS,
          10,
        ),
      ).toBe(true);
      // B re-reads the value A's set replaced: Redis still holds it until A's eviction lands.
      expect(await readIntoL1(b, 'k')).toBe('v0');

      holdA = false;
      await aClient.connect();
      expect(await eventually(() => a.l2Available, RECOVERY_MS, 10)).toBe(true);
      expect(await eventually(() => b.peek('k') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
      expect(await b.get('k')).toBeUndefined();
    } finally {
      aClient.disconnect();
    }
  });

  it('a set that timed out on a frozen Redis: once the breaker closes, the others drop the copy it replaced', async () => {
    const prefix = uniquePrefix();
    // One failure opens A's breaker: what follows the timed-out write is skipped, the announcement too.
    const a = await stacks.open({ breaker: { failureThreshold: 1, breakDuration: '200ms' } }, prefix);
    const b = await stacks.open({}, prefix);
    await a.set('k', 'v0');
    expect(await readIntoL1(b, 'k')).toBe('v0');

    // No connection drops while Redis is frozen: the bus stays up, B keeps its copy.
    const paused = redis.pause(1_500);
    await a.set('k', 'v1');
    await paused;
    expect(await eventually(() => a.l2Available, RECOVERY_MS, 10)).toBe(true);
    expect(await eventually(() => b.peek('k') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(await b.get('k')).toBeUndefined();
  });
});
