import { findExecutable } from './find-executable.util.js';
import { findFreePort } from './free-port.util.js';
import { ManagedProcess } from './managed-process.util.js';
import {
  checkClusterHealth,
  parseClusterNodes,
  primaryOfSlot,
  type ClusterNodeEntry,
} from './redis-cluster-topology.util.js';
import { introduceMissingNodes } from './redis-cluster-introductions.util.js';
import type {
  RedisCluster,
  RedisClusterAddress,
  RedisClusterNode,
  StartRedisClusterOptions,
} from './redis-cluster.types.js';
import { sendRedisCommands, textReply } from './redis-command.util.js';
import { startRedisProcess, type LocalRedisServer } from './redis-process.fixture.js';
import { TestServerError, type TestServerErrorCode } from './test-server.error.js';
import { waitForState } from './wait-until-ready.util.js';

const HOST = '127.0.0.1';
const PRIMARY_COUNT = 3;
const NODE_COUNT = PRIMARY_COUNT * 2;
const POLL_INTERVAL_MS = 50;
const DEFAULT_NODE_TIMEOUT_MS = 1_000;
const DEFAULT_TIMEOUT_MS = 20_000;

/** `redis-server` arguments of every node, on top of those of a single local server. */
function clusterArgs(nodeTimeoutMs: number, busPort: number): string[] {
  // prettier-ignore
  return [
    '--cluster-enabled', 'yes',
    '--cluster-config-file', 'nodes.conf', // in the node's own dir (`--dir`), kept across restarts
    '--cluster-node-timeout', String(nodeTimeoutMs),
    // The bus port defaults to port + 10000, which may be taken or above 65535.
    '--cluster-port', String(busPort),
    // A replica may take over however long it has been cut off from its primary (tests kill things).
    '--cluster-replica-validity-factor', '0',
    // Slots of a dead primary fail, the others keep serving (the default stops the whole cluster).
    '--cluster-require-full-coverage', 'no',
    // Keep the 3 + 3 layout: no replica moves to a primary left without one.
    '--cluster-allow-replica-migration', 'no',
  ];
}

/** Six local `redis-server` processes made into a cluster. */
class LocalRedisCluster implements RedisCluster {
  readonly nodes: readonly RedisClusterAddress[];
  private disposal: Promise<void> | undefined;

  constructor(
    private readonly servers: readonly LocalRedisServer[],
    private readonly timeoutMs: number,
  ) {
    this.nodes = servers.map((server) => ({ host: server.host, port: server.port }));
  }

  async primaries(): Promise<RedisClusterNode[]> {
    const view = await this.readView();
    return view
      .filter((entry) => entry.role === 'primary' && entry.slots.length > 0)
      .map((entry) => this.handle(entry));
  }

  async replicas(): Promise<RedisClusterNode[]> {
    const view = await this.readView();
    return view.filter((entry) => entry.role === 'replica').map((entry) => this.handle(entry));
  }

  async primaryFor(key: string): Promise<RedisClusterNode> {
    const [slot, nodes] = await this.ask([
      ['CLUSTER', 'KEYSLOT', key],
      ['CLUSTER', 'NODES'],
    ]);
    if (typeof slot !== 'number') throw new Error(`unexpected reply to CLUSTER KEYSLOT: ${String(slot)}`);
    const entry = primaryOfSlot(parseClusterNodes(textReply(nodes, 'CLUSTER NODES')), slot);
    if (entry === undefined) {
      throw new TestServerError('E_CLUSTER_STATE', `no primary serves slot ${slot} (of key "${key}")`);
    }
    return this.handle(entry);
  }

