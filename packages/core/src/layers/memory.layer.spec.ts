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

  describe('Redis entry versions (ordering with the bus)', () => {
    it('a write older than a change announced on the bus is refused, whatever the token; a newer one lands', () => {
      const l1 = layer();
      const token = l1.missToken();
      // A delete at version 200 elsewhere, heard before this write (taken earlier) lands.
      l1.deleteRemote(['k'], [200]);
      expect(l1.write('k', entry('old'), 60_000, token, undefined, 150)).toBe(false);
      expect(l1.write('k', entry('old'), 60_000, token, undefined, 200)).toBe(false);
      // Written in Redis after that delete: lands even though the message came after its token.
      expect(l1.write('k', entry('new'), 60_000, token, undefined, 201)).toBe(true);
      expect(l1.read('k').entry?.value).toBe('j"new"');
    });

    it('the same for a key this layer holds: its delete marker keeps the newest version', () => {
      const l1 = layer();
      expect(l1.write('k', entry('v1'), 60_000, l1.missToken(), undefined, 100)).toBe(true);
      l1.deleteRemote(['k'], [300]);
      expect(l1.read('k').entry).toBeUndefined();
      expect(l1.write('k', entry('v2'), 60_000, l1.missToken(), undefined, 250)).toBe(false);
      // An older announcement later does not lower what is known.
      l1.deleteRemote(['k'], [120]);
      expect(l1.write('k', entry('v2'), 60_000, l1.missToken(), undefined, 250)).toBe(false);
      expect(l1.write('k', entry('v3'), 60_000, l1.missToken(), undefined, 301)).toBe(true);
    });

    it('a message older than the held copy (out of order) keeps the copy; one at its version drops it', () => {
      const l1 = layer();
      expect(l1.write('k', entry('v'), 60_000, l1.missToken(), undefined, 500)).toBe(true);
      l1.deleteRemote(['k'], [499]); // a set of version 500 announced: this copy is that entry
      expect(l1.read('k').entry?.value).toBe('j"v"');
      l1.deleteRemote(['k'], [400]); // an older change, late
      expect(l1.read('k').entry?.value).toBe('j"v"');
      l1.deleteRemote(['k'], [500]); // deleted at 500 (or rewritten in place)
      expect(l1.read('k').entry).toBeUndefined();
    });

    it('a write of an older version than the held entry is refused; the same version is a rewrite', () => {
      const l1 = layer();
      expect(l1.write('k', entry('new'), 60_000, l1.missToken(), undefined, 500)).toBe(true);
      expect(l1.write('k', entry('old'), 60_000, l1.missToken(), undefined, 499)).toBe(false);
      expect(l1.write('k', entry('new'), 60_000, l1.missToken(), undefined, 500)).toBe(true);
      expect(l1.read('k').entry?.value).toBe('j"new"');
    });

    it('a read of the same version that began before the held copy was stored does not replace it (counters)', () => {
      const l1 = layer();
      // A read of a counter at 5 (entry version 500) is in flight when an increment makes it 6,
      // under the same version, and drops the local copy; a later read stores 6.
      const early = l1.missToken();
      l1.delete(['k']);
      expect(l1.write('k', entry('6'), 60_000, l1.missToken(), undefined, 500)).toBe(true);
      // The early read's 5 lands last: refused, not stored over 6.
      expect(l1.write('k', entry('5'), 60_000, early, undefined, 500)).toBe(false);
      expect(l1.read('k').entry?.value).toBe('j"6"');
    });

    it('a change of unknown version drops every copy and orders later writes by token only', () => {
      const l1 = layer();
      expect(l1.write('k', entry('v'), 60_000, l1.missToken(), undefined, 500)).toBe(true);
      const before = l1.missToken();
      l1.deleteRemote(['k'], [undefined]);
      l1.deleteRemote(['absent']);
      expect(l1.read('k').entry).toBeUndefined();
      // A newer version does not help a write that began before the change: its version is unknown.
      expect(l1.write('k', entry('x'), 60_000, before, undefined, 900)).toBe(false);
      expect(l1.write('absent', entry('x'), 60_000, before, undefined, 900)).toBe(false);
      // Later known versions do not make it known either.
      l1.deleteRemote(['k', 'absent'], [600, 600]);
      expect(l1.write('k', entry('x'), 60_000, before, undefined, 900)).toBe(false);
      expect(l1.write('k', entry('x'), 60_000, l1.missToken(), undefined, 900)).toBe(true);
    });

    it("a local delete's marker (version not known yet) refuses writes that began before it", () => {
      const l1 = layer();
      const before = l1.missToken();
      l1.delete(['k']);
      l1.deleteRemote(['k'], [100]);
      expect(l1.write('k', entry('old'), 60_000, before, undefined, 900)).toBe(false);
      expect(l1.write('k', entry('new'), 60_000, l1.missToken(), undefined, 900)).toBe(true);
    });

    it('versions remembered for keys not held are bounded in number and in time (tombstoneTtl)', async () => {
      // Real time: the remembered changes live in an LRU with its own clock.
      const l1 = new MemoryLayer({ maxEntries: 100, maxBytes: 1_000_000, tombstoneTtlMs: 50 });
      l1.deleteRemote(['absent'], [300]);
      expect(l1.write('absent', entry('old'), 60_000, l1.missToken(), undefined, 200)).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(l1.write('absent', entry('old'), 60_000, l1.missToken(), undefined, 200)).toBe(true);
      // Evicted by number: a write whose token predates the eviction is refused (it may be older).
      const before = l1.missToken();
      l1.deleteRemote(
        Array.from({ length: 10_001 }, (_, i) => `other${i}`),
        [],
      );
      expect(l1.write('other0', entry('old'), 60_000, before, undefined, 1)).toBe(false);
    });
  });
});
