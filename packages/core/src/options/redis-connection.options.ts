/** Where a Redis server, Sentinel or Cluster node listens. */
export interface RedisAddress {
  readonly host: string;
  readonly port: number;
}

/** Connection through Redis Sentinel: Strata follows the primary the sentinels name. */
export interface SentinelConnectionOptions {
  /** Some (or all) of the sentinels; ioredis asks them for the current primary. */
  readonly sentinels: readonly RedisAddress[];
  /** The monitored primary's name (`sentinel monitor <name> …`). */
  readonly name: string;
  /** Username for the Redis servers (ACL). */
  readonly username?: string;
  /** Password for the Redis servers. */
  readonly password?: string;
  /** Password for the sentinels, if they require one. */
  readonly sentinelPassword?: string;
  /** Database number. @default 0 */
  readonly db?: number;
}

/** Connection to a Redis Cluster: Strata creates an ioredis `Cluster` from these startup nodes. */
export interface ClusterConnectionOptions {
  /** Some (or all) of the cluster's nodes; the rest are discovered. */
  readonly nodes: readonly RedisAddress[];
  /** Username for every node (ACL). */
  readonly username?: string;
  /** Password for every node. */
  readonly password?: string;
}
