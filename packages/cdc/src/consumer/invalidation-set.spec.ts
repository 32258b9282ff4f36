import { describe, expect, it } from 'vitest';
import { InvalidationSet } from './invalidation-set.js';

const fallbacks: Record<string, { namespaces: string[] }> = {
  'public.products': { namespaces: ['catalog'] },
  'public.prices': { namespaces: ['prices'] },
};
const fresh = (max = 4): InvalidationSet =>
  new InvalidationSet(max, (table) => fallbacks[table] ?? { namespaces: [] });

describe('InvalidationSet', () => {
  it('de-duplicates keys per namespace, tags and namespaces', () => {
    const set = fresh(10);
    set.add('public.products', { keys: ['a', 'a'], tags: ['t', 't'], namespaces: ['n'] });
    set.add('public.products', { keys: ['a'], namespace: 'other', tags: ['t'], namespaces: ['n'] });
    expect(set.toRequest()).toEqual({
      keys: [
        { key: 'a', namespace: 'default' },
        { key: 'a', namespace: 'other' },
      ],
      tags: ['t'],
      namespaces: ['n'],
    });
    expect(set.overflow).toBe(false);
  });

  it('past its bound drops keys and tags for the fallbacks of every table that contributed, and of later ones', () => {
    const set = fresh(3);
    set.fallBack('public.products'); // a mapping error, reported as such
    expect(set.add('public.products', { tags: ['a', 'b'] })).toEqual([]);
    expect(set.add('public.prices', { tags: ['c', 'd'] })).toEqual(['public.prices']);
    expect(set.overflow).toBe(true);
    expect(set.toRequest()).toEqual({ keys: [], tags: [], namespaces: ['catalog', 'prices'] });
    expect(set.add('public.other', { tags: ['e'] })).toEqual(['public.other']);
    expect(set.add('public.other', { tags: ['f'] })).toEqual([]);
    expect(set.fallbacks).toEqual(['public.products', 'public.prices', 'public.other']);
  });

  it('merges a later set within the same bound, keeping the fallbacks of both', () => {
    const first = fresh(3);
    first.add('public.products', { tags: ['a', 'b'] });
    const second = fresh(3);
    second.add('public.prices', { tags: ['b', 'c'] });
    second.fallBack('public.products');
    expect(first.merge(second)).toEqual([]);
    expect(first.overflow).toBe(false);
    expect(first.toRequest()).toEqual({ keys: [], tags: ['a', 'b', 'c'], namespaces: ['catalog'] });
    const third = fresh(3);
    third.add('public.prices', { tags: ['x', 'y'] });
    expect(first.merge(third)).toEqual(['public.prices']);
    expect(first.overflow).toBe(true);
    expect(first.toRequest()).toEqual({ keys: [], tags: [], namespaces: ['catalog', 'prices'] });
  });
});
