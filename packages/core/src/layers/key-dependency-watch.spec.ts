import { describe, expect, it } from 'vitest';
import { KeyDependencyWatch } from './key-dependency-watch.js';
import { MemoryLayer } from './memory.layer.js';

const PREFIX = 'p:{p:tags}:k:';
const dep = (key: string): string => `${PREFIX}p:default:${key}`;

describe('key dependencies in L1', () => {
  it('remembers the changes of watched keys only, so sets of other keys cost L1 nothing', () => {
    const l1 = new MemoryLayer({
      maxEntries: 100,
      maxBytes: 1_000_000,
      tombstoneTtlMs: 60_000,
      keyDependencyPrefix: PREFIX,
    });
    const invalidations = (l1 as unknown as { invalidations: Map<string, unknown> }).invalidations;
    for (let i = 0; i < 1_000; i++) l1.invalidate([dep(`unread:${i}`)]);
    expect(invalidations.size).toBe(0);

    // A page read product:1 (watched from the read on), then product:1 changes: the page is dropped.
    const ticket = l1.missToken();
    l1.watchDependencies([dep('product:1')]);
    const now = Date.now();
    l1.write(
      'page',
      { freshUntil: now + 60_000, staleUntil: now + 60_000, tags: [dep('product:1')], value: 'j1' },
      60_000,
      ticket,
    );
    expect(l1.lookup('page', Date.now())).toBeDefined();
    l1.invalidate([dep('product:1')]);
    expect(invalidations.size).toBe(1);
    expect(l1.lookup('page', Date.now())).toBeUndefined();
  });

  it('treats an entry as invalidated when one of its keys was forgotten after it was created', () => {
    let clock = 0;
    const watch = new KeyDependencyWatch(PREFIX, () => clock, 2);
    watch.watch([dep('a'), 'p:{p:tags}:t:a-tag']);
    clock = 5;
    expect(watch.missed(dep('a'), 3)).toBe(false);
    watch.watch([dep('b'), dep('c')]); // a is forgotten at clock 5
    expect(watch.matters(dep('a'))).toBe(false);
    expect(watch.matters('p:{p:tags}:t:a-tag')).toBe(true); // tags always matter
    expect(watch.missed(dep('a'), 3)).toBe(true); // created before: its changes may be lost
    expect(watch.missed(dep('a'), 6)).toBe(false); // created after: nothing to miss since
    expect(watch.missed(dep('b'), 3)).toBe(false);
  });
});
