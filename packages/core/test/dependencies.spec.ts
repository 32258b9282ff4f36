import { startRedis, type RedisServer } from '@strata/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CacheStack, type CacheStackOptions } from '../src/index.js';
import { CACHE_MISS } from '../src/internal.js';
import { appInstances } from './instances.support.js';
import { eventually } from './support.js';
import { engineOf } from '../src/internal.js';

/** Bus delivery on a loaded CI machine: asserted with margin. */
const DELIVERY_MS = 500;

describe('dependency tracking with Redis', () => {
  let server: RedisServer;
  let admin: Redis;
  let serverDown = false;
  const open: CacheStack[] = [];

  beforeAll(async () => {
    // Persistent, so the page survives the restart of the outage test and only the replayed change can drop it.
    server = await startRedis({ appendOnly: true });
    admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
    admin.on('error', () => undefined); // a test kills the server
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((stack) => stack.close()));
    if (serverDown) {
      await server.restart();
      serverDown = false;
    }
  });

  afterAll(async () => {
    admin?.disconnect();
    await server?.dispose();
  });

  const instances = (count: number, options: CacheStackOptions = {}): Promise<CacheStack[]> =>
    appInstances(server.url, count, open, options);

  async function storePage(
    stack: CacheStack,
    key: string,
    ttl: number,
    render: () => Promise<string>,
  ): Promise<void> {
    const ticket = await stack.writeTicket(key);
    const { value, dependencies } = await stack.trackDependencies(render);
    await stack.set(key, value, { ticket, dependsOn: dependencies, ttl });
  }

  it("drops a page held in one instance's L1 when another instance deletes a key the page read", async () => {
    const [a, b] = await instances(2);
    if (a === undefined || b === undefined) throw new Error('two stacks expected');
    await storePage(a, 'page', 60_000, async () => String(await a.getOrLoad('product:42', () => 'kettle')));
    expect(a.peek('page')).toBe('kettle');
    expect(await b.get('page')).toBe('kettle');

    await b.delete('product:42');
    // L1 of both instances (the bus carries the key's dependency time) and Redis.
    expect(await eventually(() => a.peek('page') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(b.peek('page')).toBe(CACHE_MISS);
    expect(await a.get('page')).toBeUndefined();
    expect(await b.get('page')).toBeUndefined();
  });

  it('keeps a key dependency time as long as the longest entry depending on it, and dependencyTtl otherwise', async () => {
    const [stack] = await instances(1, { l1: false, dependencyTtl: '30s' });
    if (stack === undefined) throw new Error('a stack expected');
    const dependency = engineOf(stack).keys.keyDependency(engineOf(stack).keys.entry('product:1'));

    await stack.set('product:2', 'mug');
    const unwatched = await admin.pttl(
      engineOf(stack).keys.keyDependency(engineOf(stack).keys.entry('product:2')),
    );
    expect(unwatched).toBeGreaterThan(25_000);
    expect(unwatched).toBeLessThanOrEqual(30_000);

    await storePage(stack, 'page', 3_600_000, async () =>
      String(await stack.getOrLoad('product:1', () => 'kettle')),
    );
    // Created (at 0) by the page's write: it outlives the page.
    expect(await admin.get(dependency)).toBe('0');
    expect(await admin.pttl(dependency)).toBeGreaterThan(3_500_000);

    await stack.set('product:1', 'teapot');
    expect(Number(await admin.get(dependency))).toBeGreaterThan(0);
    // The change keeps the life the page needs, rather than starting over from dependencyTtl.
    expect(await admin.pttl(dependency)).toBeGreaterThan(3_500_000);
    expect(await stack.get('page')).toBeUndefined();
  });

  it('records a change made while Redis is down once it is back, so the page read in Redis is dropped', async () => {
    const [stack] = await instances(1, {
      l1: false,
      breaker: { failureThreshold: 1, breakDuration: '200ms' },
    });
    if (stack === undefined) throw new Error('a stack expected');
    await storePage(stack, 'page', 60_000, async () =>
      String(await stack.getOrLoad('product:1', () => 'kettle')),
    );
    expect(await stack.get('page')).toBe('kettle');

    await server.kill();
    serverDown = true;
    await stack.delete('product:1'); // skipped now, remembered
    await server.restart();
    serverDown = false;
    // Survived the restart: only the change replayed after the outage can drop it.
    expect(await admin.exists(engineOf(stack).keys.entry('page'))).toBe(1);
    expect(await eventually(async () => (await stack.get('page')) === undefined, 5_000, 50)).toBe(true);
  });
});
