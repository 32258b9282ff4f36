/** Options for {@link startRedisCluster}. */
export interface StartRedisClusterOptions {
  /**
   * `cluster-node-timeout`: how long a node may be unreachable before the others flag it as failing,
   * and so roughly how long after a primary dies its replica starts taking over. Default 1000 ms;
   * raise it on a machine so loaded that live nodes get flagged.
   */
  readonly nodeTimeoutMs?: number;
  /**
   * Limit for the cluster to become healthy: at start, after a node's `restart()` and in
   * `failover()`. Default 20 000 ms.
   */
  readonly timeoutMs?: number;
}

/** Where a node of the cluster listens: pass the list to `new Cluster(nodes)` (ioredis). */
export interface RedisClusterAddress {
  /** Host to connect to (`127.0.0.1`). */
  readonly host: string;
  /** TCP port; stays the same across `restart()`. */
  readonly port: number;
}

/**
 * One node of a {@link RedisCluster}, as the cluster described it when the handle was returned.
 * `role` does not change afterwards: ask the cluster again (`primaries()`, `primaryFor()`) after a failover.
 */
export interface RedisClusterNode extends RedisClusterAddress {
  /** Cluster node id (40 hex digits); kept across `restart()`. */
  readonly id: string;
  /** Connection URL of this node alone, e.g. `redis://127.0.0.1:41234`. */
  readonly url: string;
  /** Role when this handle was made. */
  readonly role: 'primary' | 'replica';
  /**
   * Crash: SIGKILL; resolves once the process has exited. No-op if it is not running. A killed
   * primary is failed over by the cluster on its own after about `nodeTimeoutMs` (see
   * {@link RedisCluster.failover} to wait for that).
   */
  kill(): Promise<void>;
  /**
   * Starts the node again on the same port and dir (stopping it gracefully first if it runs); resolves
   * once it has rejoined and the cluster is healthy again. The node keeps its id but not its data (no
   * persistence): a failed-over primary comes back as a replica of its successor and resyncs, while a
   * primary restarted before any failover comes back empty and its replica copies that emptiness.
   */
  restart(): Promise<void>;
  /**
   * Freezes the node (SIGSTOP) for `ms`: its connections stay open, it answers nothing and forwards
   * nothing over the cluster bus until thawed. Keep `ms` well under `nodeTimeoutMs`, or the cluster
   * fails the node over. Killing, restarting or disposing ends the pause early.
   *
   * @returns Resolves once the node has been resumed.
   */
  pause(ms: number): Promise<void>;
}

/**
 * A local Redis Cluster of 3 primaries and 3 replicas (one each) for one test or suite.
 * Always six `redis-server` processes on loopback, never Docker.
 */
export interface RedisCluster extends AsyncDisposable {
  /** Startup nodes for a cluster client, e.g. `new Cluster(cluster.nodes)` (all six, in start order). */
  readonly nodes: readonly RedisClusterAddress[];
  /**
   * The nodes the cluster lists as primaries serving slots, including one that is down but not yet
   * failed over. Asks a running node, since failovers change roles.
   */
  primaries(): Promise<RedisClusterNode[]>;
  /** The nodes the cluster lists as replicas (a failed-over primary only once restarted). Asks a running node. */
  replicas(): Promise<RedisClusterNode[]>;
  /**
   * @param key - Any key.
   * @returns The node currently serving `key`'s hash slot as primary.
   * @throws TestServerError `E_CLUSTER_STATE` when no node serves that slot.
   */
  primaryFor(key: string): Promise<RedisClusterNode>;
  /**
   * Kills a primary (SIGKILL) and waits until one of its replicas has been promoted in its place, every
   * node agrees on that and every slot is served again.
   *
   * @param node - A node that is a primary now (e.g. from `primaryFor()`).
   * @returns The new primary of the killed node's slots.
   * @throws TestServerError `E_CLUSTER_STATE` when `node` is not a primary, or no replica took over in time.
   */
  failover(node: RedisClusterNode): Promise<RedisClusterNode>;
  /** Stops all six processes and removes their temp dirs. Idempotent. */
  dispose(): Promise<void>;
}
