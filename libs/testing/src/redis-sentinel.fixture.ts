import { findExecutable } from './find-executable.util.js';
import { sendRedisCommands } from './redis-command.util.js';
import { startRedisProcess, type LocalRedisServer } from './redis-process.fixture.js';
import {
  checkReplication,
  checkSentinelReports,
  DOWN_FLAGS,
  flagged,
  readSentinelReplicas,
  readSentinelReport,
  startSentinelProcess,
  type LocalSentinelProcess,
} from './redis-sentinel.util.js';
import type {
  RedisSentinel,
  RedisSentinelAddress,
  RedisSentinelNode,
  StartRedisSentinelOptions,
} from './redis-sentinel.types.js';
import { TestServerError, type TestServerErrorCode } from './test-server.error.js';
import { waitForState, waitUntilReady } from './wait-until-ready.util.js';

const REPLICA_COUNT = 2;
const SENTINEL_COUNT = 3;
const QUORUM = 2;
const POLL_INTERVAL_MS = 100;
const DEFAULT_DOWN_AFTER_MS = 1_000;
const DEFAULT_TIMEOUT_MS = 20_000;
/** See `sentinelConfig()`: bounds each failover step and the delay before a retry. */
const FAILOVER_TIMEOUT_MS = 3_000;
const DEFAULT_NAME = 'strata';

