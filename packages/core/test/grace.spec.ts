import { describe, expect, it } from 'vitest';
import { LoaderTimeoutError, type CacheStack } from '../src/index.js';
import { recordEvents, staleReadVariants, storedEntry } from './stale-reads.support.js';
import { deferred, elapse, eventually, sleep, useFakeDate } from './support.js';
import { engineOf } from '../src/internal.js';

/** The `stale` event of key `k` (default namespace), served from L1 when the stack has one. */
function staleEvent(stack: CacheStack, reason: 'error' | 'timeout') {
  const layer = engineOf(stack).l1 === undefined ? 'l2' : 'l1';
  return { cache: 'default', key: engineOf(stack).keys.entry('k'), layer, reason };
}

const variants = staleReadVariants();

describe.each(variants)('grace (stale-if-error): $name', (variant) => {
  useFakeDate();

  it('keeps an entry past its TTL for grace: PX and staleUntil cover the window, freshness does not', async () => {
    const stack = await variant.make({ grace: '30s' });
    const before = Date.now();
    await stack.getOrLoad('k', () => 'v1', { ttl: 1_000 });
    const entry = await storedEntry(stack, 'k');
    expect(entry?.freshUntil).toBeGreaterThanOrEqual(before + 1_000);
    expect(entry?.staleUntil).toBe((entry?.freshUntil ?? 0) + 30_000);
    if (variant.redis) {
      const pttl = await engineOf(stack).redisClient!.pttl(engineOf(stack).keys.entry('k'));
      expect(pttl).toBeGreaterThan(30_000);
      expect(pttl).toBeLessThanOrEqual(31_000);
    }
  });

  it('serves the stale value when the loader throws, skips the loader during the backoff, and a retry stores a fresh value', async () => {
    const stack = await variant.make({ graceRetry: { delay: 150 } });
    const events = recordEvents(stack, 'stale', 'refresh');
    const options = { ttl: 200, grace: '5s' };
    await stack.getOrLoad('k', () => 'v1', options);
    elapse(260);

    let calls = 0;
    const flaky = async (): Promise<string> => {
      calls++;
      if (calls === 1) throw new Error('source down');
      return 'v2';
    };
    expect(await stack.getOrLoad('k', flaky, options)).toBe('v1');
    expect(calls).toBe(1);
    expect(events.stale).toStrictEqual([staleEvent(stack, 'error')]);
    expect(events.refresh[0]).toMatchObject({ trigger: 'grace', outcome: 'error', retryInMs: 150 });

    // During the backoff a read gets the stale value without calling the loader.
    expect(await stack.getOrLoad('k', flaky, options)).toBe('v1');
    expect(calls).toBe(1);

    expect(await eventually(() => events.refresh.some((e) => e.trigger === 'retry'), 2_000, 10)).toBe(true);
    expect(events.refresh.at(-1)).toMatchObject({ trigger: 'retry', attempt: 1, outcome: 'loaded' });
    expect(calls).toBe(2);
    expect(await stack.get('k')).toBe('v2');
    expect(await stack.getOrLoad('k', flaky, options)).toBe('v2');
    expect(calls).toBe(2);
  });

  it('past grace, the loader error reaches the caller', async () => {
    const stack = await variant.make();
    await stack.getOrLoad('k', () => 'v1', { ttl: 50, grace: 100 });
    elapse(200);
    await expect(
      stack.getOrLoad('k', () => Promise.reject(new Error('source down')), { ttl: 50, grace: 100 }),
    ).rejects.toThrow('source down');
  });

  it('soft timeout: the stale value comes back quickly, the late result is stored, and no second load starts', async () => {
    const stack = await variant.make();
    const events = recordEvents(stack, 'stale', 'refresh');
    const options = { ttl: 100, grace: '5s', softTimeout: 50 };
    await stack.getOrLoad('k', () => 'v1', options);
    elapse(150);

    const release = deferred();
    let calls = 0;
    let returned = false;
    const slow = async (): Promise<string> => {
      calls++;
      await release.promise;
      returned = true;
      return 'v2';
    };
    expect(await stack.getOrLoad('k', slow, options)).toBe('v1');
    // Answered by the soft timeout: the loader has not returned yet.
    expect(returned).toBe(false);
    expect(events.stale).toStrictEqual([staleEvent(stack, 'timeout')]);
    // A read while the load goes on joins it instead of calling the loader again.
    expect(await stack.getOrLoad('k', slow, options)).toBe('v1');
    expect(calls).toBe(1);

    release.resolve();
    expect(await eventually(() => events.refresh.length > 0, 2_000, 10)).toBe(true);
    expect(events.refresh[0]).toMatchObject({ trigger: 'grace', outcome: 'loaded' });
    expect(await stack.get('k')).toBe('v2');
  });

  it('hard timeout without a stale value: LoaderTimeoutError, and the late result is discarded', async () => {
    const stack = await variant.make();
    const late = deferred<string>();
    let returned = false;
    const slow = async (): Promise<string> => {
      const value = await late.promise;
      returned = true;
      return value;
    };
    const error = await stack.getOrLoad('k', slow, { hardTimeout: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoaderTimeoutError);
    expect(error).toMatchObject({
      code: 'E_LOAD_TIMEOUT',
      key: engineOf(stack).keys.entry('k'),
      timeoutMs: 50,
    });
    // The caller got the error while the loader was still running.
    expect(returned).toBe(false);
    late.resolve('late');
    await eventually(() => returned, 2_000, 1);
    await sleep(0);
    expect(await stack.get('k')).toBeUndefined();
  });

  it('hard timeout inside grace: the stale value is served', async () => {
    const stack = await variant.make({ graceRetry: { maxAttempts: 0 } });
    const events = recordEvents(stack, 'stale');
    await stack.getOrLoad('k', () => 'v1', { ttl: 50 });
    elapse(100);
    // The first entry had no grace: it is gone.
    expect(await stack.getOrLoad('k', () => 'v2', { ttl: 50, grace: '5s' })).toBe('v2');
    elapse(100);
    const hung = (): Promise<string> => new Promise(() => undefined);
    expect(await stack.getOrLoad('k', hung, { ttl: 50, grace: '5s', hardTimeout: 50 })).toBe('v2');
    expect(events.stale).toStrictEqual([staleEvent(stack, 'timeout')]);
  });

  it.each([
    ['a key delete', async (s: CacheStack) => s.delete('k')],
    ['a tag invalidation', async (s: CacheStack) => s.invalidateTags(['t'])],
    ['a namespace invalidation', async (s: CacheStack) => s.invalidateNamespace('default')],
  ])('never serves stale an entry dropped by %s inside its grace window', async (_label, drop) => {
    const stack = await variant.make();
    const options = { ttl: 100, grace: '5s', tags: ['t'] };
    await stack.getOrLoad('k', () => 'v1', options);
    elapse(150);
    await drop(stack);
    await expect(
      stack.getOrLoad('k', () => Promise.reject(new Error('source down')), options),
    ).rejects.toThrow('source down');
  });

  it('close() clears retry timers: no retry runs after it', async () => {
    const stack = await variant.make({ graceRetry: { delay: 100 } });
    const events = recordEvents(stack, 'refresh');
    await stack.getOrLoad('k', () => 'v1', { ttl: 50, grace: '5s' });
    elapse(100);
    let calls = 0;
    const failing = (): Promise<string> => {
      calls++;
      return Promise.reject(new Error('source down'));
    };
    expect(await stack.getOrLoad('k', failing, { ttl: 50, grace: '5s' })).toBe('v1');
    expect(events.refresh[0]?.retryInMs).toBe(100);
    await stack.close();
    // The retry timer is real: wait well past when it would have fired.
    await sleep(250);
    expect(calls).toBe(1);
  });
});
