import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startRedisSentinel,
  TestServerError,
  type RedisSentinel,
  type RedisSentinelAddress,
} from '../src/index.js';

/** Opens a connection to one process, runs `fn`, closes it. */
async function withNode<T>(node: RedisSentinelAddress, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    host: node.host,
    port: node.port,
    lazyConnect: true,
    connectTimeout: 1_000,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

/** A `key:value` field of an INFO-style reply. */
function field(text: string, key: string): string | undefined {
  return new RegExp(`^${key}:(.*?)\\r?$`, 'm').exec(text)?.[1];
}

/** Whether a process with this pid exists. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Resolves with the error code of a TCP connection attempt (`undefined` if it connected). */
function connectError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('startRedisSentinel', () => {
  let sentinel: RedisSentinel;

  beforeAll(async () => {
    sentinel = await startRedisSentinel();
  });

  // Safety net for a failing test; the last test disposes on purpose (dispose is idempotent).
  afterAll(() => sentinel?.dispose());

  it('starts a primary with two replicas that receive writes, watched by three sentinels', async () => {
    expect(sentinel.name).toBe('strata');
    expect(sentinel.sentinels).toHaveLength(3);
    const primary = await sentinel.primary();
    const replicas = await sentinel.replicas();
    expect(primary.role).toBe('primary');
    expect(primary.url).toBe(`redis://127.0.0.1:${primary.port}`);
    expect(replicas.map((node) => node.role)).toEqual(['replica', 'replica']);
    const ports = [primary, ...replicas, ...sentinel.sentinels].map((node) => node.port);
    expect(new Set(ports).size).toBe(6);

    const wait = await withNode(primary, async (c) => {
      await c.set('start:key', 'written');
      return c.call('WAIT', '2', '1000');
    });
    expect(wait).toBe(2);
    for (const replica of replicas) {
      const info = await withNode(replica, (c) => c.info('replication'));
      expect(field(info, 'role')).toBe('slave');
      expect(field(info, 'master_port')).toBe(String(primary.port));
      expect(await withNode(replica, (c) => c.get('start:key'))).toBe('written');
    }
    for (const address of sentinel.sentinels) {
      const master = await withNode(address, (c) => c.call('SENTINEL', 'MASTER', 'strata'));
      const fields = new Map<unknown, unknown>();
      if (Array.isArray(master))
        for (let i = 0; i < master.length; i += 2) fields.set(master[i], master[i + 1]);
      expect(fields.get('port')).toBe(String(primary.port));
      expect(fields.get('num-slaves')).toBe('2');
      expect(fields.get('num-other-sentinels')).toBe('2');
      expect(fields.get('quorum')).toBe('2');
    }
  });

  it('failover() promotes a replica; a sentinel client follows it and keeps data written with WAIT', async () => {
    const client = new Redis({ sentinels: [...sentinel.sentinels], name: sentinel.name });
    client.on('error', () => undefined);
    try {
      await client.set('failover:key', 'before');
      expect(await client.call('WAIT', '1', '1000')).toBeGreaterThanOrEqual(1);
      const old = await sentinel.primary();

      const successor = await sentinel.failover();

      expect(successor.role).toBe('primary');
      expect(successor.port).not.toBe(old.port);
      expect((await sentinel.primary()).port).toBe(successor.port);
      expect((await sentinel.replicas()).map((node) => node.port)).not.toContain(old.port);
      expect(await client.get('failover:key')).toBe('before');
      await client.set('failover:key', 'after');
      expect(await withNode(successor, (c) => c.get('failover:key'))).toBe('after');

      // The old primary comes back as a replica of its successor and syncs.
      await old.restart();
      const replicas = await sentinel.replicas();
      expect(replicas.map((node) => node.port)).toContain(old.port);
      expect(await withNode(old, (c) => c.get('failover:key'))).toBe('after');
      expect(await client.get('failover:key')).toBe('after');
    } finally {
      client.disconnect();
    }
  });

  it('dispose() stops all six processes, frees their ports and removes their temp dirs', async () => {
    const nodes = [(await sentinel.primary()).port, ...(await sentinel.replicas()).map((node) => node.port)];
    expect(nodes).toHaveLength(3);
    const processes = await Promise.all(
      [...nodes.map((port) => ({ host: '127.0.0.1', port })), ...sentinel.sentinels].map((address) =>
        withNode(address, async (c) => {
          const info = await c.info('server');
          const configFile = field(info, 'config_file') ?? '';
          const dir =
            configFile === '' ? (((await c.config('GET', 'dir')) as string[])[1] ?? '') : dirname(configFile);
          return { port: address.port, pid: Number(field(info, 'process_id')), dir };
        }),
      ),
    );
    for (const proc of processes) {
      expect(isAlive(proc.pid)).toBe(true);
      expect(proc.dir).toMatch(/strata-redis-sentinel-/);
      expect(existsSync(proc.dir)).toBe(true);
    }

    await sentinel.dispose();

    for (const proc of processes) {
      expect(isAlive(proc.pid)).toBe(false);
      expect(existsSync(proc.dir)).toBe(false);
      expect(await connectError(proc.port)).toBe('ECONNREFUSED');
    }
    await sentinel.dispose();
    await expect(sentinel.primary()).rejects.toMatchObject({ code: 'E_DISPOSED' });
    await expect(sentinel.failover()).rejects.toBeInstanceOf(TestServerError);
  });
});

describe('startRedisSentinel options', () => {
  it('rejects a bad option with a RangeError naming it, before starting anything', async () => {
    await expect(startRedisSentinel({ downAfterMs: 0 })).rejects.toThrow(RangeError);
    await expect(startRedisSentinel({ downAfterMs: 0 })).rejects.toThrow(/downAfterMs/);
    await expect(startRedisSentinel({ timeoutMs: 1.5 })).rejects.toThrow(/timeoutMs/);
    await expect(startRedisSentinel({ name: 'two words' })).rejects.toThrow(/name/);
  });

  it('rejects with E_NO_REDIS when redis-server is not in PATH', async () => {
    const savedPath = process.env['PATH'];
    process.env['PATH'] = '/nonexistent-strata-bin';
    try {
      await expect(startRedisSentinel()).rejects.toMatchObject({
        code: 'E_NO_REDIS',
        message: expect.stringMatching(/redis-server not in PATH/),
      });
    } finally {
      process.env['PATH'] = savedPath;
    }
  });
});
