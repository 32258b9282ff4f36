import 'reflect-metadata';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { createShopApp } from './bootstrap.js';
import { loadShopConfig, ShopConfigError, type ShopConfig } from './config/shop-config.js';
import { shopPackageRoot } from './db/package-root.js';

/** The configuration, or exit 1 with the list of bad variables (no stack trace: it is not a bug). */
function configOrExit(): ShopConfig {
  try {
    return loadShopConfig(process.env, join(shopPackageRoot(), '.data', 'pglite'));
  } catch (error) {
    if (!(error instanceof ShopConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

const config = configOrExit();
const app = await createShopApp(config);
// Close Redis, the database and the server on Ctrl-C or SIGTERM, then exit 0: a requested stop is not a
// failure (the default re-raises the signal, which package managers report as an error).
app.enableShutdownHooks(['SIGINT', 'SIGTERM'], { useProcessExit: true });
await app.listen(config.port, '127.0.0.1');
const url = `http://127.0.0.1:${config.port}`;
const redis = config.redisCluster === true ? 'Redis Cluster' : 'Redis';
const cache = config.cacheEnabled ? (config.redisUrl ? `memory + ${redis}` : 'memory') : 'off';
new Logger('Shop').log(
  `Listening on ${url} (cache: ${cache}). Swagger UI: ${url}/docs. ` +
    `Try: curl -i ${url}/products/42 (twice: X-Cache: HIT the second time)`,
);