  async failover(node: RedisClusterNode): Promise<RedisClusterNode> {
    const server = this.serverAt(node.port);
    const entry = (await this.readView()).find((candidate) => candidate.port === node.port);
    const slot = entry?.role === 'primary' ? entry.slots[0]?.[0] : undefined;
    if (slot === undefined) {
      throw new TestServerError(
        'E_CLUSTER_STATE',
        `failover(): ${server.url} is not a primary serving slots`,
      );
    }
    await server.kill();
    const successor = await this.waitUntilHealthy(`failover of ${server.url}`, 'E_CLUSTER_STATE', (view) => {
      const owner = primaryOfSlot(view, slot);
      if (owner === undefined || owner.port === node.port) throw new Error('no replica has taken over yet');
      return owner;
    });
    return this.handle(successor);
  }

  dispose(): Promise<void> {
    this.disposal ??= Promise.all(this.servers.map((server) => server.dispose())).then(() => undefined);
    return this.disposal;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  /**
   * Polls until every running node is healthy (see {@link checkClusterHealth}) and `check` accepts the view,
   * running `whileUnhealthy` after each poll that finds it is not.
   *
   * @returns What `check` returned.
   * @throws TestServerError with `code` on timeout, `E_DISPOSED` if the cluster is disposed meanwhile.
   */
  async waitUntilHealthy<T>(
    what: string,
    code: TestServerErrorCode,
    check: (view: readonly ClusterNodeEntry[]) => T,
    whileUnhealthy?: () => Promise<void>,
  ): Promise<T> {
    const probe = async (): Promise<T> => {
      const running = this.servers.filter((server) => server.running);
      try {
        return check(await checkClusterHealth(running, this.servers.length));
      } catch (error) {
        await whileUnhealthy?.();
        throw error;
      }
    };
    return waitForState(probe, code, {
      what,
      intervalMs: POLL_INTERVAL_MS,
      timeoutMs: this.timeoutMs,
      abort: () => (this.disposal ? disposedError() : undefined),
    });
  }

  private async readView(): Promise<ClusterNodeEntry[]> {
    const [nodes] = await this.ask([['CLUSTER', 'NODES']]);
    return parseClusterNodes(textReply(nodes, 'CLUSTER NODES'));
  }

  /** Sends commands to the first running node that answers. */
  private async ask(commands: readonly (readonly [string, ...string[]])[]): Promise<unknown[]> {
    if (this.disposal) throw disposedError();
    let lastError: unknown = new Error('no node is running');
    for (const server of this.servers.filter((candidate) => candidate.running)) {
      try {
        return await sendRedisCommands(server.host, server.port, commands);
      } catch (error) {
        lastError = error;
      }
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new TestServerError('E_CLUSTER_STATE', `no node of the cluster answers: ${reason}`, {
      cause: lastError,
    });
  }

  private serverAt(port: number): LocalRedisServer {
    if (this.disposal) throw disposedError();
    const server = this.servers.find((candidate) => candidate.port === port);
    if (server === undefined) {
      throw new TestServerError('E_CLUSTER_STATE', `no node of this cluster listens on port ${port}`);
    }
    return server;
  }

  private handle(entry: ClusterNodeEntry): RedisClusterNode {
    const server = this.serverAt(entry.port);
    return {
      id: entry.id,
      host: server.host,
      port: server.port,
      url: server.url,
      role: entry.role,
      kill: async () => {
        if (this.disposal) throw disposedError();
        await server.kill();
      },
      restart: async () => {
        if (this.disposal) throw disposedError();
        await server.restart();
        await this.waitUntilHealthy(`rejoining of ${server.url}`, 'E_START_FAILED', () => undefined);
      },
      pause: async (ms: number) => {
        if (this.disposal) throw disposedError();
        await server.pause(ms);
      },
    };
  }
}

function disposedError(): TestServerError {
  return new TestServerError('E_DISPOSED', 'this Redis Cluster has been disposed');
}

/** Checks the layout right after creation: 3 primaries, each with one synced replica. */
function checkInitialLayout(view: readonly ClusterNodeEntry[]): void {
  const primaries = view.filter((entry) => entry.role === 'primary' && entry.slots.length > 0);
  const replicas = view.filter((entry) => entry.role === 'replica');
  const covered = primaries.every((primary) => replicas.some((replica) => replica.primaryId === primary.id));
  if (primaries.length !== PRIMARY_COUNT || replicas.length !== NODE_COUNT - PRIMARY_COUNT || !covered) {
    throw new Error(`waiting for ${PRIMARY_COUNT} primaries with one replica each`);
  }
}

/** Runs `redis-cli --cluster create` over the six nodes; rejects unless it succeeds in time. */
async function createCluster(
  cli: string,
  servers: readonly LocalRedisServer[],
  timeoutMs: number,
): Promise<void> {
  const addresses = servers.map((server) => `${server.host}:${server.port}`);
  const args = ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'];
  const proc = ManagedProcess.spawn(cli, args);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, undefined);
  });
  const exit = await Promise.race([proc.exited, timeout]);
  clearTimeout(timer);
  if (exit === undefined) await proc.terminate('SIGKILL');
  if (exit?.code !== 0) {
    // redis-cli colours its output even into a pipe.
    const account = proc.describe().replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
    throw new TestServerError('E_START_FAILED', `creating the Redis Cluster failed: ${account}`);
  }
}

