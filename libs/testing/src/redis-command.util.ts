import { Redis } from 'ioredis';

/**
 * Sends a few commands over one fresh connection, then disconnects: for probing a server that may
 * be down, starting or failing over, where a long-lived client would queue or reconnect.
 *
 * @param host - Server host.
 * @param port - Server port.
 * @param commands - Commands with their arguments, e.g. `[['CLUSTER', 'INFO'], ['INFO', 'replication']]`.
 * @param timeoutMs - Limit for the connection and for each command.
 * @returns The replies, in order.
 * @throws Error when the server is unreachable, slow or answers with an error.
 */
export async function sendRedisCommands(
  host: string,
  port: number,
  commands: readonly (readonly [string, ...string[]])[],
  timeoutMs = 1_000,
): Promise<unknown[]> {
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
    const replies: unknown[] = [];
    for (const [name, ...args] of commands) replies.push(await client.call(name, ...args));
    return replies;
  } finally {
    client.disconnect();
  }
}

/**
 * Reads a reply that must be a string (a bulk or status reply).
 *
 * @param reply - One reply from {@link sendRedisCommands}.
 * @param what - The command, for the error message.
 * @returns The reply.
 * @throws Error for any other kind of reply.
 */
export function textReply(reply: unknown, what: string): string {
  if (typeof reply !== 'string') throw new Error(`unexpected reply to ${what}: ${String(reply)}`);
  return reply;
}

/**
 * Parses `key:value` lines, as in the replies to `INFO` and `CLUSTER INFO`.
 *
 * @param text - The reply.
 * @returns The fields; section headers and blank lines are skipped.
 */
export function parseInfoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (line.startsWith('#') || colon <= 0) continue;
    fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}
