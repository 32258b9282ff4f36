/**
 * `CacheStack` hot paths, written against the public API so the same code runs on both builds:
 * L1 hits (`get`, `peek`), L2 hits (sequential and 50 in flight), a cold `getOrLoad` with its
 * cross-instance lease, and `set` with the defaults and without L1 and the bus.
 */
import { isDeepStrictEqual } from 'node:util';
import { makeValue } from '../value.js';
import type { Fixture } from './alternate.js';
import type { CompareScenario, ScenarioContext } from './compare-scenario.js';
import type { LoadedBuild, StackApi } from './load-build.js';

const KEYS = 100;

/** A stack, connected when it has Redis; its L2 errors fail the scenario when it closes. */
async function openStack(
  build: LoadedBuild,
  options: Record<string, unknown>,
): Promise<{
  readonly stack: StackApi;
  close(): Promise<void>;
}> {
  const stack = new build.core.CacheStack(options);
  let errors = 0;
  stack.events.on('l2:error', () => errors++);
  if (options['redis'] !== undefined && !(await stack.connect())) {
    await stack.close();
    throw new Error(`${build.label}: the stack did not connect to Redis`);
  }
  return {
    stack,
    async close() {
      await stack.close();
      if (errors > 0) throw new Error(`${build.label}: ${errors} L2 errors during the measurement`);
    },
  };
}

function redisOptions(context: ScenarioContext): Record<string, unknown> {
  return { url: context.redis.url, failOnUnavailable: true };
}

/** A stack holding the value under `product`, whose `read` must return it. */
async function hitFixture(
  build: LoadedBuild,
  options: Record<string, unknown>,
  read: (stack: StackApi) => () => Promise<unknown>,
): Promise<Fixture> {
  const opened = await openStack(build, options);
  try {
    await opened.stack.set('product', makeValue(), { ttl: '1h' });
    const op = read(opened.stack);
    if (!isDeepStrictEqual(await op(), makeValue()))
      throw new Error(`${build.label}: the value read differs`);
    return { op, close: () => opened.close() };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/** Sets over `KEYS` keys; resolves to 1 so that the sample counts it. */
async function setFixture(build: LoadedBuild, options: Record<string, unknown>): Promise<Fixture> {
  const opened = await openStack(build, options);
  const value = makeValue();
  let i = 0;
  return {
    op: async () => (await opened.stack.set(`s${i++ % KEYS}`, value), 1),
    close: () => opened.close(),
  };
}

/** The stack scenarios, in report order. */
export const stackScenarios: readonly CompareScenario[] = [
  {
    id: 'l1-get',
    title: 'L1 hit: `get` (memory stack, default copy per read)',
    shape: { kind: 'latency', ops: 5_000 },
    setup: (build, context) =>
      hitFixture(build, { prefix: context.prefix }, (stack) => () => stack.get('product')),
  },
  {
    id: 'l1-peek',
    title: 'L1 hit: `peek` (memory stack)',
    shape: { kind: 'latency', ops: 5_000 },
    setup: (build, context) =>
      hitFixture(build, { prefix: context.prefix }, (stack) => async () => {
        const value = stack.peek('product');
        return value === build.core.CACHE_MISS ? undefined : value;
      }),
  },
  {
    id: 'l2-get',
    title: 'L2 hit: `get`, `l1: false`, sequential',
    shape: { kind: 'latency', ops: 200 },
    setup: (build, context) =>
      hitFixture(
        build,
        { prefix: context.prefix, l1: false, redis: redisOptions(context) },
        (stack) => () => stack.get('product'),
      ),
  },
  {
    id: 'l2-get-50',
    title: 'L2 hit: `get`, `l1: false`, 50 in flight',
    shape: { kind: 'throughput', ops: 1_000, concurrency: 50 },
    setup: (build, context) =>
      hitFixture(
        build,
        { prefix: context.prefix, l1: false, redis: redisOptions(context) },
        (stack) => () => stack.get('product'),
      ),
  },
  {
    id: 'cold-load',
    title: 'Cold miss: `getOrLoad` of a new key, 0 ms loader, Redis defaults (lease on)',
    shape: { kind: 'latency', ops: 50 },
    async setup(build, context) {
      const opened = await openStack(build, { prefix: context.prefix, redis: redisOptions(context) });
      const value = makeValue();
      let calls = 0;
      let loads = 0;
      const loader = (): unknown => (loads++, value);
      return {
        op: () => opened.stack.getOrLoad(`cold${calls++}`, loader),
        async close() {
          await opened.close();
          if (loads !== calls) throw new Error(`${build.label}: ${loads} loads for ${calls} cold keys`);
        },
      };
    },
  },
  {
    id: 'set',
    title: '`set`, Redis defaults (L1 + bus)',
    shape: { kind: 'latency', ops: 100 },
    setup: (build, context) => setFixture(build, { prefix: context.prefix, redis: redisOptions(context) }),
  },
  {
    id: 'set-bare',
    title: '`set`, Redis with `l1: false, bus: false`',
    shape: { kind: 'latency', ops: 100 },
    setup: (build, context) =>
      setFixture(build, { prefix: context.prefix, l1: false, bus: false, redis: redisOptions(context) }),
  },
];
