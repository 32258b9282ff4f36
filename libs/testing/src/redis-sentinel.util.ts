import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findFreePort } from './free-port.util.js';
import { ManagedProcess } from './managed-process.util.js';
import { parseInfoFields, sendRedisCommands, textReply } from './redis-command.util.js';
import { pingRedis } from './redis-ping.util.js';
import { makeTempDir, removeTempDir } from './temp-dir.util.js';
import { waitForProcessReady } from './wait-until-ready.util.js';

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;
const PING_INTERVAL_MS = 25;
const STOP_TIMEOUT_MS = 10_000;
/** A free port can be taken by someone else before the sentinel binds it; try a fresh one this many times. */
const PORT_ATTEMPTS = 3;

/** What a sentinel monitors, and how eagerly it fails over. */
export interface SentinelMonitorConfig {
  /** Monitor name. */
  readonly name: string;
  /** The primary at start. */
  readonly primary: { readonly host: string; readonly port: number };
  /** Sentinels that must agree the primary is down. */
  readonly quorum: number;
  /** `sentinel down-after-milliseconds`. */
  readonly downAfterMs: number;
  /** `sentinel failover-timeout`. */
  readonly failoverTimeoutMs: number;
}

/** The config file of one sentinel; the sentinel rewrites it as it learns the topology. */
function sentinelConfig(port: number, dir: string, monitor: SentinelMonitorConfig): string {
  const { name } = monitor;
  return [
    `port ${port}`,
    `bind ${HOST}`,
    `dir ${JSON.stringify(dir)}`,
    'protected-mode no',
    // Addresses are IPs: no DNS lookups, which could stall a sentinel.
    'sentinel resolve-hostnames no',
    `sentinel monitor ${name} ${monitor.primary.host} ${monitor.primary.port} ${monitor.quorum}`,
    `sentinel down-after-milliseconds ${name} ${monitor.downAfterMs}`,
    // Also bounds the election, the promotion and the replicas' reconfiguration, and delays a retry
    // after a split vote to twice this: small, so a failover finishes (or is retried) quickly.
    `sentinel failover-timeout ${name} ${monitor.failoverTimeoutMs}`,
    // Reconfigure all remaining replicas at once.
    `sentinel parallel-syncs ${name} 2`,
    '',
  ].join('\n');
}

/** A `redis-server --sentinel` child process with its config file in its own temp dir. */
export class LocalSentinelProcess {
  /** Host the sentinel listens on. */
  readonly host = HOST;
  private disposal: Promise<void> | undefined;

  /**
   * @param port - Port the sentinel listens on.
   * @param dir - Its temp dir, holding `sentinel.conf`.
   * @param proc - The running process.
   */
  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly proc: ManagedProcess,
  ) {}

  /** Whether the process runs. */
  get running(): boolean {
    return this.proc.running;
  }

  /** Stops the sentinel (SIGTERM, SIGKILL after a grace period) and removes its temp dir. Idempotent. */
  dispose(): Promise<void> {
    this.disposal ??= (async () => {
      await this.proc.terminate('SIGTERM', STOP_TIMEOUT_MS);
      await removeTempDir(this.dir);
    })();
    return this.disposal;
  }
}

/**
 * Starts a sentinel: `redis-server <dir>/sentinel.conf --sentinel` (a sentinel needs its config file
 * as the first argument, and a writable one) on a free loopback port.
 *
 * @param binary - Path of `redis-server`.
 * @param monitor - What to monitor.
 * @returns A running sentinel that answers PING.
 * @throws TestServerError `E_START_FAILED` when it does not come up.
 */
