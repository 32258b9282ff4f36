import { describe, expect, it } from 'vitest';
import { recordEvents, staleReadVariants } from './stale-reads.support.js';
import { deferred, elapse, eventually, sleep, useFakeDate } from './support.js';

const variants = staleReadVariants();

describe.each(variants)('stale-while-revalidate: $name', (variant) => {
  useFakeDate();

  it('serves the stale value at once to 50 concurrent callers, refreshes once, and the next read is fresh', async () => {
    const stack = await variant.make({ staleWhileRevalidate: '5s' });
    const events = recordEvents(stack, 'stale', 'refresh');
    await stack.getOrLoad('k', () => 'v1', { ttl: 100 });
    elapse(150);

    const release = deferred();
    let calls = 0;
    const slow = async (): Promise<string> => {
      calls++;
      await release.promise;
      return 'v2';
    };
    const values = await Promise.all(
      Array.from({ length: 50 }, () => stack.getOrLoad('k', slow, { ttl: 5_000 })),
    );
    // Answered while the refresh is still held: nobody waited for it.
    expect(values).toStrictEqual(Array.from({ length: 50 }, () => 'v1'));
    expect(events.stale.length).toBeGreaterThan(0);
    expect(events.stale.every((e) => e.reason === 'swr')).toBe(true);
    expect(await eventually(() => calls === 1, 2_000, 5)).toBe(true);
    // A second refresh would start within a few ms: give it the chance before counting.
    await sleep(20);
    expect(calls).toBe(1);

    release.resolve();
    expect(await eventually(() => events.refresh.length > 0, 2_000, 10)).toBe(true);
    expect(events.refresh).toHaveLength(1);
    expect(events.refresh[0]).toMatchObject({ trigger: 'swr', outcome: 'loaded', attempt: 0 });
    expect(await stack.getOrLoad('k', slow, { ttl: 5_000 })).toBe('v2');
    expect(calls).toBe(1);
  });

  it('past the SWR window, the caller waits for the loader', async () => {
    const stack = await variant.make();
    await stack.getOrLoad('k', () => 'v1', { ttl: 50, staleWhileRevalidate: 100 });
    elapse(200);
    expect(await stack.getOrLoad('k', () => 'v2', { ttl: 50, staleWhileRevalidate: 100 })).toBe('v2');
  });

  it('a failed refresh becomes an event, never an unhandled rejection, and the value stays stale', async () => {
    const stack = await variant.make({ graceRetry: { maxAttempts: 0 } });
    const events = recordEvents(stack, 'refresh');
    const options = { ttl: 100, staleWhileRevalidate: '5s' };
    await stack.getOrLoad('k', () => 'v1', options);
    elapse(150);
    expect(await stack.getOrLoad('k', () => Promise.reject(new Error('source down')), options)).toBe('v1');
    expect(await eventually(() => events.refresh.length > 0, 2_000, 10)).toBe(true);
    expect(events.refresh[0]).toMatchObject({ outcome: 'error', retryInMs: undefined });
    expect(events.refresh[0]?.error?.message).toBe('source down');
    // The next read starts a new refresh, which succeeds.
    expect(await stack.getOrLoad('k', () => 'v2', options)).toBe('v1');
    expect(await eventually(async () => (await stack.get('k')) === 'v2', 2_000, 10)).toBe(true);
  });

  it('does not serve stale an entry invalidated inside its SWR window', async () => {
    const stack = await variant.make();
    const options = { ttl: 100, staleWhileRevalidate: '5s', tags: ['t'] };
    await stack.getOrLoad('k', () => 'v1', options);
    elapse(150);
    await stack.invalidateTags(['t']);
    expect(await stack.getOrLoad('k', () => 'v2', options)).toBe('v2');
  });

  it('close() waits for a refresh in flight, which still stores its result', async () => {
    const stack = await variant.make({ staleWhileRevalidate: '5s' });
    await stack.getOrLoad('k', () => 'v1', { ttl: 100 });
    elapse(150);
    const release = deferred();
    let stored = false;
    stack.events.on('refresh', (e) => {
      stored = e.outcome === 'loaded';
    });
    expect(
      await stack.getOrLoad('k', async () => {
        await release.promise;
        return 'v2';
      }),
    ).toBe('v1');
    let closed = false;
    const closing = stack.close().then(() => {
      closed = true;
    });
    // Long enough for a close that did not wait to finish (it only talks to a local Redis).
    await sleep(100);
    expect(closed).toBe(false);
    release.resolve();
    await closing;
    expect(stored).toBe(true);
  });
});
