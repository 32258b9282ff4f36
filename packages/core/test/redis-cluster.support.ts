import type { RedisCluster } from '@strata/testing';
import { Cluster } from 'ioredis';

/**
 * A `Cluster` client over a test cluster, configured like the client Strata creates for itself
 * (`src/redis/redis-connection.ts`): no offline queue (a command while the cluster is not ready
 * fails at once), bounded commands and connects, no retries or re-sends of commands, and
 * reconnection in the background. Strata never closes a client it is given: call `disconnect()`.
 */
export function clusterClient(cluster: RedisCluster, commandTimeoutMs = 1_000): Cluster {
  const client = new Cluster([...cluster.nodes], {
    enableOfflineQueue: false,
    clusterRetryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000),
    redisOptions: {
      commandTimeout: commandTimeoutMs,
      connectTimeout: 2_000,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
    },
  });
  // Stacks report errors through their own listener; this one keeps ioredis from printing them.
  client.on('error', () => undefined);
  return client;
}

/** Resolves once `client` is ready for commands (it connects on creation). */
export async function clusterReady(client: Cluster): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the Cluster client did not become ready')), 10_000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
