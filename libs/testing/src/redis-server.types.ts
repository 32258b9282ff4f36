/** Options for {@link startRedis}. */
export interface StartRedisOptions {
  /**
   * Persist every write to an append-only file (`appendfsync always`) in the server's own temp dir,
   * so data written before `stop()` or `kill()` is still there after `restart()`. Default `false`:
   * a restarted server is empty.
   */
  readonly appendOnly?: boolean;
  /**
   * Use the server named by `REDIS_URL` when that variable is set, instead of starting one.
   * Such a handle cannot inject faults; tests that stop, kill, restart or pause must not pass this.
   */
  readonly allowExternal?: boolean;
  /**
   * Start a replica of this server (`--replicaof`). A replica is always a local `redis-server`
   * process (it must reach the primary on loopback), even where a Docker engine answers. Its
   * `kill()` and `restart()` let a test take replication away and give it back.
   */
  readonly replicaOf?: { readonly host: string; readonly port: number };
}

/** A Redis server for one test (or suite), with fault injection. */
export interface RedisServer extends AsyncDisposable {
  /** Connection URL, e.g. `redis://127.0.0.1:6380`. */
  readonly url: string;
  /** Host to connect to. */
  readonly host: string;
  /** TCP port; stays the same across `restart()`. */
  readonly port: number;
  /** `true` when this is a server from `REDIS_URL`, which the fault-injection methods refuse to touch. */
  readonly external: boolean;
  /** Graceful shutdown (SIGTERM / `docker stop`); resolves once the server has exited. No-op if stopped. */
  stop(): Promise<void>;
  /** Crash: SIGKILL; resolves once the server has exited. No-op if stopped. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (stopping it gracefully first if it runs); resolves once it answers PING. */
  restart(): Promise<void>;
  /**
   * Freezes the server (SIGSTOP / `docker pause`) for `ms`: connections stay open but nothing is answered.
   * Stopping, killing or disposing ends the pause early.
   *
   * @param ms - Duration of the freeze.
   * @returns Resolves once the server has been resumed.
   */
  pause(ms: number): Promise<void>;
  /** Stops the server and removes its temp dir or container. Idempotent; a no-op for external servers. */
  dispose(): Promise<void>;
}