export async function startSentinelProcess(
  binary: string,
  monitor: SentinelMonitorConfig,
): Promise<LocalSentinelProcess> {
  const dir = await makeTempDir('strata-redis-sentinel-');
  const configFile = join(dir, 'sentinel.conf');
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort(HOST);
      await writeFile(configFile, sentinelConfig(port, dir, monitor), { mode: 0o600 });
      const proc = ManagedProcess.spawn(binary, [configFile, '--sentinel'], { cwd: dir });
      try {
        await waitForProcessReady(proc, () => pingRedis(HOST, port), {
          what: `redis sentinel on ${HOST}:${port}`,
          intervalMs: PING_INTERVAL_MS,
          timeoutMs: START_TIMEOUT_MS,
        });
        return new LocalSentinelProcess(port, dir, proc);
      } catch (error) {
        if (attempt >= PORT_ATTEMPTS || !proc.output.text().includes('Address already in use')) throw error;
      }
    }
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
}

/**
 * Reads a reply made of field names and values, as `SENTINEL MASTER` gives.
 *
 * @param reply - The reply.
 * @param what - The command, for the error message.
 * @returns The fields (values that are not strings are left out).
 * @throws Error when the reply is not an array.
 */
function sentinelFields(reply: unknown, what: string): Map<string, string> {
  if (!Array.isArray(reply)) throw new Error(`unexpected reply to ${what}: ${String(reply)}`);
  const items: readonly unknown[] = reply;
  const fields = new Map<string, string>();
  for (let index = 0; index + 1 < items.length; index += 2) {
    const [key, value] = [items[index], items[index + 1]];
    if (typeof key === 'string' && typeof value === 'string') fields.set(key, value);
  }
  return fields;
}

/**
 * Reads a list of field replies, as `SENTINEL REPLICAS` and `SENTINEL SENTINELS` give.
 *
 * @param reply - The reply.
 * @param what - The command, for the error message.
 * @returns One map per listed instance.
 * @throws Error when the reply is not an array of arrays.
 */
