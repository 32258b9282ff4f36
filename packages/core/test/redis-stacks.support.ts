import { startRedis, type RedisServer } from '@strata/testing';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { CacheStack } from '../src/index.js';

/** A private Redis for the calling spec file, and the stacks its tests open. */
export interface RedisStacks {
  /** The server's URL; only available inside tests and hooks. */
  readonly url: string;
  /** Push every stack a test opens: they are closed after each test. */
  readonly open: CacheStack[];
}

/**
 * Starts a real Redis (from `@strata/testing`, never the machine's) for the calling file and
 * closes the stacks in `open` after each test.
 */
export function useRedisStacks(): RedisStacks {
  let server: RedisServer | undefined;
  const open: CacheStack[] = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((stack) => stack.close()));
  });
  afterAll(async () => {
    await server?.dispose();
  });
  return {
    get url() {
      if (server === undefined) throw new Error('Redis is only available inside tests and hooks');
      return server.url;
    },
    open,
  };
}
