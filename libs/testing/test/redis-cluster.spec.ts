import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startRedisCluster,
  type RedisCluster,
  type RedisClusterAddress,
  type RedisClusterNode,
} from '../src/index.js';
import { introduceMissingNodes } from '../src/redis-cluster-introductions.util.js';

/** Opens a connection to one node, runs `fn`, closes it. */
/** The node on `port` once the cluster lists it among the replicas, or `undefined` after `timeoutMs`. */
async function rejoinedReplica(
  cluster: RedisCluster,
  port: number,
  timeoutMs: number,
): Promise<RedisClusterNode | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await cluster.replicas()).find((node) => node.port === port);
    if (found !== undefined || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function withNode<T>(node: RedisClusterAddress, fn: (client: Redis) => Promise<T>): Promise<T> {
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
  await client.connect();
  try {
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

describe('startRedisCluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    client = new Cluster([...cluster.nodes]);
    client.on('error', () => undefined);
  });

  afterAll(async () => {
    client?.disconnect();
    await cluster?.dispose();
  });

  it('has 3 primaries and 3 replicas on loopback, every node reporting cluster_state:ok', async () => {
    const primaries = await cluster.primaries();
    const replicas = await cluster.replicas();
    expect(primaries.map((node) => node.role)).toEqual(['primary', 'primary', 'primary']);
    expect(replicas.map((node) => node.role)).toEqual(['replica', 'replica', 'replica']);
    const ports = [...primaries, ...replicas].map((node) => node.port).sort();
    expect(ports).toEqual(cluster.nodes.map((node) => node.port).sort());
    expect(new Set(ports).size).toBe(6);
    for (const node of [...primaries, ...replicas]) {
      expect(node.url).toBe(`redis://127.0.0.1:${node.port}`);
      const info = await withNode(node, (c) => c.cluster('INFO'));
      expect(field(info, 'cluster_state')).toBe('ok');
      expect(field(info, 'cluster_slots_ok')).toBe('16384');
    }
  });

  it('serves SET/GET through a Cluster client, with keys on every primary', async () => {
    const keys = Array.from({ length: 24 }, (_, index) => `spread:${index}`);
    for (const key of keys) await client.set(key, `value of ${key}`);
    const owners = new Set<number>();
    for (const key of keys) {
      expect(await client.get(key)).toBe(`value of ${key}`);
      const primary = await cluster.primaryFor(key);
      owners.add(primary.port);
      // primaryFor() names the node that really holds the key.
      expect(await withNode(primary, (c) => c.get(key))).toBe(`value of ${key}`);
    }
    const primaryPorts = (await cluster.primaries()).map((node) => node.port);
    expect([...owners].sort()).toEqual(primaryPorts.sort());
  });

  it('runs multi-key commands on keys sharing a hash tag, and refuses keys across slots', async () => {
    await client.mset('{user:1}:name', 'Ada', '{user:1}:email', 'ada@example.com');
    expect(await client.mget('{user:1}:name', '{user:1}:email')).toEqual(['Ada', 'ada@example.com']);
    expect(await client.del('{user:1}:name', '{user:1}:email')).toBe(2);
    await expect(client.mget('spread:0', 'spread:1')).rejects.toThrow(/CROSSSLOT/);
  });

  it('failover() refuses a replica', async () => {
    const [replica] = await cluster.replicas();
    if (replica === undefined) throw new Error('no replica');
    await expect(cluster.failover(replica)).rejects.toMatchObject({ code: 'E_CLUSTER_STATE' });
  });

  it('failover() promotes a replica: data written with WAIT survives, writes go on, the old primary rejoins', async () => {
    const key = 'failover:key';
    const [set, wait] = (await client.pipeline().set(key, 'before').call('WAIT', '1', '1000').exec()) ?? [];
    expect(set).toEqual([null, 'OK']);
    expect(wait).toEqual([null, 1]);
    const primary = await cluster.primaryFor(key);

    const successor = await cluster.failover(primary);

    expect(successor.role).toBe('primary');
    expect(successor.port).not.toBe(primary.port);
    expect((await cluster.primaryFor(key)).port).toBe(successor.port);
    expect((await cluster.primaries()).map((node) => node.port)).not.toContain(primary.port);
    expect(await client.get(key)).toBe('before');
    await client.set(key, 'after');
    expect(await client.get(key)).toBe('after');

    await primary.restart();
    // The restarted node learns its new role by gossip: give the cluster a few seconds to agree.
    const rejoined = await rejoinedReplica(cluster, primary.port, 10_000);
    expect(rejoined?.id).toBe(primary.id);
    expect(await withNode(primary, (c) => c.call('INFO', 'replication'))).toMatch(
      new RegExp(`master_port:${successor.port}\\r?\\n`),
    );
    expect(await client.get(key)).toBe('after');
  });
});

