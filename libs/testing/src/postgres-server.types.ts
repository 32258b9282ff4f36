/**
 * Server settings (GUCs) by name, e.g. `{ wal_level: 'logical', max_replication_slots: 10 }`.
 *
 * Names are lowercase (`/^[a-z_][a-z0-9_.]*$/`); values must not contain NUL or line breaks. A number
 * is read in the setting's base unit, as `postgres -c` reads it (`shared_buffers: 128` is 128 × 8 kB).
 */
export type PostgresSettings = Readonly<Record<string, string | number>>;

/** Options for {@link startPostgres}. */
export interface StartPostgresOptions {
  /**
   * Use the server named by `DATABASE_URL` when that variable is set, instead of starting one.
   * `createDatabase()` still isolates tests there; stop, kill and restart are refused.
   */
  readonly allowExternal?: boolean;
  /**
   * Extra server settings, e.g. `{ wal_level: 'logical', max_replication_slots: 10, max_wal_senders: 10 }`
   * for logical replication. A server this test starts gets them as `-c name=value` (after the fixture's
   * own, so they win), on every start including `restart()`. A server from `DATABASE_URL` cannot be
   * reconfigured: its values are checked instead, a string must equal the server's value and a number
   * is a minimum, and `startPostgres` rejects with `E_EXTERNAL_SERVER` naming each setting that falls short.
   * Malformed names or values are refused with `E_START_FAILED` before any server is touched.
   */
  readonly settings?: PostgresSettings;
}

/** A PostgreSQL server for one test file (or suite), with fault injection and per-test databases. */
export interface PostgresServer extends AsyncDisposable {
  /** URL of the server's default database, e.g. `postgres://postgres@127.0.0.1:54329/postgres`. */
  readonly url: string;
  /** Host to connect to. */
  readonly host: string;
  /** TCP port; stays the same across `restart()`. */
  readonly port: number;
  /** Name of the default database. */
  readonly database: string;
  /** Superuser name. */
  readonly user: string;
  /** `true` when this is a server from `DATABASE_URL`, which stop/kill/restart refuse to touch. */
  readonly external: boolean;
  /** Fast shutdown (SIGINT / `docker stop`): open sessions are ended; resolves once the server has exited. */
  stop(): Promise<void>;
  /** Crash: SIGKILL to the postmaster; resolves once it has exited. */
  kill(): Promise<void>;
  /** Starts the server again on the same port with the same data (after crash recovery if killed). */
  restart(): Promise<void>;
  /**
   * Creates an empty database, the unit of isolation between tests.
   *
   * @param name - Database name (letters, digits, `_`); a unique one is generated when omitted.
   * @returns The new database's URL.
   */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server and removes its data; for an external server, drops the databases it created. */
  dispose(): Promise<void>;
}
