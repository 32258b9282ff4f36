import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EntryToWrite } from './cache-layer.interface.js';
import { MemoryLayer } from './memory.layer.js';

const entry = (value: string, tags: string[] = []): EntryToWrite => ({
  freshUntil: Date.now() + 60_000,
  staleUntil: Date.now() + 60_000,
  tags,
  value: 'j' + JSON.stringify(value),
});

const layer = (maxEntries = 100): MemoryLayer =>
  new MemoryLayer({ maxEntries, maxBytes: 1_000_000, tombstoneTtlMs: 60_000 });

describe('MemoryLayer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads back what it wrote, with the token as created time', () => {
    const l1 = layer();
    const miss = l1.read('k');
    expect(miss.entry).toBeUndefined();
    expect(l1.write('k', entry('v'), 1000, miss.token)).toBe(true);
    const hit = l1.read('k');
    expect(hit.entry?.value).toBe('j"v"');
    expect(hit.entry?.created).toBe(miss.token);
  });

  it('skips a write whose token predates a delete or a newer write of the key', () => {
    const l1 = layer();
    const before = l1.read('k').token;
    l1.delete(['k']);
    expect(l1.write('k', entry('old'), 1000, before)).toBe(false);
    expect(l1.read('k').entry).toBeUndefined();

    const again = l1.read('k').token;
    expect(l1.write('k', entry('newer'), 1000)).toBe(true);
    expect(l1.write('k', entry('old'), 1000, again)).toBe(false);
    expect(l1.read('k').entry?.value).toBe('j"newer"');
  });

  it('keeps an evicted delete marker from letting an older load write (no stale set under LRU pressure)', () => {
    const l1 = layer(3);
    const before = l1.read('k').token;
    l1.delete(['k']);
    for (let i = 0; i < 3; i++) l1.write(`other${i}`, entry('x'), 1000);
    expect(l1.size).toBe(3);
    expect(l1.write('k', entry('old'), 1000, before)).toBe(false);
    expect(l1.read('k').entry).toBeUndefined();
    // A load that began after the eviction writes normally.
    const after = l1.read('k').token;
    expect(l1.write('k', entry('fresh'), 1000, after)).toBe(true);
  });

  it('keeps an evicted newer entry from being replaced by an older load', () => {
    const l1 = layer(2);
    const before = l1.read('k').token;
    l1.write('k', entry('newer'), 1000);
    l1.write('a', entry('x'), 1000);
    l1.write('b', entry('x'), 1000);
    expect(l1.read('k').entry).toBeUndefined();
    expect(l1.write('k', entry('older'), 1000, before)).toBe(false);
  });

  it('drops entries whose tag was invalidated after they were created', () => {
    const l1 = layer();
    l1.write('a', entry('A'), 1000, undefined);
    l1.write('b', entry('B', ['tag:1']), 1000);
    l1.invalidate(['tag:1']);
    expect(l1.read('a').entry).toBeDefined();
    expect(l1.read('b').entry).toBeUndefined();
    // A load that read before the invalidation stores an entry the invalidation already covers.
    const before = l1.read('c').token;
    l1.invalidate(['tag:2']);
    l1.write('c', entry('C', ['tag:2']), 1000, before);
    expect(l1.read('c').entry).toBeUndefined();
    l1.write('d', entry('D', ['tag:2']), 1000);
    expect(l1.read('d').entry).toBeDefined();
  });

  it('expires entries after ttlMs and delete markers after tombstoneTtlMs', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const l1 = new MemoryLayer({ maxEntries: 10, maxBytes: 1_000_000, tombstoneTtlMs: 100 });
    l1.write('k', entry('v'), 50);
    vi.setSystemTime(t0 + 49);
    expect(l1.read('k').entry).toBeDefined();
    vi.setSystemTime(t0 + 50);
    expect(l1.read('k').entry).toBeUndefined();

    const before = l1.read('gone').token;
    l1.delete(['gone']);
    vi.setSystemTime(t0 + 200);
    // Past tombstoneTtl the marker no longer blocks (loads should not take that long).
    expect(l1.write('gone', entry('late'), 1000, before)).toBe(true);
  });

  it('bounds the bytes it holds', () => {
    const l1 = new MemoryLayer({ maxEntries: 1000, maxBytes: 2_000, tombstoneTtlMs: 1000 });
    for (let i = 0; i < 50; i++) l1.write(`k${i}`, entry('x'.repeat(100)), 1000);
    expect(l1.bytes).toBeLessThanOrEqual(2_000);
    expect(l1.size).toBeLessThan(50);
    expect(l1.read('k49').entry).toBeDefined();
  });

  describe('bus support', () => {
    it('deleteRemote: a held entry becomes a delete marker; for a key not held, reads in flight cannot store', () => {
      const l1 = layer(10);
      l1.write('held', entry('v'), 60_000);
      const inFlight = l1.missToken();
      l1.deleteRemote(['held', 'absent']);
      expect(l1.read('held').entry).toBeUndefined();
      expect(l1.write('held', entry('old'), 60_000, inFlight)).toBe(false);
      expect(l1.write('absent', entry('old'), 60_000, inFlight)).toBe(false);
      // A read that began after the delete stores.
      expect(l1.write('absent', entry('new'), 60_000, l1.missToken())).toBe(true);
    });

    it('deleteRemote of keys not held takes no room from entries', () => {
      const l1 = layer(10);
      for (let i = 0; i < 10; i++) l1.write(`k${i}`, entry('v'), 60_000);
      l1.deleteRemote(Array.from({ length: 1_000 }, (_, i) => `other${i}`));
      for (let i = 0; i < 10; i++) expect(l1.read(`k${i}`).entry).toBeDefined();
    });

    it('clear() drops everything and refuses writes of reads that began before it', () => {
      const l1 = layer();
      l1.write('k', entry('v'), 60_000);
      const before = l1.missToken();
      l1.clear();
      expect(l1.read('k').entry).toBeUndefined();
      expect(l1.write('x', entry('v'), 60_000, before)).toBe(false);
      expect(l1.write('x', entry('v'), 60_000, l1.missToken())).toBe(true);
    });

    it('degrade(cap) shortens lifetimes of new entries, degrade(0) stores nothing, restore() ends it', () => {
      vi.useFakeTimers();
      const l1 = layer();
      l1.degrade(100);
      expect(l1.write('short', entry('v'), 60_000)).toBe(true);
      l1.degrade(0);
      expect(l1.write('none', entry('v'), 60_000)).toBe(false);
      l1.restore();
      expect(l1.write('long', entry('v'), 60_000)).toBe(true);
      vi.advanceTimersByTime(150);
      expect(l1.read('short').entry).toBeUndefined();
      expect(l1.read('none').entry).toBeUndefined();
      expect(l1.read('long').entry).toBeDefined();
    });
  });
});
