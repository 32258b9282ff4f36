import { Redis } from 'ioredis';

/**
 * One readiness check: connects, sends PING, disconnects. Rejects if the server is unreachable,
 * still loading its data, or slower than `timeoutMs`.
 *
 * @param host - Server host.
 * @param port - Server port.
 * @param timeoutMs - Limit for the connection and for the command.
 */
export async function pingRedis(host: string, port: number, timeoutMs = 1_000): Promise<void> {
  const client = new Redis({
    host,
    port,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const reply = await client.ping();
    if (reply !== 'PONG') throw new Error(`unexpected PING reply: ${reply}`);
  } finally {
    client.disconnect();
  }
}
