import { startRedis, type RedisServer } from '@strata/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { CacheStack } from '../src/index.js';

/** A private Redis for the calling spec file, and the stacks its tests open. */
export interface RedisStacks {
  /** The server's URL; only available inside tests and hooks. */
  readonly url: string;
  /** The server itself, to pause, kill or restart; only available inside tests and hooks. */
  readonly server: RedisServer;
  /**
   * A plain client of the server, for what a test reads or configures directly (it survives a
   * paused server); only available inside tests and hooks.
   */
  readonly admin: Redis;
  /** Push every stack a test opens: they are closed after each test. */
  readonly open: CacheStack[];
}

/**
 * Starts a real Redis (from `@strata/testing`, never the machine's) for the calling file and
 * closes the stacks in `open` after each test.
 */
export function useRedisStacks(): RedisStacks {
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  const open: CacheStack[] = [];
  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
    admin.on('error', () => undefined); // a test may freeze the server
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((stack) => stack.close()));
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.dispose();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('Redis is only available inside tests and hooks');
    return value;
  };
  return {
    get url() {
      return started(server).url;
    },
    get server() {
      return started(server);
    },
    get admin() {
      return started(admin);
    },
    open,
  };
}
