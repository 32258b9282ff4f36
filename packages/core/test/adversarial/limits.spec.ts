import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CacheStack,
  InvalidTtlError,
  MAX_TTL_MS,
  StrataConfigError,
  ValueTooLargeError,
  WriteBehindStrategy,
  WriteThroughStrategy,
  type CacheStackOptions,
  type CacheWriter,
  type StrataEventMap,
} from '../../src/index.js';
import { useRedisStacks } from '../redis-stacks.support.js';
import { uniquePrefix } from '../support.js';
import { engineOf } from '../../src/internal.js';

const redis = useRedisStacks();

function bootError(options: CacheStackOptions): unknown {
  try {
    new CacheStack(options);
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Durations no lifetime may take: past the maximum, not numbers, not positive. */
const BAD_LIFETIMES: readonly unknown[] = [
  1e19,
  MAX_TTL_MS + 1,
  '10y',
  '366d',
  Number.POSITIVE_INFINITY,
  Number.NaN,
  -1,
  '-5s',
  'soon',
];

describe('limits checked at boot', () => {
  it.each(['ttl', 'nullTtl', 'tombstoneTtl', 'dependencyTtl', 'grace', 'staleWhileRevalidate'])(
    '%s above 365 days, infinite, NaN or negative fails with a StrataConfigError naming it',
    (option) => {
      for (const value of BAD_LIFETIMES) {
        const error = bootError({ [option]: value });
        expect(error, `${option}: ${String(value)}`).toBeInstanceOf(StrataConfigError);
        expect((error as StrataConfigError).option).toBe(option);
        expect((error as StrataConfigError).message).toContain('365 days');
      }
    },
  );

  it('nested lifetimes and timer durations are bounded too', () => {
    const cases: [CacheStackOptions, string][] = [
      [{ l1: { ttl: '10y' } }, 'l1.ttl'],
      [{ redis: { url: 'redis://127.0.0.1:1', commandTimeout: 1e10 } }, 'redis.commandTimeout'],
      [{ redis: { url: 'redis://127.0.0.1:1', connectTimeout: '30d' } }, 'redis.connectTimeout'],
      [{ breaker: { breakDuration: Number.POSITIVE_INFINITY } }, 'breaker.breakDuration'],
      [{ redis: { url: 'redis://127.0.0.1:1' }, lease: { ttl: '30d' } }, 'lease.ttl'],
      [{ redis: { url: 'redis://127.0.0.1:1' }, bus: { outageTtl: '10y' } }, 'bus.outageTtl'],
      [{ hardTimeout: '30d' }, 'hardTimeout'],
      [{ graceRetry: { delay: '30d' } }, 'graceRetry.delay'],
    ];
    for (const [options, option] of cases) {
      const error = bootError(options);
      expect(error, option).toBeInstanceOf(StrataConfigError);
      expect((error as StrataConfigError).option).toBe(option);
    }
  });

  it('maxValueBytes must be a positive integer of at most 512 MiB', () => {
    for (const value of [0, -1, 1.5, Number.NaN, 1e12, '4mb']) {
      const error = bootError({ maxValueBytes: value as number });
      expect(error, String(value)).toBeInstanceOf(StrataConfigError);
      expect((error as StrataConfigError).option).toBe('maxValueBytes');
    }
    expect(engineOf(new CacheStack({})).options.maxValueBytes).toBe(4 * 1024 * 1024);
    expect(engineOf(new CacheStack({ maxValueBytes: 1024 })).options.maxValueBytes).toBe(1024);
  });

  it('accepts the maximum itself', () => {
    expect(engineOf(new CacheStack({ ttl: '365d', grace: MAX_TTL_MS })).options.ttlMs).toBe(MAX_TTL_MS);
  });
});

const SHAPES: readonly [string, (url: string) => CacheStackOptions][] = [
  ['memory only', () => ({})],
  ['Redis only (L1 off)', (url) => ({ l1: false, redis: { url } })],
  ['L1 + Redis', (url) => ({ l1: {}, redis: { url } })],
];

describe.each(SHAPES)('limits per call: %s', (_name, shape) => {
  async function open(options: CacheStackOptions = {}): Promise<CacheStack> {
    const stack = new CacheStack({ prefix: uniquePrefix(), ...shape(redis.url), ...options });
    redis.open.push(stack);
    expect(await stack.connect()).toBe(true);
    return stack;
  }

  function record<E extends keyof StrataEventMap>(stack: CacheStack, event: E): StrataEventMap[E][] {
    const seen: StrataEventMap[E][] = [];
    stack.events.on(event, (payload) => seen.push(payload));
    return seen;
  }

  it('a bad per-call ttl, nullTtl, grace or staleWhileRevalidate is an InvalidTtlError, before the loader runs', async () => {
    const stack = await open();
    let loads = 0;
    const loader = (): string => `v${++loads}`;
    for (const value of BAD_LIFETIMES) {
      for (const call of [
        () => stack.set('k', 1, { ttl: value as number }),
        () => stack.getOrLoad('k', loader, { ttl: value as number }),
        () => stack.getOrLoad('k', loader, { nullTtl: value as number }),
        () => stack.getOrLoad('k', loader, { grace: value as number }),
        () => stack.getOrLoad('k', loader, { staleWhileRevalidate: value as number }),
      ]) {
        const error = await call().then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(error, String(value)).toBeInstanceOf(InvalidTtlError);
        expect((error as InvalidTtlError).code).toBe('E_INVALID_TTL');
      }
    }
    expect(loads).toBe(0);
    await expect(stack.set('k', 1, { ttl: 0 })).rejects.toMatchObject({
      code: 'E_INVALID_TTL',
      option: 'ttl',
    });
    expect(await stack.get('k')).toBeUndefined();
  });

  it('the longest TTL, with jitter and a stale window, is stored and read back', async () => {
    const stack = await open({ jitter: 1, grace: '365d' });
    await stack.set('long', 'lived', { ttl: '365d' });
    const errors = record(stack, 'l2:error');
    expect(await stack.get('long')).toBe('lived');
    if (engineOf(stack).l2 !== undefined) {
      const reader = await open({ l1: false, prefix: engineOf(stack).keys.prefix });
      expect(await reader.get('long')).toBe('lived');
    }
    expect(errors).toStrictEqual([]);
  });

  it('set of a value over maxValueBytes throws ValueTooLargeError, evicts the key and sends nothing to Redis', async () => {
    const stack = await open({ maxValueBytes: 1_000 });
    const tooLarge = record(stack, 'value:too-large');
    const errors = record(stack, 'l2:error');
    await stack.set('k', 'old');
    const error = await stack.set('k', 'x'.repeat(2_000)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValueTooLargeError);
    expect(error).toMatchObject({
      code: 'E_VALUE_TOO_LARGE',
      key: engineOf(stack).keys.entry('k'),
      bytes: 2_003, // `j` + the JSON string
      maxBytes: 1_000,
    });
    expect(tooLarge).toStrictEqual([
      {
        cache: 'default',
        key: engineOf(stack).keys.entry('k'),
        bytes: 2_003,
        maxBytes: 1_000,
        operation: 'set',
      },
    ]);
    // The older value does not outlive the set.
    expect(await stack.get('k')).toBeUndefined();
    expect(errors).toStrictEqual([]);
  });

  it('measures UTF-8 bytes, not characters, and stores a value of exactly maxValueBytes', async () => {
    const stack = await open({ maxValueBytes: 1_000 });
    // 400 characters, 800 bytes of "é" + quotes and kind: under the limit in characters, not bytes.
    await expect(stack.set('accents', 'é'.repeat(500))).rejects.toBeInstanceOf(ValueTooLargeError);
    const exact = 'x'.repeat(1_000 - 3);
    await stack.set('exact', exact);
    expect(await stack.get('exact')).toBe(exact);
  });

  it('getOrLoad returns a value over maxValueBytes to every caller, stores nothing, and says why', async () => {
    const stack = await open({ maxValueBytes: 1_000 });
    const tooLarge = record(stack, 'value:too-large');
    let loads = 0;
    const big = { rows: 'r'.repeat(5_000) };
    const loader = async (): Promise<typeof big> => {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return big;
    };
    const [first, second] = await Promise.all([
      stack.getOrLoad('big', loader),
      stack.getOrLoad('big', loader),
    ]);
    expect(first).toStrictEqual(big);
    expect(second).toStrictEqual(big);
    expect(loads).toBe(1);
    expect(tooLarge).toMatchObject([
      { key: engineOf(stack).keys.entry('big'), maxBytes: 1_000, operation: 'load' },
    ]);
    expect(await stack.get('big')).toBeUndefined();
    expect(await stack.getOrLoad('big', loader)).toStrictEqual(big);
    expect(loads).toBe(2);
  });

  it('write-through and write-behind refuse a value over maxValueBytes before persisting or journaling it', async () => {
    const stack = await open({ maxValueBytes: 1_000 });
    const persisted: unknown[] = [];
    const writer: CacheWriter<string> = {
      writeMany: async (records) => {
        persisted.push(...records.map((record) => record.value));
      },
      deleteMany: async () => {},
    };
    const through = new WriteThroughStrategy(stack).bind<string>({ name: 'through', writer });
    await expect(through.set('k', 'x'.repeat(2_000))).rejects.toBeInstanceOf(ValueTooLargeError);
    const behind = await new WriteBehindStrategy(stack).bind<string>({
      name: 'behind',
      writer,
      flushInterval: 10,
    });
    try {
      await expect(Promise.resolve().then(() => behind.set('k', 'x'.repeat(2_000)))).rejects.toBeInstanceOf(
        ValueTooLargeError,
      );
      await behind.set('small', 'ok');
      expect(await behind.get('small')).toBe('ok');
    } finally {
      await behind.close();
    }
    expect(persisted).toStrictEqual(['ok']);
  });

  it('a value over the default 4 MiB never reaches Redis: the breaker stays closed and other keys keep hitting', async () => {
    const stack = await open();
    const errors = record(stack, 'l2:error');
    const breaker = record(stack, 'breaker:state');
    const huge = 'h'.repeat(5 * 1024 * 1024);
    for (let i = 0; i < 4; i++) {
      await expect(stack.set(`huge:${i}`, huge)).rejects.toBeInstanceOf(ValueTooLargeError);
      expect(await stack.getOrLoad(`loaded:${i}`, () => huge)).toBe(huge);
    }
    expect(errors).toStrictEqual([]);
    expect(breaker).toStrictEqual([]);
    if (engineOf(stack).l2 !== undefined) {
      expect(stack.breakerState).toBe('closed');
      await stack.set('small', 'fine');
      const reader = await open({ l1: false, prefix: engineOf(stack).keys.prefix });
      const hits = record(reader, 'hit');
      expect(await reader.get('small')).toBe('fine');
      expect(hits).toMatchObject([{ layer: 'l2' }]);
    } else {
      await stack.set('small', 'fine');
      expect(await stack.get('small')).toBe('fine');
    }
  });
});

describe('Redis keeps what the limits let through', () => {
  let raw: Redis;
  beforeAll(() => {
    raw = new Redis(redis.url);
  });
  afterAll(() => {
    raw.disconnect();
  });

  it('the longest lifetime reaches Redis as a PX it accepts', async () => {
    const stack = new CacheStack({ prefix: uniquePrefix(), l1: false, redis: { url: redis.url }, jitter: 1 });
    redis.open.push(stack);
    expect(await stack.connect()).toBe(true);
    await stack.getOrLoad('k', () => 'v', { ttl: '365d', grace: '365d' });
    const pttl = await raw.pttl(engineOf(stack).keys.entry('k'));
    expect(pttl).toBeGreaterThan(MAX_TTL_MS);
    expect(pttl).toBeLessThanOrEqual(3 * MAX_TTL_MS);
  });
});
