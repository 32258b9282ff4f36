import { afterEach, describe, expect, it, vi } from 'vitest';
import { CacheStack, InvalidKeyError, InvalidTtlError, UncacheableValueError } from '../src/index.js';
import type { CacheStackOptions } from '../src/index.js';
import { countingLoader, deferred, uniquePrefix } from './support.js';
import { engineOf } from '../src/internal.js';

/**
 * Builds a connected stack for one variant (memory, Redis, L1 + Redis, …) from the options a test
 * wants. The suite always passes a unique `prefix`; the factory adds its store.
 */
export type StackFactory = (options: CacheStackOptions) => Promise<CacheStack>;

interface Order {
  id: string;
  lines: { sku: string; qty: number }[];
}

const order = (id: string): Order => ({ id, lines: [{ sku: 'kettle', qty: 1 }] });

/**
 * A stack of the variant for one test, with a prefix of its own and no jitter; pushed to `open`,
 * which the suite's `afterEach` closes.
 */
export function openStacks(
  makeStack: StackFactory,
  open: CacheStack[],
): (options?: CacheStackOptions) => Promise<CacheStack> {
  return async (options = {}) => {
    const stack = await makeStack({ prefix: uniquePrefix(), jitter: 0, ...options });
    open.push(stack);
    return stack;
  };
}

/**
 * The behaviour every `CacheStack` configuration must have, whatever its layers: hits and misses,
 * types, single-flight, invalidation by key, tag and namespace, no stale sets, value isolation,
 * null TTL and unknown entry formats.
 */
