import type { LoadRequest, Workload } from './workload.js';

/** What one run measured, client side. */
export interface RunResult {
  readonly requests: number;
  readonly seconds: number;
  /** Latencies in ms, sorted. */
  readonly latencies: Float64Array;
  /** `X-Cache` values of the GET answers (`none`: no header, as with caching off). */
  readonly xCache: Record<string, number>;
  /** Answers by status code. */
  readonly statuses: Record<number, number>;
}

/**
 * Sends `requests` requests from `concurrency` concurrent loops (each waits for its answer before
 * the next: a closed loop, so the shop is never sent more than it can take) and times each one.
 */
export async function runLoad(
  baseUrl: string,
  workload: Workload,
  requests: number,
  concurrency: number,
): Promise<RunResult> {
  const latencies = new Float64Array(requests);
  const xCache: Record<string, number> = {};
  const statuses: Record<number, number> = {};
  let sent = 0;
  const started = performance.now();
  const loop = async (): Promise<void> => {
    while (sent < requests) {
      const index = sent++;
      const request = workload.next();
      const t0 = performance.now();
      const response = await send(baseUrl, request);
      await response.arrayBuffer();
      latencies[index] = performance.now() - t0;
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      if (request.method === 'GET') {
        const header = response.headers.get('x-cache') ?? 'none';
        xCache[header] = (xCache[header] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = (performance.now() - started) / 1000;
  return { requests, seconds, latencies: latencies.sort(), xCache, statuses };
}

function send(baseUrl: string, request: LoadRequest): Promise<Response> {
  const headers: Record<string, string> = {};
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(baseUrl + request.path, {
    method: request.method,
    headers,
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
  });
}

/** The value below which `q` of the sorted values lie. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}
