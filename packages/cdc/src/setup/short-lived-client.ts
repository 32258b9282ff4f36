import pg from 'pg';

/** Runs `fn` on a short-lived connection of its own, closed afterwards whatever happens. */
export async function withClient<T>(connection: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: connection, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined); // a failed query rejects; the connection's end is ours
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