export function runStackCompliance(name: string, makeStack: StackFactory): void {
  describe(`CacheStack compliance: ${name}`, () => {
    const open: CacheStack[] = [];
    const stackWith = openStacks(makeStack, open);

    afterEach(async () => {
      vi.useRealTimers();
      await Promise.all(open.splice(0).map((stack) => stack.close()));
    });

    describe('hits and misses', () => {
      it.each([
        ['0', 0],
        ["''", ''],
        ['false', false],
        ['null', null],
      ])('treats a cached %s as a hit: the loader is not called again', async (_label, value) => {
        const stack = await stackWith();
        const loader = countingLoader(() => value);
        expect(await stack.getOrLoad('falsy', loader.load)).toBe(value);
        expect(await stack.getOrLoad('falsy', loader.load)).toBe(value);
        expect(await stack.getOrLoad('falsy', loader.load)).toBe(value);
        expect(loader.calls()).toBe(1);
        expect(await stack.get('falsy')).toBe(value);

        await stack.set('set-falsy', value);
        const other = countingLoader(() => 'loaded');
        expect(await stack.getOrLoad('set-falsy', other.load)).toBe(value);
        expect(other.calls()).toBe(0);
      });

      it('returns undefined for a key never written', async () => {
        const stack = await stackWith();
        expect(await stack.get('nothing-here')).toBeUndefined();
      });

      it('does not cache undefined: the loader runs every time', async () => {
        const stack = await stackWith();
        const loader = countingLoader(() => undefined);
        expect(await stack.getOrLoad('undef', loader.load)).toBeUndefined();
        expect(await stack.getOrLoad('undef', loader.load)).toBeUndefined();
        expect(loader.calls()).toBe(2);
        expect(await stack.get('undef')).toBeUndefined();

        await stack.set('set-undef', undefined);
        const next = countingLoader(() => 'loaded');
        expect(await stack.getOrLoad('set-undef', next.load)).toBe('loaded');
        expect(next.calls()).toBe(1);
      });

      it('does not cache a result shouldCache rejects', async () => {
        const stack = await stackWith();
        const loader = countingLoader((call) => ({ call, partial: call === 1 }));
        const shouldCache = (value: { partial: boolean }): boolean => !value.partial;
        expect(await stack.getOrLoad('unless', loader.load, { shouldCache })).toEqual({
          call: 1,
          partial: true,
        });
        expect(await stack.getOrLoad('unless', loader.load, { shouldCache })).toEqual({
          call: 2,
          partial: false,
        });
        expect(await stack.getOrLoad('unless', loader.load, { shouldCache })).toEqual({
          call: 2,
          partial: false,
        });
        expect(loader.calls()).toBe(2);
      });

      it('does not cache a loader error: the next call loads again', async () => {
        const stack = await stackWith();
        const loader = countingLoader((call) => {
          if (call === 1) throw new Error('db down');
          return 'ok';
        });
        await expect(stack.getOrLoad('flaky', loader.load)).rejects.toThrow('db down');
        expect(await stack.getOrLoad('flaky', loader.load)).toBe('ok');
        expect(await stack.getOrLoad('flaky', loader.load)).toBe('ok');
        expect(loader.calls()).toBe(2);
      });

      it('rejects an uncacheable loader result with UncacheableValueError, storing nothing', async () => {
        const stack = await stackWith();
        const fn = (): number => 1;
        await expect(stack.getOrLoad('fn', () => fn, { target: 'Svc.method' })).rejects.toThrow(
          UncacheableValueError,
        );
        await expect(stack.set('fn', fn)).rejects.toBeInstanceOf(UncacheableValueError);
        expect(await stack.get('fn')).toBeUndefined();
      });

      it('rejects bad keys, tags, namespaces and per-call TTLs', async () => {
        const stack = await stackWith();
        await expect(stack.get('')).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(stack.get('k', { namespace: 'a:b' })).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(stack.set('k', 1, { tags: [''] })).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(stack.invalidateTags(['bad\ntag'])).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(stack.invalidateNamespace('no spaces')).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(stack.set('k', 1, { ttl: 'abc' })).rejects.toBeInstanceOf(InvalidTtlError);
        await expect(stack.set('k', 1, { ttl: 0 })).rejects.toBeInstanceOf(InvalidTtlError);
        await expect(stack.set('k', 1, { ttl: '10y' })).rejects.toBeInstanceOf(InvalidTtlError);
        expect(await stack.get('k')).toBeUndefined();
      });
    });

    describe('types', () => {
      it('round-trips Date, Map, Set and BigInt through set/get and getOrLoad', async () => {
        const stack = await stackWith();
        const value = {
          at: new Date('2025-01-02T03:04:05.678Z'),
          byId: new Map<string, { n: bigint }>([['a', { n: 2n ** 70n }]]),
          seen: new Set(['x', 'y']),
          total: 123456789012345678901234567890n,
          ratio: Number.NaN,
          items: [1, undefined, 3],
        };
        await stack.set('typed', value);
        const read = await stack.get<typeof value>('typed');
        expect(read).toStrictEqual(value);
        expect(read?.at).toBeInstanceOf(Date);
        expect(read?.byId).toBeInstanceOf(Map);
        expect(read?.seen).toBeInstanceOf(Set);
        expect(typeof read?.total).toBe('bigint');

        const loader = countingLoader(() => value);
        await stack.getOrLoad('typed-load', loader.load);
        const hit = await stack.getOrLoad('typed-load', loader.load);
        expect(loader.calls()).toBe(1);
        expect(hit).toStrictEqual(value);
      });
    });

    describe('single-flight', () => {
      it('runs the loader once for 200 concurrent cold calls, all getting equal values', async () => {
        const stack = await stackWith();
        const gate = deferred();
        const loader = countingLoader(async () => {
          await gate.promise;
          return { id: 'p1', at: new Date(42), tags: new Set(['a']) };
        });
        const calls = Array.from({ length: 200 }, () => stack.getOrLoad('stampede', loader.load));
        gate.resolve();
        const results = await Promise.all(calls);
        expect(loader.calls()).toBe(1);
        for (const result of results) {
          expect(result).toStrictEqual({ id: 'p1', at: new Date(42), tags: new Set(['a']) });
        }
        // Every caller got its own copy (mutating one cannot change another's).
        expect(new Set(results).size).toBe(200);
        expect(await stack.getOrLoad('stampede', loader.load)).toStrictEqual(results[0]);
        expect(loader.calls()).toBe(1);
      });

      it('gives a loader error to all 200 concurrent callers, from one loader call', async () => {
        const stack = await stackWith();
        const gate = deferred();
        const failure = new Error('source unavailable');
        const loader = countingLoader(async () => {
          await gate.promise;
          throw failure;
        });
        const calls = Array.from({ length: 200 }, () => stack.getOrLoad('stampede-error', loader.load));
        gate.resolve();
        const settled = await Promise.allSettled(calls);
        expect(loader.calls()).toBe(1);
        for (const outcome of settled) {
          expect(outcome.status).toBe('rejected');
          expect((outcome as PromiseRejectedResult).reason).toBe(failure);
        }
      });
    });

    describe('invalidation', () => {
      it('deletes one key or several, and the loader runs again', async () => {
        const stack = await stackWith();
        await stack.set('a', 1);
        await stack.set('b', 2);
        await stack.set('c', 3);
        await stack.set('a', 10, { namespace: 'other' });
        await stack.delete('a');
        expect(await stack.get('a')).toBeUndefined();
        expect(await stack.get('a', { namespace: 'other' })).toBe(10);
        await stack.delete(['b', 'c']);
        expect(await stack.get('b')).toBeUndefined();
        expect(await stack.get('c')).toBeUndefined();
        await stack.delete('a', { namespace: 'other' });
        expect(await stack.get('a', { namespace: 'other' })).toBeUndefined();

        const loader = countingLoader(() => 'fresh');
        expect(await stack.getOrLoad('a', loader.load)).toBe('fresh');
        expect(loader.calls()).toBe(1);
        expect(await stack.get('a')).toBe('fresh');
      });

      it('drops exactly the entries carrying an invalidated tag', async () => {
        const stack = await stackWith();
        await stack.set('a', 'A', { tags: ['red'] });
        await stack.set('b', 'B', { tags: ['blue'] });
        await stack.set('c', 'C', { tags: ['red', 'blue'] });
        await stack.set('d', 'D');
        await stack.invalidateTags(['red']);
        expect(await stack.get('a')).toBeUndefined();
        expect(await stack.get('c')).toBeUndefined();
        expect(await stack.get('b')).toBe('B');
        expect(await stack.get('d')).toBe('D');

        // Written after the invalidation, a tagged entry is live again.
        await stack.set('a', 'A2', { tags: ['red'] });
        expect(await stack.get('a')).toBe('A2');
        await stack.invalidateTags(['blue', 'green']);
        expect(await stack.get('b')).toBeUndefined();
        expect(await stack.get('a')).toBe('A2');
        await stack.invalidateTags([]);
        expect(await stack.get('a')).toBe('A2');
      });

      it('drops 500 entries sharing a tag with one call (one Redis round trip)', async () => {
        const stack = await stackWith();
        const keys = Array.from({ length: 500 }, (_, i) => `bulk:${i}`);
        await Promise.all(keys.map((key, i) => stack.set(key, i, { tags: ['bulk'] })));
        await stack.set('spared', 'yes', { tags: ['other'] });
        expect(await stack.get('bulk:499')).toBe(499);

        const client = engineOf(stack).redisClient;
        const sent = client ? vi.spyOn(client, 'sendCommand') : undefined;
        await stack.invalidateTags(['bulk']);
        if (sent) {
          // EVALSHA, plus EVAL only if the script was not loaded yet.
          expect(sent.mock.calls.length).toBeGreaterThanOrEqual(1);
          expect(sent.mock.calls.length).toBeLessThanOrEqual(2);
          sent.mockRestore();
        }

        const reads = await Promise.all(keys.map((key) => stack.get(key)));
        expect(reads.filter((value) => value !== undefined)).toStrictEqual([]);
        expect(await stack.get('spared')).toBe('yes');
      });

      it('drops a namespace with one call and leaves other namespaces alone', async () => {
        const stack = await stackWith();
        await Promise.all(
          Array.from({ length: 50 }, (_, i) => stack.set(`k${i}`, i, { namespace: 'catalog' })),
        );
        await stack.set('k0', 'other-ns', { namespace: 'carts' });
        await stack.set('k0', 'default-ns');
        await stack.invalidateNamespace('catalog');
        for (let i = 0; i < 50; i++)
          expect(await stack.get(`k${i}`, { namespace: 'catalog' })).toBeUndefined();
        expect(await stack.get('k0', { namespace: 'carts' })).toBe('other-ns');
        expect(await stack.get('k0')).toBe('default-ns');

        await stack.invalidateNamespace('default');
        expect(await stack.get('k0')).toBeUndefined();
        expect(await stack.get('k0', { namespace: 'carts' })).toBe('other-ns');
        await stack.set('k1', 'back', { namespace: 'catalog' });
        expect(await stack.get('k1', { namespace: 'catalog' })).toBe('back');
      });

      it('invalidates getOrLoad entries by their tags and namespace too', async () => {
        const stack = await stackWith();
        const loader = countingLoader((call) => `v${call}`);
        const options = { tags: ['product:1'], namespace: 'products' };
        expect(await stack.getOrLoad('p1', loader.load, options)).toBe('v1');
        expect(await stack.getOrLoad('p1', loader.load, options)).toBe('v1');
        await stack.invalidateTags(['product:1']);
        expect(await stack.getOrLoad('p1', loader.load, options)).toBe('v2');
        await stack.invalidateNamespace('products');
        expect(await stack.getOrLoad('p1', loader.load, options)).toBe('v3');
        expect(await stack.getOrLoad('p1', loader.load, options)).toBe('v3');
        expect(loader.calls()).toBe(3);
      });
    });

    describe('no stale sets', () => {
      /**
       * Starts a slow getOrLoad of `key` whose loader returns `'old'` once released, runs
       * `interfere` while the loader is waiting, then releases it. Returns what the slow caller got.
       */
      async function slowLoadAround(
        stack: CacheStack,
        key: string,
        interfere: () => Promise<void>,
        options: { tags?: string[]; namespace?: string } = {},
      ): Promise<unknown> {
        const started = deferred();
        const release = deferred();
        const slow = stack.getOrLoad(
          key,
          async () => {
            started.resolve();
            await release.promise;
            return { version: 'old' };
          },
          options,
        );
        await started.promise;
        await interfere();
        release.resolve();
        return slow;
      }

      it('a delete during a slow load keeps the old result out of the cache', async () => {
        const stack = await stackWith();
        const got = await slowLoadAround(stack, 'race-delete', () => stack.delete('race-delete'));
        expect(got).toStrictEqual({ version: 'old' });
        expect(await stack.get('race-delete')).toBeUndefined();
        const loader = countingLoader(() => ({ version: 'new' }));
        expect(await stack.getOrLoad('race-delete', loader.load)).toStrictEqual({ version: 'new' });
        expect(loader.calls()).toBe(1);
      });

      it('a tag invalidation during a slow load keeps the old result out of the cache', async () => {
        const stack = await stackWith();
        await slowLoadAround(stack, 'race-tag', () => stack.invalidateTags(['race']), { tags: ['race'] });
        expect(await stack.get('race-tag')).toBeUndefined();
        const loader = countingLoader(() => ({ version: 'new' }));
        expect(await stack.getOrLoad('race-tag', loader.load, { tags: ['race'] })).toStrictEqual({
          version: 'new',
        });
        expect(await stack.get('race-tag')).toStrictEqual({ version: 'new' });
      });

      it('a namespace invalidation during a slow load keeps the old result out of the cache', async () => {
        const stack = await stackWith();
        await slowLoadAround(stack, 'race-ns', () => stack.invalidateNamespace('racing'), {
          namespace: 'racing',
        });
        expect(await stack.get('race-ns', { namespace: 'racing' })).toBeUndefined();
        await stack.set('race-ns', { version: 'new' }, { namespace: 'racing' });
        expect(await stack.get('race-ns', { namespace: 'racing' })).toStrictEqual({ version: 'new' });
      });

      it('a newer unconditional set during a slow load wins over the old result', async () => {
        const stack = await stackWith();
        await slowLoadAround(stack, 'race-set', () => stack.set('race-set', { version: 'new' }));
        expect(await stack.get('race-set')).toStrictEqual({ version: 'new' });
        const loader = countingLoader(() => ({ version: 'never' }));
        expect(await stack.getOrLoad('race-set', loader.load)).toStrictEqual({ version: 'new' });
        expect(loader.calls()).toBe(0);
      });

      it('a delete during a slow load still wins when L1 evicts its marker before the load ends', async () => {
        const stack = await stackWith({ l1: { maxEntries: 3 } });
        await slowLoadAround(stack, 'race-evict', async () => {
          await stack.delete('race-evict');
          for (let i = 0; i < 5; i++) await stack.set(`filler:${i}`, i);
        });
        expect(await stack.get('race-evict')).toBeUndefined();
      });

      it('an invalidation of an unrelated tag does not block the load from storing', async () => {
        const stack = await stackWith();
        await slowLoadAround(stack, 'race-other', () => stack.invalidateTags(['unrelated']), {
          tags: ['mine'],
        });
        expect(await stack.get('race-other')).toStrictEqual({ version: 'old' });
      });
    });

    describe('value isolation', () => {
      it('by default, mutating a returned or stored object does not change the next read', async () => {
        const stack = await stackWith();
        const original = order('o1');
        await stack.set('order', original);
        original.lines.push({ sku: 'after-set', qty: 9 });

        const first = await stack.get<Order>('order');
        expect(first).toStrictEqual(order('o1'));
        first?.lines.push({ sku: 'mutated', qty: 2 });
        const second = await stack.get<Order>('order');
        expect(second).toStrictEqual(order('o1'));
        expect(second).not.toBe(first);

        const loaded = await stack.getOrLoad('loaded-order', async () => order('o2'));
        loaded.lines.length = 0;
        expect(await stack.get('loaded-order')).toStrictEqual(order('o2'));
        const hit = await stack.getOrLoad('loaded-order', async () => order('never'));
        hit.id = 'changed';
        expect(await stack.get('loaded-order')).toStrictEqual(order('o2'));
      });

      it('with shareReferences, reads return the stored object, deep-frozen', async () => {
        const stack = await stackWith({ shareReferences: true });
        await stack.set('shared', order('s1'));
        const first = await stack.get<Order>('shared');
        const second = await stack.get<Order>('shared');
        expect(first).toStrictEqual(order('s1'));
        expect(Object.isFrozen(first)).toBe(true);
        expect(Object.isFrozen(first?.lines)).toBe(true);
        expect(Object.isFrozen(first?.lines[0])).toBe(true);
        expect(() => first?.lines.push({ sku: 'x', qty: 1 })).toThrow(TypeError);
        expect(await stack.get('shared')).toStrictEqual(order('s1'));
        // Identity needs an in-process layer to hold the object; Redis alone decodes per read.
        if (engineOf(stack).l1) expect(second).toBe(first);

        const loaded = await stack.getOrLoad('shared-load', async () => order('s2'));
        expect(Object.isFrozen(loaded)).toBe(true);
        const again = await stack.getOrLoad('shared-load', async () => order('never'));
        expect(again).toStrictEqual(order('s2'));
        expect(Object.isFrozen(again.lines)).toBe(true);
        if (engineOf(stack).l1) expect(again).toBe(loaded);
      });
    });

    describe('TTL', () => {
      it('gives null results nullTtl while other values keep ttl', async () => {
        vi.useFakeTimers({ toFake: ['Date'] });
        const t0 = Date.now();
        const stack = await stackWith({ ttl: '1h', nullTtl: '1s' });
        const nothing = countingLoader(() => null);
        const something = countingLoader(() => 'value');
        expect(await stack.getOrLoad('null', nothing.load)).toBeNull();
        expect(await stack.getOrLoad('value', something.load)).toBe('value');

        vi.setSystemTime(t0 + 900);
        expect(await stack.getOrLoad('null', nothing.load)).toBeNull();
        expect(nothing.calls()).toBe(1);

        vi.setSystemTime(t0 + 1100);
        expect(await stack.get('null')).toBeUndefined();
        expect(await stack.getOrLoad('null', nothing.load)).toBeNull();
        expect(nothing.calls()).toBe(2);
        expect(await stack.getOrLoad('value', something.load)).toBe('value');
        expect(something.calls()).toBe(1);

        // A per-call nullTtl wins over the stack's.
        expect(await stack.getOrLoad('null-call', nothing.load, { nullTtl: 100 })).toBeNull();
        vi.setSystemTime(t0 + 1250);
        expect(await stack.get('null-call')).toBeUndefined();

        const client = engineOf(stack).redisClient;
        if (client) {
          // Redis expires it by itself too (PX on real time).
          const nullMs = await client.pttl(engineOf(stack).keys.entry('null'));
          const valueMs = await client.pttl(engineOf(stack).keys.entry('value'));
          expect(nullMs).toBeGreaterThan(0);
          expect(nullMs).toBeLessThanOrEqual(1000);
          expect(valueMs).toBeGreaterThan(3_500_000);
        }
      });
    });

    describe('events and lifecycle', () => {
      it('emits miss, load and hit events with the layer that answered', async () => {
        const stack = await stackWith();
        const seen: string[] = [];
        stack.events.on('miss', ({ key }) => seen.push(`miss ${key}`));
        stack.events.on('hit', ({ key, layer }) => seen.push(`hit ${layer} ${key}`));
        stack.events.on('load', ({ key, outcome, durationMs }) => {
          expect(durationMs).toBeGreaterThanOrEqual(0);
          seen.push(`load ${outcome} ${key}`);
        });
        const full = engineOf(stack).keys.entry('e');
        await stack.getOrLoad('e', async () => 1);
        await stack.getOrLoad('e', async () => 2);
        await stack
          .getOrLoad('boom', async () => {
            throw new Error('x');
          })
          .catch(() => undefined);
        const layer = engineOf(stack).l1 ? 'l1' : 'l2';
        expect(seen).toStrictEqual([
          `miss ${full}`,
          `load success ${full}`,
          `hit ${layer} ${full}`,
          `miss ${engineOf(stack).keys.entry('boom')}`,
          `load error ${engineOf(stack).keys.entry('boom')}`,
        ]);
      });

      it('close() waits for loads in flight; loads after close fail with E_CLOSED', async () => {
        const stack = await stackWith();
        const release = deferred();
        const started = deferred();
        const slow = stack.getOrLoad('closing', async () => {
          started.resolve();
          await release.promise;
          return 'done';
        });
        await started.promise;
        let closed = false;
        const closing = stack.close().then(() => {
          closed = true;
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(closed).toBe(false);
        release.resolve();
        expect(await slow).toBe('done');
        await closing;
        expect(closed).toBe(true);
        await expect(stack.getOrLoad('after', async () => 1)).rejects.toMatchObject({ code: 'E_CLOSED' });
        await expect(stack.close()).resolves.toBeUndefined();
      });
    });

    describe('stored format', () => {
      it('reads a raw value of unknown format in Redis as a miss, never a throw', async (context) => {
        const stack = await stackWith();
        const client = engineOf(stack).redisClient;
        if (!client) return context.skip();
        const errors: unknown[] = [];
        stack.events.on('l2:error', (event) => errors.push(event.error));
        const raws = [
          'garbage',
          '',
          `S2|1|${Date.now() + 60_000}|${Date.now() + 60_000}|0\nj"from the future"`,
          '{"value":"v0 layout","expires":0}',
          `S1|not-a-number|x|y|z\nj1`,
        ];
        for (const [i, raw] of raws.entries()) {
          const key = `raw:${i}`;
          await client.set(engineOf(stack).keys.entry(key), raw);
          expect(await stack.get(key)).toBeUndefined();
          const loader = countingLoader(() => `loaded ${i}`);
          expect(await stack.getOrLoad(key, loader.load)).toBe(`loaded ${i}`);
          expect(loader.calls()).toBe(1);
          expect(await stack.get(key)).toBe(`loaded ${i}`);
        }
        expect(errors).toStrictEqual([]);
      });
    });
  });
}
