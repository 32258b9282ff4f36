/** Options for {@link startRedisSentinel}. */
export interface StartRedisSentinelOptions {
  /**
   * `sentinel down-after-milliseconds`: how long the primary may be unreachable before a sentinel
   * flags it as down, and so roughly how long after the primary dies a failover starts. Default 1000 ms;
   * raise it on a machine so loaded that live nodes get flagged.
   */
  readonly downAfterMs?: number;
  /**
   * Limit for the setup to become healthy: at start, after a node's `restart()` and in `failover()`.
   * Default 20 000 ms.
   */
  readonly timeoutMs?: number;
  /** Name under which the sentinels monitor the primary (`sentinel monitor <name> ...`). Default `strata`. */
  readonly name?: string;
}

/** Where a sentinel or a data node listens. */
export interface RedisSentinelAddress {
  /** Host to connect to (`127.0.0.1`). */
  readonly host: string;
  /** TCP port; stays the same across `restart()`. */
  readonly port: number;
}

/**
 * One data node (primary or replica) of a {@link RedisSentinel}, as the sentinels described it when the
 * handle was returned. `role` does not change afterwards: ask again (`primary()`, `replicas()`) after a failover.
 */
export interface RedisSentinelNode extends RedisSentinelAddress {
  /** Connection URL of this node alone, e.g. `redis://127.0.0.1:41234`. */
  readonly url: string;
  /** Role when this handle was made. */
  readonly role: 'primary' | 'replica';
  /**
   * Crash: SIGKILL; resolves once the process has exited. No-op if it is not running. A killed primary
   * is failed over by the sentinels on their own after about `downAfterMs` (see
   * {@link RedisSentinel.failover} to wait for that).
   */
  kill(): Promise<void>;
  /**
   * Starts the node again on the same port and dir (stopping it gracefully first if it runs), makes it a
   * replica of the current primary unless it is that primary, and resolves once it has synced and the
   * sentinels see it again. Nodes persist nothing: a failed-over primary comes back as a replica and
   * resyncs, while a primary restarted before any failover comes back empty and its replicas copy that.
   */
  restart(): Promise<void>;
}

/**
 * A local Redis Sentinel setup for one test or suite: one primary, two replicas and three sentinels
 * (quorum 2). Always six `redis-server` processes on loopback (the sentinels run with `--sentinel`),
 * never Docker.
 */
export interface RedisSentinel extends AsyncDisposable {
  /** Monitor name, for a sentinel client: `new Redis({ sentinels: sentinel.sentinels, name: sentinel.name })`. */
  readonly name: string;
  /** The three sentinels, in start order. */
  readonly sentinels: readonly RedisSentinelAddress[];
  /**
   * Asks the sentinels which node is the primary now.
   *
   * @returns The node a majority of the sentinels reports as primary.
   * @throws TestServerError `E_SENTINEL_STATE` when no majority agrees (e.g. during a failover).
   */
  primary(): Promise<RedisSentinelNode>;
  /**
   * Asks a sentinel which nodes replicate the current primary. Nodes it flags as down or cannot reach
   * (a killed replica, a failed-over primary not restarted yet) are left out.
   */
  replicas(): Promise<RedisSentinelNode[]>;
  /**
   * Kills the current primary (SIGKILL) and waits until the sentinels have promoted a replica: all
   * three report it as primary, it accepts writes and every other running node replicates it. Waits
   * first for the setup to settle (e.g. for a failover that a `kill()` started to finish).
   *
   * @returns The new primary.
   * @throws TestServerError `E_SENTINEL_STATE` when there is no running replica to promote, or the
   *   failover does not finish within `timeoutMs`.
   */
  failover(): Promise<RedisSentinelNode>;
  /** Stops all six processes and removes their temp dirs. Idempotent. */
  dispose(): Promise<void>;
}
