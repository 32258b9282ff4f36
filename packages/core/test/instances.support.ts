import { expect } from 'vitest';
import { CacheStack, type CacheStackOptions } from '../src/index.js';
import { uniquePrefix } from './support.js';

/**
 * Stacks of one app (same prefix) on one Redis, as separate instances would be, each connected.
 * Each is pushed to `open`, which the test file's `afterEach` closes.
 */
export async function appInstances(
  url: string,
  count: number,
  open: CacheStack[],
  options: CacheStackOptions = {},
): Promise<CacheStack[]> {
  const prefix = uniquePrefix();
  const stacks: CacheStack[] = [];
  for (let i = 0; i < count; i++) {
    const stack = new CacheStack({ prefix, jitter: 0, ...options, redis: { url, ...options.redis } });
    open.push(stack);
    expect(await stack.connect()).toBe(true);
    stacks.push(stack);
  }
  return stacks;
}
