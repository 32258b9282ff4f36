import { sendRedisCommands } from './redis-command.util.js';

/**
 * One readiness check: connects, sends PING, disconnects. Rejects if the server is unreachable,
 * still loading its data, or slower than `timeoutMs`.
 *
 * @param host - Server host.
 * @param port - Server port.
 * @param timeoutMs - Limit for the connection and for the command.
 */
export async function pingRedis(host: string, port: number, timeoutMs = 1_000): Promise<void> {
  const [reply] = await sendRedisCommands(host, port, [['PING']], timeoutMs);
  if (reply !== 'PONG') throw new Error(`unexpected PING reply: ${String(reply)}`);
}
