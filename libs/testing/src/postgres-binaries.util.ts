import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { findExecutable, findExecutableIn, listVersionDirs } from './find-executable.util.js';
import { TestServerError } from './test-server.error.js';

const execFileAsync = promisify(execFile);

/** Where Debian installs the server binaries, one folder per major version. */
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';

/** Absolute paths of the PostgreSQL programs a private server needs. */
export interface PostgresBinaries {
  /** Creates a data directory. */
  readonly initdb: string;
  /** The server (postmaster). */
  readonly postgres: string;
}

/** A user to run `initdb` and the server as, since both refuse to run as root. */
export interface RunAsUser {
  /** User id. */
  readonly uid: number;
  /** Primary group id. */
  readonly gid: number;
}

/**
 * Finds `initdb` and `postgres`, in `PATH` first, then in `/usr/lib/postgresql/<newest>/bin`.
 * `postgres` is taken from the same folder as `initdb` when possible, so versions match.
 *
 * @returns The binaries, or `undefined` when either is missing.
 */
export async function findPostgresBinaries(): Promise<PostgresBinaries | undefined> {
  const debianDirs = (await listVersionDirs(DEBIAN_POSTGRES_ROOT)).map((dir) => join(dir, 'bin'));
  const initdbPath = await findExecutable('initdb', debianDirs);
  if (initdbPath === undefined) return undefined;
  const initdb = await realpath(initdbPath);
  const postgres =
    (await findExecutableIn('postgres', [dirname(initdb)])) ?? (await findExecutable('postgres', debianDirs));
  if (postgres === undefined) return undefined;
  return { initdb, postgres: await realpath(postgres) };
}

async function idOf(flag: '-u' | '-g', user: string): Promise<number> {
  const { stdout } = await execFileAsync('id', [flag, user]);
  const id = Number(stdout.trim());
  if (!Number.isInteger(id)) throw new Error(`unexpected output of id ${flag} ${user}: ${stdout}`);
  return id;
}

/**
 * Decides which user runs the server: the current one, or `postgres` when running as root
 * (as CI jobs and containers usually do).
 *
 * @returns `undefined` to run as the current user, else the ids of `postgres`.
 * @throws TestServerError `E_NO_POSTGRES` when running as root and no `postgres` user exists.
 */
export async function postgresRunAs(): Promise<RunAsUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    return { uid: await idOf('-u', 'postgres'), gid: await idOf('-g', 'postgres') };
  } catch (error) {
    throw new TestServerError(
      'E_NO_POSTGRES',
      "PostgreSQL refuses to run as root and there is no `postgres` user to run it as: install Debian's " +
        '`postgresql` package (it creates the user) or run the tests as a regular user.',
      { cause: error },
    );
  }
}
