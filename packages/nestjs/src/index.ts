/**
 * The public API of `@strata/nestjs`, covered by semver: the module, the caching decorators and
 * their options, `CacheService` and the injection helpers, the HTTP cache, metrics, health and the
 * cache-manager drop-in. Everything else in the package is internal and not exported; `forRoot`
 * takes a `CacheStackOptions` from `@strata/core`.
 *
 * @packageDocumentation
 */
export { StrataModule } from './module/strata.module.js';
export { InjectCacheStack, STRATA_CACHE_STACK } from './module/cache-stack.token.js';

export { Cacheable } from './decorators/cacheable.decorator.js';
export { CachePut } from './decorators/cache-put.decorator.js';
export { CacheEvict } from './decorators/cache-evict.decorator.js';
export type {
  CacheEvictOptions,
  CacheableOptions,
  CachePutOptions,
} from './decorators/cache-decorator.options.js';

export { CacheService } from './service/cache.service.js';
export { getCacheToken, InjectCache } from './strategies/inject-cache.decorator.js';

export { HttpCache, NoHttpCache } from './http/http-cache.decorator.js';
export { HttpCacheInterceptor, httpPathTag } from './http/http-cache.interceptor.js';
export { HttpCacheModule } from './http/http-cache.module.js';
export { DEFAULT_UNKEYED_HEADERS } from './http/unkeyed-headers.js';
export type { HttpCacheModuleOptions, HttpCacheOptions } from './http/http-cache.options.js';

export { StrataMetricsModule } from './metrics/strata-metrics.module.js';
export { StrataMetrics } from './metrics/strata-metrics.js';
export type { StrataMetricsOptions } from './metrics/strata-metrics.options.js';
export { quantileFromBuckets, subtractHistograms } from './metrics/metrics-snapshot.js';
export type { StrataMetricsSnapshot } from './metrics/metrics-snapshot.js';
export { StrataHealthIndicator } from './health/strata-health.indicator.js';
export type { StrataHealthOptions } from './health/strata-health.options.js';

export { StrataCacheManagerModule } from './cache-manager/strata-cache-manager.module.js';
export { CACHE_MANAGER } from './cache-manager/cache-manager.token.js';