describe('RedisCluster.dispose()', () => {
  it('stops all six redis-server processes and removes their temp dirs', async () => {
    const cluster = await startRedisCluster();
    const nodes = await Promise.all(
      cluster.nodes.map((node) =>
        withNode(node, async (c) => ({
          pid: Number(field(await c.info('server'), 'process_id')),
          dir: ((await c.config('GET', 'dir')) as string[])[1] ?? '',
        })),
      ),
    );
    expect(new Set(nodes.map((node) => node.pid)).size).toBe(6);
    for (const node of nodes) {
      expect(isAlive(node.pid)).toBe(true);
      expect(existsSync(join(node.dir, 'nodes.conf'))).toBe(true);
    }

    await cluster.dispose();

    for (const node of nodes) {
      expect(isAlive(node.pid)).toBe(false);
      expect(existsSync(node.dir)).toBe(false);
    }
    await cluster.dispose();
    await expect(cluster.primaries()).rejects.toMatchObject({ code: 'E_DISPOSED' });
  });
});

/** `cluster_known_nodes` of each node, in node order. */
async function knownNodeCounts(nodes: readonly RedisClusterAddress[]): Promise<number[]> {
  return Promise.all(
    nodes.map((node) =>
      withNode(node, async (c) => Number(field(await c.cluster('INFO'), 'cluster_known_nodes'))),
    ),
  );
}

describe('a node that lost its handshake', () => {
  it('stays unknown to the others through gossip, and is known again once introduced anew', async () => {
    await using cluster = await startRedisCluster();
    const [lost] = await cluster.replicas();
    if (lost === undefined) throw new Error('no replica');
    const others = cluster.nodes.filter((node) => node.port !== lost.port);
    // What a dropped handshake leaves: every other node without the node, which still knows them.
    // (FORGET also keeps gossip from bringing it back for a minute, as nobody listing it does.)
    await Promise.all(others.map((node) => withNode(node, (c) => c.cluster('FORGET', lost.id))));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await knownNodeCounts(others)).toEqual([5, 5, 5, 5, 5]);

    expect(await introduceMissingNodes(cluster.nodes)).toBe(others.length);

    // Known again once the handshakes are over: listed by every node as a replica.
    const healed = async (): Promise<boolean> =>
      (await knownNodeCounts(cluster.nodes)).every((count) => count === 6) &&
      (await cluster.replicas()).some((node) => node.port === lost.port);
    const deadline = Date.now() + 10_000;
    while (!(await healed()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await knownNodeCounts(cluster.nodes)).toEqual([6, 6, 6, 6, 6, 6]);
    expect((await cluster.replicas()).map((node) => node.port)).toContain(lost.port);
    // Nothing is missing any more: nothing to introduce.
    expect(await introduceMissingNodes(cluster.nodes)).toBe(0);
  });
});

describe('startRedisCluster without the binaries', () => {
  const savedPath = process.env['PATH'];
  let bin: string;

  beforeAll(async () => {
    bin = await mkdtemp(join(tmpdir(), 'strata-no-redis-cli-'));
    const pathDirs = (savedPath ?? '').split(delimiter);
    const server = pathDirs.map((dir) => join(dir, 'redis-server')).find((path) => existsSync(path));
    if (server === undefined) throw new Error('redis-server is not in PATH');
    await symlink(server, join(bin, 'redis-server'));
  });

  afterAll(async () => {
    process.env['PATH'] = savedPath;
    await rm(bin, { recursive: true, force: true });
  });

  it('rejects with E_NO_REDIS naming what is missing', async () => {
    process.env['PATH'] = bin;
    await expect(startRedisCluster()).rejects.toMatchObject({
      code: 'E_NO_REDIS',
      message: expect.stringMatching(/: redis-cli not in PATH/),
    });
    process.env['PATH'] = join(bin, 'nothing-here');
    await expect(startRedisCluster()).rejects.toMatchObject({
      code: 'E_NO_REDIS',
      message: expect.stringMatching(/redis-server and redis-cli not in PATH/),
    });
    process.env['PATH'] = savedPath;
  });
});
