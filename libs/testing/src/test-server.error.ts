/**
 * Machine-readable reasons for a {@link TestServerError}.
 *
 * - `E_NO_REDIS` / `E_NO_POSTGRES`: no Docker engine and no server binary on this machine (for a Redis
 *   Cluster or Sentinel setup, which never use Docker: `redis-server`, or for a cluster `redis-cli`, missing
 *   from `PATH`).
 * - `E_EXTERNAL_SERVER`: fault injection (stop, kill, restart, pause) was asked of a server this test did not
 *   start, or that server lacks settings the test asked for (which only a server it starts can be given).
 * - `E_START_FAILED`: the server process exited, or never answered, while starting; or a setting asked for
 *   is malformed.
 * - `E_NOT_RUNNING`: `pause()` was called while the server is stopped.
 * - `E_DISPOSED`: the handle was used after `dispose()`.
 * - `E_CLUSTER_STATE`: a Redis Cluster is not in the state an operation needs, or did not reach it in time
 *   (e.g. `failover()` of a node that is not a primary, or no replica was promoted).
 * - `E_SENTINEL_STATE`: a Redis Sentinel setup is not in the state an operation needs, or did not reach it
 *   in time (e.g. the sentinels disagree on the primary, no replica is left to promote, or no replica was
 *   promoted).
 */
export type TestServerErrorCode =
  | 'E_NO_REDIS'
  | 'E_NO_POSTGRES'
  | 'E_EXTERNAL_SERVER'
  | 'E_START_FAILED'
  | 'E_NOT_RUNNING'
  | 'E_DISPOSED'
  | 'E_CLUSTER_STATE'
  | 'E_SENTINEL_STATE';

/** Error raised by the test-server fixtures; `code` tells the cases apart without parsing the message. */
export class TestServerError extends Error {
  /** Why the fixture failed. */
  readonly code: TestServerErrorCode;

  /**
   * @param code - Machine-readable reason.
   * @param message - Human-readable explanation, including what to install or change.
   * @param options - Standard error options (`cause`).
   */
  constructor(code: TestServerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TestServerError';
    this.code = code;
  }
}

/** Message used whenever fault injection is attempted on a server supplied through the environment. */
export const EXTERNAL_SERVER_MESSAGE =
  'fault injection needs a server this test started: do not pass allowExternal to tests that stop, kill, restart or pause';
