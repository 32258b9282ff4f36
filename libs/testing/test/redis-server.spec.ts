import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, TestServerError, type RedisServer } from '../src/index.js';

const clients: Redis[] = [];

/** A client that fails fast instead of queueing while the server is down. */
function connect(server: RedisServer, commandTimeout = 1_000): Redis {
  const client = new Redis(server.url, {
    commandTimeout,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

/** Opens a fresh connection, runs `fn`, closes it. */
async function withClient<T>(server: RedisServer, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = connect(server);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

describe('startRedis (private server)', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedis();
  });

  afterAll(async () => {
    await server.dispose();
  });

  it('serves SET/GET on a loopback port of its own', async () => {
    expect(server.external).toBe(false);
    expect(server.url).toBe(`redis://${server.host}:${server.port}`);
    expect(server.port).not.toBe(6379);
    await withClient(server, async (client) => {
      await client.set('greeting', 'hello');
      expect(await client.get('greeting')).toBe('hello');
    });
  });

  it('kill() makes commands fail, restart() brings it back on the same port', async () => {
    const port = server.port;
    await server.kill();
    const client = connect(server);
    await expect(client.connect().then(() => client.ping())).rejects.toThrow();
    await server.restart();
    expect(server.port).toBe(port);
    expect(await withClient(server, (c) => c.ping())).toBe('PONG');
  });

  it('loses its data across kill() and restart() without appendOnly', async () => {
    await withClient(server, (client) => client.set('volatile', '1'));
    await server.kill();
    await server.restart();
    expect(await withClient(server, (client) => client.get('volatile'))).toBeNull();
  });

  it('pause() freezes the server, which answers again afterwards', async () => {
    const client = connect(server, 100);
    await client.connect();
    const paused = server.pause(300);
    await expect(client.ping()).rejects.toThrow(/timed out/i);
    await paused;
    expect(await withClient(server, (c) => c.ping())).toBe('PONG');
  });

  it('stop() ends a pause early and shuts the server down', async () => {
    const paused = server.pause(60_000);
    const started = Date.now();
    await server.stop();
    await paused;
    expect(Date.now() - started).toBeLessThan(5_000);
    const client = connect(server);
    await expect(client.connect()).rejects.toThrow();
    await server.restart();
    expect(await withClient(server, (c) => c.ping())).toBe('PONG');
  });
});

describe('startRedis({ appendOnly: true })', () => {
  it('keeps data written before kill() and before stop()', async () => {
    await using server = await startRedis({ appendOnly: true });
    await withClient(server, (client) => client.set('durable', 'yes'));
    await server.kill();
    await server.restart();
    expect(await withClient(server, (client) => client.get('durable'))).toBe('yes');
    await withClient(server, (client) => client.set('second', '2'));
    await server.stop();
    await server.restart();
    expect(await withClient(server, (client) => client.mget('durable', 'second'))).toEqual(['yes', '2']);
  });
});

describe('several servers', () => {
  it('get different ports and separate data', async () => {
    const [a, b] = await Promise.all([startRedis(), startRedis()]);
    try {
      expect(a.port).not.toBe(b.port);
      await withClient(a, (client) => client.set('owner', 'a'));
      expect(await withClient(b, (client) => client.get('owner'))).toBeNull();
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });
});

describe('REDIS_URL', () => {
  const saved = process.env['REDIS_URL'];

  afterEach(() => {
    if (saved === undefined) delete process.env['REDIS_URL'];
    else process.env['REDIS_URL'] = saved;
  });

  it('is used with allowExternal, and refuses fault injection', async () => {
    await using own = await startRedis();
    process.env['REDIS_URL'] = own.url;
    const external = await startRedis({ allowExternal: true });
    expect(external.external).toBe(true);
    expect(external.url).toBe(own.url);
    expect(external.port).toBe(own.port);
    await expect(external.kill()).rejects.toMatchObject({ code: 'E_EXTERNAL_SERVER' });
    await expect(external.kill()).rejects.toBeInstanceOf(TestServerError);
    await expect(external.pause(10)).rejects.toMatchObject({ code: 'E_EXTERNAL_SERVER' });
    await external.dispose();
    expect(await withClient(own, (client) => client.ping())).toBe('PONG');
  });

  it('is ignored without allowExternal', async () => {
    process.env['REDIS_URL'] = 'redis://127.0.0.1:1';
    await using server = await startRedis();
    expect(server.external).toBe(false);
    expect(server.port).not.toBe(1);
  });
});
