import { chown } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort } from './free-port.util.js';
import { ManagedProcess } from './managed-process.util.js';
import {
  findPostgresBinaries,
  postgresRunAs,
  type PostgresBinaries,
  type RunAsUser,
} from './postgres-binaries.util.js';
import { createDatabaseOn, pingPostgres } from './postgres-database.util.js';
import type { PostgresServer, PostgresSettings } from './postgres-server.types.js';
import { postgresSettingArgs } from './postgres-settings.util.js';
import { SerialQueue } from './serial-queue.util.js';
import { makeTempDir, removeTempDir } from './temp-dir.util.js';
import { TestServerError } from './test-server.error.js';
import { waitForProcessReady } from './wait-until-ready.util.js';

const HOST = '127.0.0.1';
const USER = 'postgres';
const DATABASE = 'postgres';
const START_TIMEOUT_MS = 30_000;
const PING_INTERVAL_MS = 50;
const STOP_TIMEOUT_MS = 15_000;
/** A free port can be taken by someone else before the server binds it; try a fresh one this many times. */
const PORT_ATTEMPTS = 3;
/** After a SIGKILL, backends of the dead postmaster may hold its shared memory for a moment. */
const RESTART_RETRY_MS = 5_000;
const RESTART_RETRY_PATTERN = /still in use|already in use|already exists/;

const NO_POSTGRES_MESSAGE =
  'No PostgreSQL available: `initdb` and `postgres` are neither in PATH nor in /usr/lib/postgresql/*/bin, ' +
  "and no Docker engine answers. Install Debian's postgresql package (`apt-get install -y postgresql`) " +
  'or run a Docker engine.';

/** A private `postgres` server: its own data dir and socket dir in a temp folder, on a loopback port. */
class LocalPostgresServer implements PostgresServer {
  readonly host = HOST;
  readonly user = USER;
  readonly database = DATABASE;
  readonly external = false;
  readonly url: string;
  private process: ManagedProcess | undefined;
  private disposed = false;
  private readonly queue = new SerialQueue();

  constructor(
    private readonly binaries: PostgresBinaries,
    private readonly dir: string,
    readonly port: number,
    private readonly runAs: RunAsUser | undefined,
    private readonly settingArgs: readonly string[],
  ) {
    this.url = `postgres://${USER}@${HOST}:${port}/${DATABASE}`;
  }

  /**
   * Spawns the postmaster directly (as `postgres` when root) and resolves once it accepts queries.
   *
   * `fsync=off` and `full_page_writes=off` only matter if the *machine* crashes, so they cost
   * nothing in a test. `synchronous_commit=off` is deliberately NOT set: it lets a commit return
   * before its WAL is written, so `kill()` would lose the last ~200 ms of committed rows.
   * The caller's settings come last, so they win; `restart()` passes them again.
   */
  async start(): Promise<void> {
    // prettier-ignore
    const args = [
      '-D', join(this.dir, 'data'),
      '-p', String(this.port),
      '-k', this.dir,
      '-c', `listen_addresses=${HOST}`,
      '-c', 'fsync=off',
      '-c', 'full_page_writes=off',
      ...this.settingArgs,
    ];
    const proc = ManagedProcess.spawn(this.binaries.postgres, args, { cwd: this.dir, ...this.runAs });
    this.process = proc;
    await waitForProcessReady(proc, () => pingPostgres(this.url), {
      what: `postgres on ${HOST}:${this.port}`,
      intervalMs: PING_INTERVAL_MS,
      timeoutMs: START_TIMEOUT_MS,
    });
  }

  /** Whether the last start failed because the port was taken. */
  portWasTaken(): boolean {
    return this.process?.output.text().includes('Address already in use') ?? false;
  }

  stop(): Promise<void> {
    // SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients (a pool) to disconnect.
    return this.queue.run(async () => void (await this.process?.terminate('SIGINT', STOP_TIMEOUT_MS)));
  }

  kill(): Promise<void> {
    return this.queue.run(async () => void (await this.process?.terminate('SIGKILL')));
  }

  restart(): Promise<void> {
    return this.queue.run(async () => {
      this.assertUsable();
      await this.process?.terminate('SIGINT', STOP_TIMEOUT_MS);
      const deadline = Date.now() + RESTART_RETRY_MS;
      for (;;) {
        try {
          await this.start();
          return;
        } catch (error) {
          const output = this.process?.output.text() ?? '';
          if (Date.now() > deadline || !RESTART_RETRY_PATTERN.test(output)) throw error;
          await sleep(100);
        }
      }
    });
  }

  async createDatabase(name?: string): Promise<string> {
    this.assertUsable();
    return (await createDatabaseOn(this.url, name)).url;
  }

  dispose(): Promise<void> {
    return this.queue.run(async () => {
      if (this.disposed) return;
      this.disposed = true;
      await this.process?.terminate('SIGINT', STOP_TIMEOUT_MS);
      await removeTempDir(this.dir);
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  private assertUsable(): void {
    if (this.disposed) throw new TestServerError('E_DISPOSED', 'this PostgreSQL server has been disposed');
  }
}

/** Runs `initdb` into `dir/data` (owned by `runAs` when given). */
async function initDataDir(
  binaries: PostgresBinaries,
  dir: string,
  runAs: RunAsUser | undefined,
): Promise<void> {
  if (runAs !== undefined) await chown(dir, runAs.uid, runAs.gid);
  const args = ['-D', join(dir, 'data'), '-U', USER, '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'];
  const proc = ManagedProcess.spawn(binaries.initdb, args, { cwd: dir, ...runAs });
  const exit = await proc.exited;
  if (exit.code !== 0) throw new TestServerError('E_START_FAILED', `initdb failed: ${proc.describe()}`);
}

/**
 * Starts a private PostgreSQL server from the binaries on this machine: `initdb` into a fresh temp
 * dir, then the postmaster on a free loopback port without fsync (tests need speed, not crash safety
 * of the host; committed rows still survive `kill()`). When running as root, both run as the `postgres` user.
 * `initdb -A trust` also trusts replication connections from loopback (its `pg_hba.conf` has
 * `host replication all 127.0.0.1/32 trust`), so with `wal_level: 'logical'` a test can open one.
 *
 * @param settings - Extra server settings, passed as `-c name=value` on every start.
 * @returns A running server that accepts queries as `postgres` without a password.
 * @throws TestServerError `E_NO_POSTGRES` when the binaries are missing, `E_START_FAILED` when it does not
 *   come up or a setting is malformed or refused by the server.
 */
export async function startPostgresProcess(settings?: PostgresSettings): Promise<PostgresServer> {
  const settingArgs = postgresSettingArgs(settings);
  const binaries = await findPostgresBinaries();
  if (binaries === undefined) throw new TestServerError('E_NO_POSTGRES', NO_POSTGRES_MESSAGE);
  const runAs = await postgresRunAs();
  const dir = await makeTempDir('strata-postgres-');
  try {
    await initDataDir(binaries, dir, runAs);
    for (let attempt = 1; ; attempt++) {
      const server = new LocalPostgresServer(binaries, dir, await findFreePort(HOST), runAs, settingArgs);
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
