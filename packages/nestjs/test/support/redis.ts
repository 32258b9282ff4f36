import { startRedis, type RedisServer, type StartRedisOptions } from '@strata/testing';
import { afterAll, beforeAll } from 'vitest';

/** A real Redis server for the whole spec file: started in `beforeAll`, disposed in `afterAll`. */
export interface RedisHandle {
  /** The server; only defined inside tests and hooks. */
  readonly server: RedisServer;
  readonly url: string;
}

export function useRedisServer(options: StartRedisOptions = {}): RedisHandle {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedis(options);
  });
  afterAll(async () => {
    await server?.dispose();
  });
  const current = (): RedisServer => {
    if (!server) throw new Error('the Redis server is only available inside tests and hooks');
    return server;
  };
  return {
    get server() {
      return current();
    },
    get url() {
      return current().url;
    },
  };
}
