/**
 * One timed load run against a server in another process: autocannon (in this process, the
 * parent's event loop) keeps `connections` keep-alive connections busy, one request in flight
 * each, for `seconds`.
 */
import autocannon from 'autocannon';
import { percentile } from '../stats.js';

/** What one run measured. */
export interface LoadRun {
  /** Completed responses per second. */
  readonly rps: number;
  readonly requests: number;
  /**
   * 99th percentile of the response latency, ms, from every response's own time (autocannon's
   * `response` event, measured with `process.hrtime`): its histogram keeps whole milliseconds,
   * too coarse for a p99 of a few ms (3 against 4 ms would read as 1.33×).
   */
  readonly p99Ms: number;
  /** CPU time this process (the load generator) used, as a fraction of one core. */
  readonly generatorCpu: number;
}

/**
 * Runs the load, every request with `headers`; throws if any request failed, timed out or got a
 * non-2xx status.
 */
export async function runLoad(
  url: string,
  connections: number,
  seconds: number,
  headers: Readonly<Record<string, string>> = {},
): Promise<LoadRun> {
  const cpuBefore = process.cpuUsage();
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url, connections, pipelining: 1, duration: seconds, headers: { ...headers } },
      (error: unknown, done: autocannon.Result) => (error ? reject(toError(error)) : resolve(done)),
    );
    instance.on('response', (_client, _status, _bytes, ms) => {
      times.push(ms);
    });
  });
  const cpu = process.cpuUsage(cpuBefore);
  const wallSeconds = (result.finish.getTime() - result.start.getTime()) / 1000;
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(
      `${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx of ${result.requests.total} requests`,
    );
  }
  return {
    rps: result.requests.total / wallSeconds,
    requests: result.requests.total,
    p99Ms: percentile(times, 99),
    generatorCpu: (cpu.user + cpu.system) / 1e6 / wallSeconds,
  };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
