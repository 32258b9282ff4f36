import { afterEach, describe, expect, it, vi } from 'vitest';
import { CacheStack } from '../stack/cache-stack.js';
import { StrataEvents } from './strata-events.js';

describe('StrataEvents', () => {
  let stack: CacheStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it('reports whether anyone listens, and stops when the last listener unsubscribes', () => {
    const events = new StrataEvents();
    expect(events.has('hit')).toBe(false);
    const off = events.on('hit', () => undefined);
    expect(events.has('hit')).toBe(true);
    off();
    expect(events.has('hit')).toBe(false);
  });

  it('a throwing listener never reaches the cache call, and the other listeners still run', async () => {
    stack = new CacheStack({ prefix: 'ev' });
    const reported: string[] = [];
    stack.events.handleListenerErrors((error, event) => reported.push(`${event}: ${String(error)}`));
    const seen: string[] = [];
    stack.events.on('miss', () => {
      throw new Error('listener bug');
    });
    stack.events.on('miss', ({ cache, key }) => seen.push(`${cache} ${key}`));
    stack.events.on('hit', () => {
      throw new Error('hit bug');
    });

    await expect(stack.getOrLoad('a', () => 1)).resolves.toBe(1);
    await expect(stack.getOrLoad('b', () => 2)).resolves.toBe(2);
    await expect(stack.getOrLoad('a', () => 3)).resolves.toBe(1);
    await expect(stack.get('a')).resolves.toBe(1);

    expect(seen).toEqual(['default ev:default:a', 'default ev:default:b']);
    // Logged once per listener and event; every error counted.
    expect(reported).toEqual(['miss: Error: listener bug', 'hit: Error: hit bug']);
    expect(stack.events.listenerErrors).toBe(4);
  });

  it('a listener whose promise rejects is isolated too', async () => {
    stack = new CacheStack({ prefix: 'ev' });
    const reported = vi.fn();
    stack.events.handleListenerErrors(reported);
    stack.events.on('set', async () => {
      await Promise.resolve();
      throw new Error('async bug');
    });
    await stack.set('k', 'v');
    await new Promise((resolve) => setImmediate(resolve));
    expect(reported).toHaveBeenCalledOnce();
    await expect(stack.get('k')).resolves.toBe('v');
  });

  it('a throwing error handler does not reach the cache call either', async () => {
    stack = new CacheStack({ prefix: 'ev' });
    stack.events.handleListenerErrors(() => {
      throw new Error('handler bug');
    });
    stack.events.on('set', () => {
      throw new Error('listener bug');
    });
    await expect(stack.set('k', 'v')).resolves.toBeUndefined();
  });

  it('names the cache (namespace) and layer of entry events', async () => {
    stack = new CacheStack({ prefix: 'ev' });
    const log: string[] = [];
    stack.events.on('hit', (e) => log.push(`hit ${e.cache} ${e.layer}`));
    stack.events.on('miss', (e) => log.push(`miss ${e.cache}`));
    stack.events.on('load:start', (e) => log.push(`start ${e.cache}`));
    stack.events.on('load', (e) => log.push(`load ${e.cache} ${e.outcome}`));
    stack.events.on('set', (e) => log.push(`set ${e.cache} ${e.key}`));
    stack.events.on('delete', (e) => log.push(`delete ${e.cache} ${e.keys.join(',')}`));
    stack.events.on('invalidate:tags', (e) => log.push(`tags ${e.tags.join(',')}`));
    stack.events.on('invalidate:namespace', (e) => log.push(`namespace ${e.cache}`));

    await stack.getOrLoad('p1', () => 'x', { namespace: 'products' });
    await stack.getOrLoad('p1', () => 'y', { namespace: 'products' });
    await stack.set('c1', 1, { namespace: 'carts' });
    await stack.delete(['c1'], { namespace: 'carts' });
    await stack.invalidateTags(['t1']);
    await stack.invalidateNamespace('products');
    await expect(stack.getOrLoad('boom', () => Promise.reject(new Error('db down')))).rejects.toThrow(
      'db down',
    );

    expect(log).toEqual([
      'miss products',
      'start products',
      'load products success',
      'hit products l1',
      'set carts ev:carts:c1',
      'delete carts ev:carts:c1',
      'tags t1',
      'namespace products',
      'miss default',
      'start default',
      'load default error',
    ]);
  });
});
