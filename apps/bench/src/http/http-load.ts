/**
 * One timed load run against a server in another process: autocannon (in this process, the
 * parent's event loop) keeps `connections` keep-alive connections busy, one request in flight
 * each, for `seconds`.
 */
import autocannon from 'autocannon';

/** What one run measured. */
export interface LoadRun {
  /** Completed responses per second. */
  readonly rps: number;
  readonly requests: number;
  /** 99th percentile of the response latency, ms (autocannon's histogram: whole milliseconds). */
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
  const result = await autocannon({
    url,
    connections,
    pipelining: 1,
    duration: seconds,
    headers: { ...headers },
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
    p99Ms: result.latency.p99,
    generatorCpu: (cpu.user + cpu.system) / 1e6 / wallSeconds,
  };
}
