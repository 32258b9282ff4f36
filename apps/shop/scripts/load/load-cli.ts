/**
 * The load script's command line and runs: against a running shop (`--url`), or against shops it
 * starts itself, cache on then off.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { shopPackageRoot } from '../../src/db/package-root.js';
import { percentile, runLoad, type RunResult } from './runner.js';
import { startShopProcess } from './shop-process.js';
import { Workload } from './workload.js';

interface ServerStats {
  readonly total: { hits: { l1: number; l2: number }; misses: number; hitRate: number | null };
  readonly database: { queries: number };
}

/** One measured run: the client's view and the shop's own counters. */
export interface ModeResult {
  readonly mode: string;
  readonly run: RunResult;
  readonly stats: ServerStats;
}

const ADMIN = { authorization: 'Bearer admin-token' };
/** The load script's options, parsed. */
export interface LoadArgs {
  readonly url: string | undefined;
  readonly requests: number;
  readonly warmup: number;
  readonly concurrency: number;
  readonly postgres: boolean;
  readonly redis: boolean;
}

/**
 * Parses the command line. A leading `--` is dropped: `pnpm --filter @strata/shop load -- --url …`
 * passes it through to the script, and `parseArgs` would read it as the end of the options.
 */
export function parseLoadArgs(argv: readonly string[]): LoadArgs {
  const { values } = parseArgs({
    args: argv[0] === '--' ? argv.slice(1) : [...argv],
    options: {
      url: { type: 'string' },
      requests: { type: 'string', default: '30000' },
      warmup: { type: 'string', default: '50000' },
      concurrency: { type: 'string', default: '16' },
      postgres: { type: 'boolean', default: false },
      redis: { type: 'boolean', default: false },
    },
  });
  const count = (name: 'requests' | 'warmup' | 'concurrency', min: number): number => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min) {
      throw new Error(`--${name} must be an integer of at least ${min}, got ${JSON.stringify(values[name])}`);
    }
    return value;
  };
  return {
    url: values.url,
    requests: count('requests', 1),
    warmup: count('warmup', 0),
    concurrency: count('concurrency', 1),
    postgres: values.postgres,
    redis: values.redis,
  };
}

/**
 * Warms the caches with `warmupRequests` requests (not measured: a cold cache over 10,000 Zipf
 * products spends thousands of requests on first reads), then measures `requests` requests.
 */
async function measure(
  args: LoadArgs,
  mode: string,
  url: string,
  warmupRequests: number,
): Promise<ModeResult> {
  const { requests, concurrency } = args;
  const first = (await (await fetch(`${url}/products?pageSize=1`)).json()) as { total: number };
  const products = first.total;
  console.log(`${mode}: ${products} products, ${warmupRequests} warm-up requests, then ${requests} measured`);
  if (warmupRequests > 0) await runLoad(url, new Workload(products, 1), warmupRequests, concurrency);
  await fetch(`${url}/admin/cache/stats/reset`, { method: 'POST', headers: ADMIN });
  const run = await runLoad(url, new Workload(products, 2), requests, concurrency);
  const stats = (await (await fetch(`${url}/admin/cache/stats`, { headers: ADMIN })).json()) as ServerStats;
  return { mode, run, stats };
}

/** Prints one row per run and, with a cache-off baseline, the database queries saved. */
function report(results: readonly ModeResult[]): void {
  const rows = results.map(({ mode, run, stats }) => {
    const gets = Object.values(run.xCache).reduce((a, b) => a + b, 0);
    const httpHits = (run.xCache.HIT ?? 0) + (run.xCache.STALE ?? 0);
    return {
      mode,
      // Page TTLs run on the wall clock: a slower run expires more pages, so a hit rate means
      // something only beside the throughput and the time it took.
      'req/s': Math.round(run.requests / run.seconds),
      'elapsed s': run.seconds.toFixed(1),
      'p50 ms': percentile(run.latencies, 0.5).toFixed(2),
      'p99 ms': percentile(run.latencies, 0.99).toFixed(2),
      'HTTP hit rate':
        gets > 0 && run.xCache.none !== gets ? `${((100 * httpHits) / gets).toFixed(1)} %` : '-',
      'stack hit rate': stats.total.hitRate === null ? '-' : `${(100 * stats.total.hitRate).toFixed(1)} %`,
      'db queries': stats.database.queries,
      'db queries/request': (stats.database.queries / run.requests).toFixed(3),
      statuses: Object.entries(run.statuses)
        .map(([code, n]) => `${code}:${n}`)
        .join(' '),
    };
  });
  console.table(rows);
  const on = results.find((r) => r.mode.startsWith('cache on'));
  const off = results.find((r) => r.mode.startsWith('cache off'));
  if (on && off && off.stats.database.queries > 0) {
    const saved = 1 - on.stats.database.queries / off.stats.database.queries;
    console.log(`Database queries saved by caching: ${(100 * saved).toFixed(1)} %`);
  }
}

/**
 * Runs the load script with the command line `argv` (without `node` and the script), prints the
 * table and returns what each run measured.
 */
export async function runLoadCli(argv: readonly string[]): Promise<readonly ModeResult[]> {
  const args = parseLoadArgs(argv);
  if (args.url !== undefined) {
    const results = [await measure(args, 'running shop', args.url, args.warmup)];
    report(results);
    return results;
  }
  const { startPostgres, startRedis } = await import('@strata/testing');
  const postgres = args.postgres ? await startPostgres() : undefined;
  const redis = args.redis ? await startRedis() : undefined;
  try {
    const env: Record<string, string> = postgres
      ? { DATABASE_URL: await postgres.createDatabase() }
      : { PGLITE_DIR: join(shopPackageRoot(), '.data', 'load-pglite') };
    const backend = `${postgres ? 'PostgreSQL' : 'PGlite'}${redis ? ' + Redis' : ''}`;
    const results: ModeResult[] = [];
    for (const cache of ['on', 'off'] as const) {
      const shop = await startShopProcess({
        ...env,
        ...(redis ? { REDIS_URL: redis.url } : {}),
        SHOP_CACHE: cache,
        SHOP_CACHE_PREFIX: `load-${cache}-${Date.now()}`,
      });
      try {
        // Nothing to warm without a cache (the database's own buffers were warmed by the first run).
        // SHOP_CACHE=off ignores REDIS_URL: the baseline has no cache at all.
        const label = `cache ${cache}, ${cache === 'on' ? backend : backend.replace(' + Redis', '')}`;
        results.push(await measure(args, label, shop.url, cache === 'on' ? args.warmup : 0));
      } finally {
        await shop.stop();
      }
    }
    report(results);
    return results;
  } finally {
    await Promise.all([postgres?.dispose(), redis?.dispose()]);
  }
}