function sentinelFieldList(reply: unknown, what: string): Map<string, string>[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected reply to ${what}: ${String(reply)}`);
  const items: readonly unknown[] = reply;
  return items.map((item) => sentinelFields(item, what));
}

/** Where a sentinel or a node listens. */
interface Address {
  readonly host: string;
  readonly port: number;
}

/** An instance (replica or other sentinel) as a sentinel lists it. */
export interface SentinelListedInstance {
  /** Its port. */
  readonly port: number;
  /** Sentinel flags, comma-separated: `slave`, `sentinel`, `s_down`, `disconnected`, ... */
  readonly flags: string;
}

/** What one sentinel reports about the monitored primary, its replicas and the other sentinels. */
export interface SentinelReport {
  /** Port of the node it takes for the primary. */
  readonly primaryPort: number;
  /** Flags of that primary: `master`, `s_down`, `o_down`, `failover_in_progress`, ... */
  readonly primaryFlags: string;
  /** The replicas it knows of. */
  readonly replicas: readonly SentinelListedInstance[];
  /** The other sentinels it knows of. */
  readonly sentinels: readonly SentinelListedInstance[];
}

/** Sentinel flags of an instance the sentinel cannot use. */
export const DOWN_FLAGS: readonly string[] = ['s_down', 'o_down', 'disconnected'];

/**
 * @param flags - A sentinel's comma-separated `flags` field.
 * @param names - Flags to look for.
 * @returns Whether `flags` holds one of `names`.
 */
export function flagged(flags: string, names: readonly string[]): boolean {
  return flags.split(',').some((flag) => names.includes(flag));
}

function listedInstance(fields: Map<string, string>): SentinelListedInstance {
  return { port: Number(fields.get('port')), flags: fields.get('flags') ?? '' };
}

/**
 * Asks one sentinel `SENTINEL REPLICAS`.
 *
 * @param sentinel - The sentinel.
 * @param name - Monitor name.
 * @returns The replicas it lists.
 * @throws Error when it is unreachable or does not monitor `name`.
 */
export async function readSentinelReplicas(
  sentinel: Address,
  name: string,
): Promise<SentinelListedInstance[]> {
  const [reply] = await sendRedisCommands(sentinel.host, sentinel.port, [['SENTINEL', 'REPLICAS', name]]);
  return sentinelFieldList(reply, 'SENTINEL REPLICAS').map(listedInstance);
}

/**
 * Asks one sentinel what it knows (`SENTINEL MASTER`, `REPLICAS`, `SENTINELS`).
 *
 * @param sentinel - The sentinel.
 * @param name - Monitor name.
 * @returns Its report.
 * @throws Error when it is unreachable or does not monitor `name`.
 */
export async function readSentinelReport(sentinel: Address, name: string): Promise<SentinelReport> {
  const [primary, replicas, sentinels] = await sendRedisCommands(sentinel.host, sentinel.port, [
    ['SENTINEL', 'MASTER', name],
    ['SENTINEL', 'REPLICAS', name],
    ['SENTINEL', 'SENTINELS', name],
  ]);
  const fields = sentinelFields(primary, 'SENTINEL MASTER');
  return {
    primaryPort: Number(fields.get('port')),
    primaryFlags: fields.get('flags') ?? '',
    replicas: sentinelFieldList(replicas, 'SENTINEL REPLICAS').map(listedInstance),
    sentinels: sentinelFieldList(sentinels, 'SENTINEL SENTINELS').map(listedInstance),
  };
}

/**
 * Checks that the sentinels are settled: all report the same primary, neither down nor failing over
 * (`disconnected` is tolerated: a sentinel reconnects to a new primary within a second), each knows
 * the other sentinels (a stale `master_down` from the last failover is tolerated) and reaches every
 * other running node as a replica.
 *
 * @param reports - One report per sentinel.
 * @param nodes - All data nodes.
 * @returns The port of the primary they agree on.
 * @throws Error saying what is missing.
 */
export function checkSentinelReports(
  reports: readonly SentinelReport[],
  nodes: readonly { readonly port: number; readonly running: boolean }[],
): number {
  const primaryPort = reports[0]?.primaryPort;
  if (primaryPort === undefined) throw new Error('no sentinel');
  const others = nodes.filter((node) => node.running && node.port !== primaryPort);
  for (const report of reports) {
    if (report.primaryPort !== primaryPort) throw new Error('the sentinels disagree on the primary');
    if (flagged(report.primaryFlags, ['s_down', 'o_down', 'failover_in_progress'])) {
      throw new Error(`a sentinel flags the primary ${report.primaryFlags}`);
    }
    const sentinelsUp = report.sentinels.filter((sentinel) => !flagged(sentinel.flags, ['s_down']));
    if (sentinelsUp.length !== reports.length - 1) {
      throw new Error('the sentinels do not all know each other yet');
    }
    for (const node of others) {
      const entry = report.replicas.find((replica) => replica.port === node.port);
      if (entry === undefined || flagged(entry.flags, DOWN_FLAGS)) {
        throw new Error(`a sentinel does not see ${node.port} as a reachable replica yet`);
      }
    }
  }
  return primaryPort;
}

async function replicationInfo(node: Address): Promise<Map<string, string>> {
  const [info] = await sendRedisCommands(node.host, node.port, [['INFO', 'replication']]);
  return parseInfoFields(textReply(info, 'INFO replication'));
}

/**
 * Checks, by asking the nodes themselves, that `primary` is a primary and every node of `replicas` a
 * synced replica of it.
 *
 * @param primary - The node that should be primary.
 * @param replicas - The nodes that should replicate it.
 * @throws Error saying what is missing.
 */
export async function checkReplication(primary: Address, replicas: readonly Address[]): Promise<void> {
  const role = (await replicationInfo(primary)).get('role');
  if (role !== 'master') throw new Error(`${primary.port} is not a primary yet (role ${String(role)})`);
  for (const replica of replicas) {
    const info = await replicationInfo(replica);
    if (info.get('role') !== 'slave' || info.get('master_port') !== String(primary.port)) {
      throw new Error(`${replica.port} does not replicate ${primary.port} yet`);
    }
    if (info.get('master_link_status') !== 'up') throw new Error(`${replica.port} has not synced yet`);
  }
}
