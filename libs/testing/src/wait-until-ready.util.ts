import { setTimeout as sleep } from 'node:timers/promises';
import type { ManagedProcess } from './managed-process.util.js';
import { TestServerError, type TestServerErrorCode } from './test-server.error.js';

/** Options for {@link waitUntilReady}. */
export interface WaitUntilReadyOptions {
  /** What is being waited for, for the error message (e.g. "redis-server on 127.0.0.1:6380"). */
  readonly what: string;
  /** Pause between attempts. */
  readonly intervalMs: number;
  /** Give up after this long. */
  readonly timeoutMs: number;
  /**
   * Checked after each failed attempt; returning an error stops waiting at once (e.g. the server process
   * has exited, so it will never answer).
   */
  readonly abort?: () => Error | undefined;
}

/**
 * Retries `probe` until it resolves, the deadline passes or `abort` reports a failure.
 *
 * @param probe - One readiness check (connect and ping); must time out on its own.
 * @param options - Timing and failure detection.
 * @throws TestServerError `E_START_FAILED` on timeout or abort, with the last probe error as cause.
 */
export async function waitUntilReady(
  probe: () => Promise<void>,
  options: WaitUntilReadyOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
    }
    const aborted = options.abort?.();
    if (aborted !== undefined) throw aborted;
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      throw new TestServerError(
        'E_START_FAILED',
        `${options.what} did not answer within ${options.timeoutMs} ms (last error: ${reason})`,
        { cause: lastError },
      );
    }
    await sleep(options.intervalMs);
  }
}

/**
 * {@link waitUntilReady} for a state of several servers (a cluster or a Sentinel setup): retries
 * `probe` until it returns a value, and reports a timeout with the caller's error code.
 *
 * @param probe - One check: the value once the state is reached, else throws what is missing.
 * @param code - The code of the timeout error (e.g. `E_CLUSTER_STATE`).
 * @param options - Timing and abort (e.g. disposal of the setup).
 * @returns What `probe` returned.
 * @throws TestServerError `code` on timeout; what `abort` returns when it stops the wait.
 */
export async function waitForState<T>(
  probe: () => Promise<T>,
  code: TestServerErrorCode,
  options: WaitUntilReadyOptions,
): Promise<T> {
  let result: { readonly value: T } | undefined;
  try {
    await waitUntilReady(async () => void (result = { value: await probe() }), options);
  } catch (error) {
    if (!(error instanceof TestServerError) || error.code !== 'E_START_FAILED') throw error;
    const reason = error.cause instanceof Error ? error.cause.message : String(error.cause);
    throw new TestServerError(
      code,
      `${options.what} did not finish within ${options.timeoutMs} ms: ${reason}`,
      {
        cause: error.cause,
      },
    );
  }
  if (result === undefined) throw new Error(`${options.what}: no result`);
  return result.value;
}

/** Internal signal: the server process exited while we waited for it. */
class ProcessExitedError extends Error {}

/**
 * {@link waitUntilReady} for a server this test spawned: stops waiting as soon as the process exits,
 * SIGKILLs it if it never answers, and quotes its last output lines in the error.
 *
 * @param proc - The spawned server.
 * @param probe - One readiness check.
 * @param options - Timing; `abort` is supplied here.
 * @throws TestServerError `E_START_FAILED`.
 */
export async function waitForProcessReady(
  proc: ManagedProcess,
  probe: () => Promise<void>,
  options: Omit<WaitUntilReadyOptions, 'abort'>,
): Promise<void> {
  try {
    await waitUntilReady(probe, {
      ...options,
      abort: () => (proc.running ? undefined : new ProcessExitedError()),
    });
  } catch (error) {
    await proc.terminate('SIGKILL');
    const reason =
      error instanceof ProcessExitedError
        ? `${options.what} failed to start`
        : error instanceof Error
          ? error.message
          : String(error);
    throw new TestServerError('E_START_FAILED', `${reason}: ${proc.describe()}`, { cause: error });
  }
}
