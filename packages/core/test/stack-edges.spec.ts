import { describe, expect, it } from 'vitest';
import { CacheStack } from '../src/index.js';

describe('CacheStack edges (memory)', () => {
  it('gives concurrent callers their own copies even when the result is not stored', async () => {
    const stack = new CacheStack({ prefix: 'edges' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const loader = async (): Promise<{ items: number[] }> => {
      await gate;
      return { items: [1, 2] };
    };
    const calls = [1, 2, 3].map(() => stack.getOrLoad('k', loader, { shouldCache: () => false }));
    release();
    const [a, b, c] = await Promise.all(calls);
    a!.items.push(99);
    expect(b).toEqual({ items: [1, 2] });
    expect(c).toEqual({ items: [1, 2] });
    expect(b).not.toBe(c);
    expect(await stack.get('k')).toBeUndefined();
    await stack.close();
  });

  it('does not let a stuck loader hold close() past its drain timeout', async () => {
    const stack = new CacheStack({ prefix: 'edges' });
    const stuck = stack.getOrLoad('stuck', () => new Promise<number>(() => undefined));
    void stuck;
    const started = Date.now();
    await stack.close(200);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
