/**
 * Load script: Zipf (s = 1) product reads over the catalog plus some writes against a shop,
 * printing req/s, elapsed time, hit rates, database queries per request and p50/p99 latency.
 *
 *   pnpm --filter @strata/shop load                       # starts the shop twice: caching on, then off (PGlite)
 *   pnpm --filter @strata/shop load -- --postgres --redis # the same on throwaway PostgreSQL and Redis
 *   pnpm --filter @strata/shop load -- --url http://127.0.0.1:3000   # one run against a running shop
 *
 * Options: --requests (30000), --warmup (50000, cache on only), --concurrency (16). See apps/shop/README.md.
 */
import { runLoadCli } from './load/load-cli.js';

await runLoadCli(process.argv.slice(2));