/**
 * Starts a local Redis Cluster for a test: six `redis-server` processes from `PATH` (3 primaries, 3
 * replicas) on free loopback ports, each in a fresh temp dir, joined by `redis-cli --cluster create`.
 * Never uses Docker or `REDIS_URL`. Nodes persist nothing (`--save ''`, no AOF).
 *
 * @param options - Node timeout (how fast failures are detected) and how long to wait for health.
 * @returns A cluster in which every node reports `cluster_state:ok`, all slots are served, all nodes
 *   agree on the slot map and every replica has synced. Call `dispose()` (or `await using`) when done.
 * @throws TestServerError `E_NO_REDIS` when `redis-server` or `redis-cli` is not in `PATH`,
 *   `E_START_FAILED` when a node or the cluster does not come up.
 */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisCluster> {
  const nodeTimeoutMs = options.nodeTimeoutMs ?? DEFAULT_NODE_TIMEOUT_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(nodeTimeoutMs) || nodeTimeoutMs <= 0) {
    throw new RangeError(`nodeTimeoutMs must be a positive integer, got ${nodeTimeoutMs}`);
  }
  const binaries = ['redis-server', 'redis-cli'] as const;
  const [server, cli] = await Promise.all(binaries.map((name) => findExecutable(name)));
  if (server === undefined || cli === undefined) {
    const missing = binaries.filter((_, index) => [server, cli][index] === undefined).join(' and ');
    throw new TestServerError(
      'E_NO_REDIS',
      `No Redis Cluster available: ${missing} not in PATH (a cluster always runs local processes, never Docker). ` +
        "Install Debian's redis-server and redis-tools packages (`apt-get install -y redis-server redis-tools`).",
    );
  }
  const starts = await Promise.allSettled(
    Array.from({ length: NODE_COUNT }, () =>
      startRedisProcess({
        tempDirPrefix: 'strata-redis-cluster-',
        extraArgs: async () => clusterArgs(nodeTimeoutMs, await findFreePort(HOST)),
      }),
    ),
  );
  const servers = starts.flatMap((start) => (start.status === 'fulfilled' ? [start.value] : []));
  const cluster = new LocalRedisCluster(servers, timeoutMs);
  try {
    const failed = starts.find((start) => start.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    await createCluster(cli, servers, timeoutMs);
    const created = Date.now();
    // A handshake still under way ends (completed or dropped) within the node timeout, 1 s at the
    // least; a node no other node lists after twice that was dropped, and only a new MEET helps.
    const settledAfterMs = 2 * Math.max(nodeTimeoutMs, 1_000);
    await cluster.waitUntilHealthy('Redis Cluster start', 'E_START_FAILED', checkInitialLayout, async () => {
      if (Date.now() - created >= settledAfterMs) await introduceMissingNodes(cluster.nodes);
    });
    return cluster;
  } catch (error) {
    await cluster.dispose();
    throw error;
  }
}
