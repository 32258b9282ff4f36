import { afterEach, describe, expect, it } from 'vitest';
import type { CacheStack } from '../src/index.js';
import { openStacks, type StackFactory } from './store-compliance.suite.js';
import { engineOf } from '../src/internal.js';

/** A page built from what a render read, stored the way the HTTP cache stores one. */
async function storePage(
  stack: CacheStack,
  key: string,
  render: () => Promise<string>,
): Promise<readonly string[]> {
  const ticket = await stack.writeTicket(key, { namespace: 'page' });
  const { value, dependencies } = await stack.trackDependencies(render);
  await stack.set(key, value, { namespace: 'page', ticket, dependsOn: dependencies });
  return dependencies;
}

const page = (stack: CacheStack, key: string): Promise<string | undefined> =>
  stack.get<string>(key, { namespace: 'page' });

/**
 * Dependency tracking on every stack configuration: an entry computed inside
 * `trackDependencies` is dropped when a key it read is set or deleted, or a tag or namespace of
 * an entry it read is invalidated, including what nested cached calls read.
 */
export function runDependencyCompliance(name: string, makeStack: StackFactory): void {
  describe(`CacheStack dependencies: ${name}`, () => {
    const open: CacheStack[] = [];
    const stackWith = openStacks(makeStack, open);

    afterEach(async () => {
      await Promise.all(open.splice(0).map((stack) => stack.close()));
    });

    it('drops a page when a key it read is deleted or set, and keeps it for other keys', async () => {
      const stack = await stackWith();
      const render = async (): Promise<string> =>
        `${await stack.getOrLoad('product:1', () => 'kettle')} ${await stack.getOrLoad('product:2', () => 'mug')}`;

      await storePage(stack, 'p1', render);
      expect(await page(stack, 'p1')).toBe('kettle mug');
      await stack.delete('product:3');
      await stack.set('product:4', 'teapot');
      expect(await page(stack, 'p1')).toBe('kettle mug');

      await stack.delete('product:1');
      expect(await page(stack, 'p1')).toBeUndefined();

      await storePage(stack, 'p1', render);
      expect(await page(stack, 'p1')).toBe('kettle mug');
      await stack.set('product:2', 'cup');
      expect(await page(stack, 'p1')).toBeUndefined();
      await storePage(stack, 'p1', render);
      expect(await page(stack, 'p1')).toBe('kettle cup');
    });

    it('drops a page when a tag or the namespace of an entry it read is invalidated', async () => {
      const stack = await stackWith();
      const render = async (): Promise<string> =>
        String(await stack.getOrLoad('price:1', () => 10, { tags: ['prices'], namespace: 'catalog' }));

      const dependencies = await storePage(stack, 'p', render);
      expect(dependencies).toContain(engineOf(stack).keys.tag('prices'));
      expect(dependencies).toContain(engineOf(stack).keys.namespace('catalog'));
      await stack.invalidateTags(['unrelated']);
      expect(await page(stack, 'p')).toBe('10');
      await stack.invalidateTags(['prices']);
      expect(await page(stack, 'p')).toBeUndefined();

      await storePage(stack, 'p', render);
      await stack.invalidateNamespace('catalog');
      expect(await page(stack, 'p')).toBeUndefined();
    });

    it('records a read that missed: a later set of that key drops the page', async () => {
      const stack = await stackWith();
      await storePage(stack, 'p', async () => String(await stack.get('banner')));
      expect(await page(stack, 'p')).toBe('undefined');
      await stack.set('banner', 'sale');
      expect(await page(stack, 'p')).toBeUndefined();
    });

    it('keeps what nested cached calls read in the outer entry, and replays it on a hit', async () => {
      const stack = await stackWith();
      let listLoads = 0;
      const list = (): Promise<string[]> =>
        stack.getOrLoad('list:7', async () => {
          listLoads++;
          return [await stack.getOrLoad('product:42', () => 'kettle', { tags: ['product:42'] })];
        });

      // The list is computed inside one page; a second page only hits it.
      await storePage(stack, 'first', async () => (await list()).join());
      const replayed = await storePage(stack, 'second', async () => (await list()).join());
      expect(listLoads).toBe(1);
      expect(replayed).toContain(
        engineOf(stack).keys.keyDependency(engineOf(stack).keys.entry('product:42')),
      );
      expect(replayed).toContain(engineOf(stack).keys.tag('product:42'));

      await stack.delete('product:42');
      expect(await page(stack, 'first')).toBeUndefined();
      expect(await page(stack, 'second')).toBeUndefined();
      // The list itself showed product 42: it goes too, so the next page is built fresh.
      await storePage(stack, 'third', async () => (await list()).join());
      expect(listLoads).toBe(2);

      await stack.invalidateTags(['product:42']);
      expect(await page(stack, 'third')).toBeUndefined();
    });

    it('keeps a page out when a key it read changes while it is computed (no stale pages)', async () => {
      const stack = await stackWith();
      await storePage(stack, 'p', async () => {
        const name = await stack.getOrLoad('product:1', () => 'kettle');
        // Another request (or instance) changes the product before this page is stored.
        await stack.set('product:1', 'teapot');
        return name;
      });
      expect(await page(stack, 'p')).toBeUndefined();
    });

    it('keeps a page out when a tag it read is invalidated while it is computed', async () => {
      const stack = await stackWith();
      await storePage(stack, 'p', async () => {
        const value = await stack.getOrLoad('product:1', () => 'kettle', { tags: ['catalog'] });
        await stack.invalidateTags(['catalog']);
        return value;
      });
      expect(await page(stack, 'p')).toBeUndefined();
    });

    it('records nothing with dependencies: false', async () => {
      const stack = await stackWith({ dependencies: false });
      const { value, dependencies } = await stack.trackDependencies(() =>
        stack.getOrLoad('product:1', () => 'kettle'),
      );
      expect(value).toBe('kettle');
      expect(dependencies).toStrictEqual([]);
      await stack.set('p', 'page', { dependsOn: dependencies });
      await stack.set('product:1', 'teapot');
      expect(await stack.get('p')).toBe('page');
    });
  });
}
