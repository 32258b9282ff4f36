// A turn of the event loop (not a microtask): the async context must survive a real hop.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { KeyBuilder } from '../keys/key-builder.js';
import { DependencyTracker } from './dependency-tracker.js';

const keys = new KeyBuilder('t', 512);
const dep = (key: string): string => keys.keyDependency(keys.entry(key));

/** A collection that reads `key` after an await. */
const readAfterAwait = (tracker: DependencyTracker, key: string) =>
  tracker.collect(async () => {
    await nextTurn();
    tracker.record(keys.entry(key), []);
  });

describe('DependencyTracker', () => {
  it('records reads made across awaits, and nothing outside a collection', async () => {
    const tracker = new DependencyTracker(true, keys);
    tracker.record(keys.entry('before'), []);
    const { value, dependencies } = await tracker.collect(async () => {
      tracker.record(keys.entry('a'), ['tag-time:x']);
      await nextTurn();
      tracker.record(keys.entry('b'), []);
      return 7;
    });
    tracker.record(keys.entry('after'), []);
    expect(value).toBe(7);
    expect(dependencies).toEqual([dep('a'), 'tag-time:x', dep('b')]);
    expect(tracker.active).toBe(false);
  });

  it('keeps recording a collection that outlives another one started beside it', async () => {
    const tracker = new DependencyTracker(true, keys);
    let releaseLong!: () => void;
    const gate = new Promise<void>((resolve) => (releaseLong = resolve));
    const long = tracker.collect(async () => {
      tracker.record(keys.entry('long-1'), []);
      await gate;
      // The short collection has finished by now: this one must still see its own store.
      expect(tracker.active).toBe(true);
      tracker.record(keys.entry('long-2'), []);
    });
    const short = await readAfterAwait(tracker, 'short');
    releaseLong();
    expect(short.dependencies).toEqual([dep('short')]);
    expect((await long).dependencies).toEqual([dep('long-1'), dep('long-2')]);
    // After both: a read records nothing, and a new collection starts empty.
    expect(tracker.active).toBe(false);
    const again = await readAfterAwait(tracker, 'again');
    expect(again.dependencies).toEqual([dep('again')]);
  });

  it('adds what a nested collection read to the enclosing one', async () => {
    const tracker = new DependencyTracker(true, keys);
    const outer = await tracker.collect(async () => {
      tracker.record(keys.entry('page'), []);
      const inner = await readAfterAwait(tracker, 'product');
      expect(inner.dependencies).toEqual([dep('product')]);
      tracker.record(keys.entry('footer'), []);
    });
    expect(outer.dependencies).toEqual([dep('page'), dep('product'), dep('footer')]);
  });

  it('releases the store when the computation throws', async () => {
    const tracker = new DependencyTracker(true, keys);
    await expect(
      tracker.collect(async () => {
        await nextTurn();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(tracker.active).toBe(false);
    const next = await readAfterAwait(tracker, 'next');
    expect(next.dependencies).toEqual([dep('next')]);
  });

  it('records nothing with dependencies: false', async () => {
    const tracker = new DependencyTracker(false, keys);
    const { dependencies } = await tracker.collect(async () => {
      tracker.record(keys.entry('a'), []);
      return 1;
    });
    expect(dependencies).toEqual([]);
  });
});