/** One primary, two replicas and three sentinels, all local processes. */
class LocalRedisSentinel implements RedisSentinel {
  readonly sentinels: readonly RedisSentinelAddress[];
  private disposal: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly servers: readonly LocalRedisServer[],
    private readonly sentinelProcesses: readonly LocalSentinelProcess[],
    private readonly timeoutMs: number,
  ) {
    this.sentinels = sentinelProcesses.map((sentinel) => ({ host: sentinel.host, port: sentinel.port }));
  }

  async primary(): Promise<RedisSentinelNode> {
    this.assertUsable();
    const command = ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name] as const;
    const answers = await Promise.allSettled(
      this.sentinels.map((sentinel) => sendRedisCommands(sentinel.host, sentinel.port, [command])),
    );
    const votes = new Map<number, number>();
    for (const answer of answers) {
      const reply = answer.status === 'fulfilled' ? answer.value[0] : undefined;
      const port = Array.isArray(reply) ? Number(reply[1]) : NaN;
      if (Number.isInteger(port)) votes.set(port, (votes.get(port) ?? 0) + 1);
    }
    const elected = [...votes].find(([, count]) => count >= QUORUM);
    if (elected === undefined) {
      const seen = [...votes].map(([port, count]) => `${port} (${count})`).join(', ') || 'none';
      throw new TestServerError(
        'E_SENTINEL_STATE',
        `no majority of the sentinels agrees on a primary: ${seen}`,
      );
    }
    return this.handle(elected[0], 'primary');
  }

  async replicas(): Promise<RedisSentinelNode[]> {
    this.assertUsable();
    let lastError: unknown;
    for (const sentinel of this.sentinels) {
      try {
        return (await readSentinelReplicas(sentinel, this.name))
          .filter((replica) => !flagged(replica.flags, DOWN_FLAGS))
          .map((replica) => this.handle(replica.port, 'replica'));
      } catch (error) {
        if (error instanceof TestServerError) throw error;
        lastError = error;
      }
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new TestServerError('E_SENTINEL_STATE', `no sentinel answers: ${reason}`, { cause: lastError });
  }

  async failover(): Promise<RedisSentinelNode> {
    const before = await this.waitUntilSettled(
      'failover (before the kill)',
      'E_SENTINEL_STATE',
      (primary) => primary,
    );
    const old = this.serverAt(before.port);
    if (!this.servers.some((server) => server !== old && server.running)) {
      throw new TestServerError(
        'E_SENTINEL_STATE',
        `failover(): no running replica of ${old.url} to promote`,
      );
    }
    await old.kill();
    const successor = await this.waitUntilSettled(`failover of ${old.url}`, 'E_SENTINEL_STATE', (primary) => {
      if (primary.port === old.port) throw new Error('no replica has been promoted yet');
      return primary;
    });
    return this.handle(successor.port, 'primary');
  }

  dispose(): Promise<void> {
    this.disposal ??= Promise.all(
      [...this.sentinelProcesses, ...this.servers].map((process) => process.dispose()),
    ).then(() => undefined);
    return this.disposal;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  /**
   * Polls until the setup is settled: every sentinel reports the same primary, neither down nor failing
   * over, knows the two other sentinels and reaches every other running node as a replica; the primary is
   * a primary and every other running node a synced replica of it. Then `check` must accept the primary.
   *
   * @returns What `check` returned.
   * @throws TestServerError with `code` on timeout, `E_DISPOSED` if disposed meanwhile.
   */
  async waitUntilSettled<T>(
    what: string,
    code: TestServerErrorCode,
    check: (primary: RedisSentinelAddress) => T,
  ): Promise<T> {
    return this.waitFor(what, code, async () => check(await this.settledPrimary()));
  }

  /**
   * Retries `probe` every {@link POLL_INTERVAL_MS} until it resolves.
   *
   * @returns What `probe` resolved with.
   * @throws TestServerError with `code` on timeout, `E_DISPOSED` if disposed meanwhile.
   */
  private async waitFor<T>(what: string, code: TestServerErrorCode, probe: () => Promise<T>): Promise<T> {
    this.assertUsable();
    return waitForState(probe, code, {
      what,
      intervalMs: POLL_INTERVAL_MS,
      timeoutMs: this.timeoutMs,
      abort: () => (this.disposal ? disposedError() : undefined),
    });
  }

  /** One check of {@link waitUntilSettled}: the agreed primary, or an error saying what is missing. */
  private async settledPrimary(): Promise<RedisSentinelAddress> {
    const reports = await Promise.all(
      this.sentinels.map((sentinel) => readSentinelReport(sentinel, this.name)),
    );
    const primary = this.serverAt(checkSentinelReports(reports, this.servers));
    if (!primary.running)
      throw new Error(`the sentinels still report ${primary.port}, which is down, as primary`);
    await checkReplication(
      primary,
      this.servers.filter((server) => server.running && server !== primary),
    );
    return { host: primary.host, port: primary.port };
  }

  private serverAt(port: number): LocalRedisServer {
    this.assertUsable();
    const server = this.servers.find((candidate) => candidate.port === port);
    if (server === undefined) {
      throw new TestServerError('E_SENTINEL_STATE', `no node of this setup listens on port ${port}`);
    }
    return server;
  }

  private handle(port: number, role: RedisSentinelNode['role']): RedisSentinelNode {
    const server = this.serverAt(port);
    return {
      host: server.host,
      port: server.port,
      url: server.url,
      role,
      kill: async () => {
        this.assertUsable();
        await server.kill();
      },
      restart: async () => {
        this.assertUsable();
        await server.restart();
        const primary = await this.waitFor(`restart of ${server.url}`, 'E_SENTINEL_STATE', () =>
          this.primary(),
        );
        if (primary.port !== server.port) {
          // The node would come back as a primary, or replicating whichever primary it was started with.
          await sendRedisCommands(server.host, server.port, [
            ['REPLICAOF', primary.host, String(primary.port)],
          ]);
        }
        await this.waitUntilSettled(`rejoining of ${server.url}`, 'E_START_FAILED', () => undefined);
      },
    };
  }

  private assertUsable(): void {
    if (this.disposal) throw disposedError();
  }
}

function disposedError(): TestServerError {
  return new TestServerError('E_DISPOSED', 'this Redis Sentinel setup has been disposed');
}

/** Throws a RangeError unless `value` is a positive integer. */
function checkPositiveInteger(option: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${option} must be a positive integer, got ${value}`);
  }
}

/**
 * Starts a local Redis Sentinel setup for a test: a primary and two replicas (`--replicaof`), then three
 * sentinels (`redis-server sentinel.conf --sentinel`, quorum 2), all from `PATH`, on free loopback ports,
 * each in a fresh temp dir. Never uses Docker or `REDIS_URL`. Nodes persist nothing (`--save ''`, no AOF).
 *
 * @param options - How fast the primary's death is detected, how long to wait, the monitor name.
 * @returns A setup in which both replicas have synced and every sentinel knows the primary, both
 *   replicas and the two other sentinels, so a failover works at once. Call `dispose()` (or
 *   `await using`) when done.
 * @throws RangeError for a bad option, TestServerError `E_NO_REDIS` when `redis-server` is not in `PATH`,
 *   `E_START_FAILED` when a process or the setup does not come up.
 */
export async function startRedisSentinel(options: StartRedisSentinelOptions = {}): Promise<RedisSentinel> {
  const downAfterMs = options.downAfterMs ?? DEFAULT_DOWN_AFTER_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const name = options.name ?? DEFAULT_NAME;
  checkPositiveInteger('downAfterMs', downAfterMs);
  checkPositiveInteger('timeoutMs', timeoutMs);
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new RangeError(`name must be letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`);
  }
  const binary = await findExecutable('redis-server');
  if (binary === undefined) {
    throw new TestServerError(
      'E_NO_REDIS',
      'No Redis Sentinel available: redis-server not in PATH (sentinels always run local processes, never Docker). ' +
        "Install Debian's redis-server package (`apt-get install -y redis-server`).",
    );
  }
  const tempDirPrefix = 'strata-redis-sentinel-';
  const servers: LocalRedisServer[] = [];
  const sentinels: LocalSentinelProcess[] = [];
  const collect = async <T>(list: T[], starts: Promise<T>[]): Promise<void> => {
    const settled = await Promise.allSettled(starts);
    for (const start of settled) if (start.status === 'fulfilled') list.push(start.value);
    const failed = settled.find((start) => start.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  };
  try {
    await collect(servers, [startRedisProcess({ tempDirPrefix })]);
    const [primary] = servers;
    if (primary === undefined) throw new Error('the primary did not start');
    const replicaOf = { host: primary.host, port: primary.port };
    await collect(
      servers,
      Array.from({ length: REPLICA_COUNT }, () => startRedisProcess({ tempDirPrefix, replicaOf })),
    );
    // The sentinels learn the replicas from the primary's INFO, which they ask for at once and then
    // only every 10 s: start them once the replicas are connected.
    await waitUntilReady(() => checkReplication(primary, servers.slice(1)), {
      what: 'replication to both replicas',
      intervalMs: POLL_INTERVAL_MS,
      timeoutMs,
    });
    const monitor = {
      name,
      primary: replicaOf,
      quorum: QUORUM,
      downAfterMs,
      failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    };
    await collect(
      sentinels,
      Array.from({ length: SENTINEL_COUNT }, () => startSentinelProcess(binary, monitor)),
    );
  } catch (error) {
    await Promise.all([...sentinels, ...servers].map((process) => process.dispose()));
    throw error;
  }
  const setup = new LocalRedisSentinel(name, servers, sentinels, timeoutMs);
  try {
    await setup.waitUntilSettled('Redis Sentinel start', 'E_START_FAILED', () => undefined);
    return setup;
  } catch (error) {
    await setup.dispose();
    throw error;
  }
}
