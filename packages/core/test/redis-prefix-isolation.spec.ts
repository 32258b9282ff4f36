import { describe, expect, it } from 'vitest';
import { CacheStack } from '../src/index.js';
import { useRedisStacks } from './redis-stacks.support.js';
import { uniquePrefix } from './support.js';

describe('two stacks with different prefixes on one Redis', () => {
  const redis = useRedisStacks();
  const { open } = redis;

  async function stackFor(prefix: string): Promise<CacheStack> {
    // L1 off: what two prefixes share is Redis (L1 coherence across stacks: invalidation-bus.spec.ts).
    const stack = new CacheStack({ prefix, l1: false, redis: { url: redis.url } });
    open.push(stack);
    expect(await stack.connect()).toBe(true);
    return stack;
  }

  it('share data when the prefix is the same (so the isolation below is not vacuous)', async () => {
    const prefix = uniquePrefix();
    const a = await stackFor(prefix);
    const b = await stackFor(prefix);
    await a.set('k', 'from a', { tags: ['t'] });
    expect(await b.get('k')).toBe('from a');
    await b.invalidateTags(['t']);
    expect(await a.get('k')).toBeUndefined();
  });

  it('keep the same key apart', async () => {
    const a = await stackFor(uniquePrefix());
    const b = await stackFor(uniquePrefix());
    await a.set('product:1', 'A');
    expect(await b.get('product:1')).toBeUndefined();
    await b.set('product:1', 'B');
    expect(await a.get('product:1')).toBe('A');
    expect(await b.get('product:1')).toBe('B');
    let loads = 0;
    expect(await b.getOrLoad('product:2', () => `B${++loads}`)).toBe('B1');
    expect(await a.getOrLoad('product:2', () => `A${++loads}`)).toBe('A2');
    expect(loads).toBe(2);
  });

  it('invalidate tags, namespaces and keys only on their own stack', async () => {
    const a = await stackFor(uniquePrefix());
    const b = await stackFor(uniquePrefix());
    for (const stack of [a, b]) {
      await stack.set('tagged', 'v', { tags: ['shared-tag'] });
      await stack.set('spaced', 'v', { namespace: 'ns' });
      await stack.set('plain', 'v');
    }
    await a.invalidateTags(['shared-tag']);
    await a.invalidateNamespace('ns');
    await a.delete('plain');
    expect(await a.get('tagged')).toBeUndefined();
    expect(await a.get('spaced', { namespace: 'ns' })).toBeUndefined();
    expect(await a.get('plain')).toBeUndefined();
    expect(await b.get('tagged')).toBe('v');
    expect(await b.get('spaced', { namespace: 'ns' })).toBe('v');
    expect(await b.get('plain')).toBe('v');
  });
});
