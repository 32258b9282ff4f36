import { startRedis, type RedisServer } from '@strata/testing';
import { Redis } from 'ioredis';

/** Server-side totals of one command. */
export interface CommandStat {
  readonly calls: number;
  readonly usec: number;
}

/** The Redis the L2 scenarios use, and the unique prefix that keeps their keys apart. */
export interface BenchRedis {
  readonly url: string;
  readonly source: string;
  /** `true` for a `REDIS_URL` server, whose statistics other clients share. */
  readonly external: boolean;
  readonly version: string;
  readonly prefix: string;
  /** A fresh plain ioredis client (default options), closed by {@link BenchRedis.dispose}. */
  client(): Promise<Redis>;
  /** Calls and server µs per command name, from `INFO commandstats` (take deltas). */
  commandStats(): Promise<Map<string, CommandStat>>;
  /** Deletes this run's keys (never flushes), closes the clients, stops a server it started. */
  dispose(): Promise<void>;
}

/**
 * `REDIS_URL` when set (an external server, used read/write under a unique prefix only),
 * otherwise a private server from `@strata/testing` (a container, or `redis-server` on a free port).
 */
export async function benchRedis(): Promise<BenchRedis> {
  const server: RedisServer = await startRedis({ allowExternal: true });
  const prefix = `strata-bench-${process.pid}-${Date.now().toString(36)}`;
  const clients: Redis[] = [];
  const client = async (): Promise<Redis> => {
    const redis = new Redis(server.url, { lazyConnect: true });
    clients.push(redis);
    await redis.connect();
    return redis;
  };
  const admin = await client();
  const info = await admin.info('server');
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  return {
    url: server.url,
    source: server.external ? 'external (REDIS_URL)' : 'private server started by @strata/testing',
    external: server.external,
    version,
    prefix,
    client,
    async commandStats() {
      const stats = new Map<string, CommandStat>();
      const text = await admin.info('commandstats');
      for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
        stats.set(match[1] as string, { calls: Number(match[2]), usec: Number(match[3]) });
      }
      return stats;
    },
    async dispose() {
      try {
        // Only this run's keys: the prefix is unique to the run.
        for await (const keys of admin.scanStream({ match: `${prefix}*`, count: 1000 })) {
          if ((keys as string[]).length > 0) await admin.unlink(...(keys as string[]));
        }
      } finally {
        await Promise.allSettled(clients.map((c) => c.quit()));
        await server.dispose();
      }
    },
  };
}
