import { Cluster, Redis, type ClusterNode, type RedisOptions as IoRedisOptions } from 'ioredis';
import type {
  ClusterConnectionOptions,
  SentinelConnectionOptions,
} from '../options/redis-connection.options.js';

/** The topology-independent settings of a command connection Strata owns. */
export interface OwnedClientSettings {
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

/** Reconnects in the background forever, backing off up to 2 s. */
const retryStrategy = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 6), 2000);

/**
 * How much longer than `commandTimeout` ioredis waits for a reply. Cache operations have their own
 * deadline (`OperationDeadlines`), which reads a reply that arrived while the event loop was
 * stalled before giving up; ioredis's own timer would fire first and fail it (timers run before
 * sockets are read), so after a GC pause every command in flight would time out and count toward
 * the breaker. ioredis's timeout stays a backstop for commands sent outside a cache operation
 * (the write-behind journal's reads), which a loop stall of up to this long does not fail.
 */
const STALL_ALLOWANCE_MS = 1_000;

/**
 * ioredis settings that make Redis trouble cost a bounded time: a command timeout (see
 * {@link STALL_ALLOWANCE_MS}), no offline queue (a command while disconnected fails at once), no
 * retries or re-sends of commands.
 */
function boundedOptions(settings: OwnedClientSettings): IoRedisOptions {
  return {
    commandTimeout: settings.commandTimeoutMs + STALL_ALLOWANCE_MS,
    connectTimeout: settings.connectTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy,
  };
}

/** A client for a single server, from its URL. */
export function createUrlClient(url: string, settings: OwnedClientSettings): Redis {
  return new Redis(url, boundedOptions(settings));
}

/**
 * A client that finds the primary through Sentinel and, with `failoverDetector`, reconnects as
 * soon as the sentinels announce a failover (rather than when the old primary stops answering).
 */
export function createSentinelClient(
  options: SentinelConnectionOptions,
  settings: OwnedClientSettings,
): Redis {
  return new Redis({
    ...boundedOptions(settings),
    sentinels: options.sentinels.map(({ host, port }) => ({ host, port })),
    name: options.name,
    username: options.username,
    password: options.password,
    sentinelPassword: options.sentinelPassword,
    db: options.db ?? 0,
    failoverDetector: true,
    sentinelRetryStrategy: retryStrategy,
  });
}

/**
 * A Cluster client with the same bounds per node; slot map refreshes and redirections are
 * ioredis's. While a failover is under way, a command for the failed slots is retried by ioredis
 * after 100 ms (on a closed node connection or `CLUSTERDOWN`, up to its redirection limit), each
 * attempt bounded by the command timeout; the stack stops waiting at its operation's deadline
 * (`L2Guard`) and falls back to the loader.
 */
export function createClusterClient(
  options: ClusterConnectionOptions,
  settings: OwnedClientSettings,
): Cluster {
  const nodes: ClusterNode[] = options.nodes.map(({ host, port }) => ({ host, port }));
  const { enableOfflineQueue, ...perNode } = boundedOptions(settings);
  return new Cluster(nodes, {
    enableOfflineQueue,
    clusterRetryStrategy: retryStrategy,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    redisOptions: { ...perNode, username: options.username, password: options.password },
  });
}
