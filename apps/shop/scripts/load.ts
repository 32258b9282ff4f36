/**
 * Load script: Zipf (s = 1) product reads over the catalog plus some writes against a shop,
 * printing hit rates, database queries per request and p50/p99 latency.
 *
 *   pnpm --filter @strata/shop load                       # starts the shop twice: caching on, then off (PGlite)
 *   pnpm --filter @strata/shop load -- --postgres --redis # the same on throwaway PostgreSQL and Redis
 *   pnpm --filter @strata/shop load -- --url http://127.0.0.1:3000   # one run against a running shop
 *
 * Options: --requests (30000), --warmup (50000, cache on only), --concurrency (16). See apps/shop/README.md.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { shopPackageRoot } from '../src/db/package-root.js';
import { percentile, runLoad, type RunResult } from './load/runner.js';
import { startShopProcess } from './load/shop-process.js';
import { Workload } from './load/workload.js';

interface ServerStats {
  readonly total: { hits: { l1: number; l2: number }; misses: number; hitRate: number | null };
  readonly database: { queries: number };
}

interface ModeResult {
  readonly mode: string;
  readonly run: RunResult;
  readonly stats: ServerStats;
}

const ADMIN = { authorization: 'Bearer admin-token' };
const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    requests: { type: 'string', default: '30000' },
    warmup: { type: 'string', default: '50000' },
    concurrency: { type: 'string', default: '16' },
    postgres: { type: 'boolean', default: false },
    redis: { type: 'boolean', default: false },
  },
});
const requests = Number(args.requests);
const warmup = Number(args.warmup);
const concurrency = Number(args.concurrency);

/**
 * Warms the caches with `warmupRequests` requests (not measured: a cold cache over 10,000 Zipf
 * products spends thousands of requests on first reads), then measures `requests` requests.
 */
async function measure(mode: string, url: string, warmupRequests: number): Promise<ModeResult> {
  const first = (await (await fetch(`${url}/products?pageSize=1`)).json()) as { total: number };
  const products = first.total;
  console.log(`${mode}: ${products} products, ${warmupRequests} warm-up requests, then ${requests} measured`);
  if (warmupRequests > 0) await runLoad(url, new Workload(products, 1), warmupRequests, concurrency);
  await fetch(`${url}/admin/cache/stats/reset`, { method: 'POST', headers: ADMIN });
  const run = await runLoad(url, new Workload(products, 2), requests, concurrency);
  const stats = (await (await fetch(`${url}/admin/cache/stats`, { headers: ADMIN })).json()) as ServerStats;
  return { mode, run, stats };
}

function report(results: readonly ModeResult[]): void {
  const rows = results.map(({ mode, run, stats }) => {
    const gets = Object.values(run.xCache).reduce((a, b) => a + b, 0);
    const httpHits = (run.xCache.HIT ?? 0) + (run.xCache.STALE ?? 0);
    return {
      mode,
      'req/s': Math.round(run.requests / run.seconds),
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

async function main(): Promise<void> {
  if (args.url) {
    report([await measure('running shop', args.url, warmup)]);
    return;
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
        results.push(await measure(label, shop.url, cache === 'on' ? warmup : 0));
      } finally {
        await shop.stop();
      }
    }
    report(results);
  } finally {
    await Promise.all([postgres?.dispose(), redis?.dispose()]);
  }
}

await main();
