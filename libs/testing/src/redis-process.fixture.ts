import { findExecutable } from './find-executable.util.js';
import { findFreePort } from './free-port.util.js';
import { ManagedProcess } from './managed-process.util.js';
import { PauseController } from './pause-controller.util.js';
import { pingRedis } from './redis-ping.util.js';
import type { RedisServer, StartRedisOptions } from './redis-server.types.js';
import { SerialQueue } from './serial-queue.util.js';
import { makeTempDir, removeTempDir } from './temp-dir.util.js';
import { TestServerError } from './test-server.error.js';
import { waitForProcessReady } from './wait-until-ready.util.js';

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;
const PING_INTERVAL_MS = 25;
const STOP_TIMEOUT_MS = 10_000;
/** A free port can be taken by someone else before redis binds it; try a fresh one this many times. */
const PORT_ATTEMPTS = 3;

const NO_REDIS_MESSAGE =
  'No Redis available: `redis-server` is not in PATH and no Docker engine answers. ' +
  "Install Debian's redis-server package (`apt-get install -y redis-server`) or run a Docker engine.";

/**
 * Internal options of {@link startRedisProcess}, for fixtures built on it (such as the cluster);
 * not part of the package's API.
 */
export interface RedisProcessOptions extends StartRedisOptions {
  /**
   * More `redis-server` arguments, appended to the usual ones. Called once per start attempt (so it can
   * pick fresh ports, e.g. a cluster bus port), and the result is kept across `restart()`.
   */
  readonly extraArgs?: () => Promise<readonly string[]>;
  /** Name prefix of the temp dir (default `strata-redis-`). */
  readonly tempDirPrefix?: string;
}

/** A `redis-server` child process in its own temp dir, on a loopback port chosen at start. */
export class LocalRedisServer implements RedisServer {
  readonly host = HOST;
  readonly external = false;
  readonly url: string;
  private process: ManagedProcess | undefined;
  private disposed = false;
  private readonly queue = new SerialQueue();
  // `async` without `await`: the signal must go out synchronously (see `PauseController.pause`), and a
  // failure to send it must reach the controller as a rejection, not a throw.
  private readonly pauser = new PauseController(
    // eslint-disable-next-line @typescript-eslint/require-await
    async () => void this.process?.signal('SIGSTOP'),
    // eslint-disable-next-line @typescript-eslint/require-await
    async () => void this.process?.signal('SIGCONT'),
  );

  constructor(
    private readonly binary: string,
    private readonly dir: string,
    readonly port: number,
    private readonly appendOnly: boolean,
    private readonly replicaOf: { readonly host: string; readonly port: number } | undefined,
    private readonly extraArgs: readonly string[] = [],
  ) {
    this.url = `redis://${HOST}:${port}`;
  }

  /** Spawns the server and resolves once it answers PING; on failure the process is killed. */
  async start(): Promise<void> {
    // prettier-ignore
    const args = [
      '--port', String(this.port),
      '--bind', HOST,
      '--save', '',
      '--appendonly', this.appendOnly ? 'yes' : 'no',
      '--appendfsync', 'always',
      '--dir', this.dir,
      '--daemonize', 'no',
      '--protected-mode', 'no',
      // A replica syncs at once (the default waits 5 s for more replicas to share the transfer).
      '--repl-diskless-sync-delay', '0',
      ...(this.replicaOf ? ['--replicaof', this.replicaOf.host, String(this.replicaOf.port)] : []),
      ...this.extraArgs,
    ];
    const proc = ManagedProcess.spawn(this.binary, args, { cwd: this.dir });
    this.process = proc;
    await waitForProcessReady(proc, () => pingRedis(HOST, this.port), {
      what: `redis-server on ${HOST}:${this.port}`,
      intervalMs: PING_INTERVAL_MS,
      timeoutMs: START_TIMEOUT_MS,
    });
  }

  /** Whether the server process runs (it may be paused); `false` after stop, kill or a failed start. */
  get running(): boolean {
    return this.process?.running ?? false;
  }

  /** Whether the last start failed because the port was taken. */
  portWasTaken(): boolean {
    return this.process?.output.text().includes('Address already in use') ?? false;
  }

  stop(): Promise<void> {
    return this.queue.run(async () => {
      await this.pauser.resumeNow();
      await this.process?.terminate('SIGTERM', STOP_TIMEOUT_MS);
    });
  }

  kill(): Promise<void> {
    return this.queue.run(async () => {
      await this.process?.terminate('SIGKILL');
      await this.pauser.resumeNow();
    });
  }

  restart(): Promise<void> {
    return this.queue.run(async () => {
      this.assertUsable();
      await this.pauser.resumeNow();
      await this.process?.terminate('SIGTERM', STOP_TIMEOUT_MS);
      await this.start();
    });
  }

  async pause(ms: number): Promise<void> {
    this.assertUsable();
    if (this.process?.running !== true)
      throw new TestServerError('E_NOT_RUNNING', 'cannot pause a stopped server');
    return this.pauser.pause(ms);
  }

  dispose(): Promise<void> {
    return this.queue.run(async () => {
      if (this.disposed) return;
      this.disposed = true;
      await this.pauser.resumeNow();
      await this.process?.terminate('SIGTERM', STOP_TIMEOUT_MS);
      await removeTempDir(this.dir);
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  private assertUsable(): void {
    if (this.disposed) throw new TestServerError('E_DISPOSED', 'this Redis server has been disposed');
  }
}

/**
 * Starts `redis-server` from `PATH` on a free loopback port, with its data in a fresh temp dir.
 *
 * @param options - Whether to persist writes to an append-only file, what to replicate, and (internal) extra arguments.
 * @returns A running server that answers PING.
 * @throws TestServerError `E_NO_REDIS` when the binary is missing, `E_START_FAILED` when it does not come up.
 */
export async function startRedisProcess(options: RedisProcessOptions = {}): Promise<LocalRedisServer> {
  const binary = await findExecutable('redis-server');
  if (binary === undefined) throw new TestServerError('E_NO_REDIS', NO_REDIS_MESSAGE);
  const dir = await makeTempDir(options.tempDirPrefix ?? 'strata-redis-');
  try {
    for (let attempt = 1; ; attempt++) {
      const server = new LocalRedisServer(
        binary,
        dir,
        await findFreePort(HOST),
        options.appendOnly ?? false,
        options.replicaOf,
        (await options.extraArgs?.()) ?? [],
      );
      try {
        await server.start();
        return server;
      } catch (error) {
        if (attempt >= PORT_ATTEMPTS || !server.portWasTaken()) throw error;
      }
    }
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
}
