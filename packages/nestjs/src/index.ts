export { StrataModule } from './module/strata.module.js';
export {
  STRATA_MODULE_OPTIONS,
  StrataConfigurableModule,
  type StrataModuleForRootAsyncOptions,
  type StrataModuleForRootOptions,
} from './module/strata-module.definition.js';
export type { StrataModuleExtras, StrataModuleOptions } from './module/strata-module.options.js';
export { InjectCacheStack, STRATA_CACHE_STACK } from './module/cache-stack.token.js';
export { cacheStackProvider } from './module/cache-stack.provider.js';
export { StrataLifecycle } from './module/strata-lifecycle.service.js';

export { Cacheable } from './decorators/cacheable.decorator.js';
export { CachePut } from './decorators/cache-put.decorator.js';
export { CacheEvict } from './decorators/cache-evict.decorator.js';
export {
  CACHE_EVICT_METADATA,
  CACHE_PUT_METADATA,
  CACHEABLE_METADATA,
} from './decorators/cache-metadata.constants.js';
export type {
  CacheEvictOptions,
  CacheableOptions,
  CachePutOptions,
  FromArgs,
} from './decorators/cache-decorator.options.js';

export { CacheMethodExplorer } from './explorer/cache-method.explorer.js';
export { CacheService } from './service/cache.service.js';
export { DecoratorMisuseError } from './errors/decorator-misuse.error.js';

export { StrataFeatureModule } from './strategies/strata-feature.module.js';
export type {
  CacheStrategyName,
  NamedCacheOptions,
  StrataFeatureOptions,
} from './strategies/strata-feature.options.js';
export { getCacheToken, InjectCache } from './strategies/inject-cache.decorator.js';
export { strategyProviders } from './strategies/strategy.providers.js';

export {
  HttpCache,
  NoHttpCache,
  HTTP_CACHE_METADATA,
  NO_HTTP_CACHE_METADATA,
} from './http/http-cache.decorator.js';
export { HttpCacheInterceptor, httpPathTag } from './http/http-cache.interceptor.js';
export type { HttpCachePlan } from './http/http-cache.interceptor.js';
export type { HttpCacheRoute } from './http/http-cache-routes.js';
export { HttpCacheModule } from './http/http-cache.module.js';
export { HTTP_CACHE_MODULE_OPTIONS } from './http/http-cache.module-definition.js';
export type {
  HttpCacheForRootOptions,
  HttpCacheInterceptorBinding,
  HttpCacheModuleExtras,
} from './http/http-cache.module-definition.js';
export { resolveRoutePolicy } from './http/http-cache.options.js';
/** Request headers that bypass the HTTP cache by default (spread it to change one entry). */
export { DEFAULT_UNKEYED_HEADERS } from './http/http-cache-key.js';
export type {
  CdnTagHeader,
  HttpCacheModuleOptions,
  HttpCacheOptions,
  HttpCacheRequest,
  HttpCacheRoutePolicy,
  HttpCacheRouteScope,
} from './http/http-cache.options.js';
export type { ExchangeRequest, ExchangeResponse } from './http/http-exchange.js';

export { StrataMetricsModule } from './metrics/strata-metrics.module.js';
export { STRATA_METRICS_OPTIONS } from './metrics/strata-metrics.module-definition.js';
export { StrataMetrics } from './metrics/strata-metrics.js';
export type { PromClient, WriteBehindCaches } from './metrics/strata-metrics.js';
export {
  DEFAULT_FLUSH_BUCKETS,
  DEFAULT_LOAD_BUCKETS,
  type StrataMetricsOptions,
} from './metrics/strata-metrics.options.js';
export { reportHttpCacheAnswer, routePattern } from './metrics/http-cache-report.js';
export { quantileFromBuckets, subtractHistograms } from './metrics/metrics-snapshot.js';
export type {
  HistogramSnapshot,
  LoadSnapshot,
  LookupCount,
  StrataMetricsSnapshot,
  WriteBehindSnapshot,
} from './metrics/metrics-snapshot.js';
export { StrataHealthIndicator } from './health/strata-health.indicator.js';
export type { StrataHealthOptions } from './health/strata-health.options.js';

export { StrataCacheManagerModule } from './cache-manager/strata-cache-manager.module.js';
export { StrataCacheManager } from './cache-manager/strata-cache-manager.js';
export { CACHE_MANAGER, InjectCacheManager } from './cache-manager/cache-manager.token.js';
export type { StrataCacheManagerOptions } from './cache-manager/strata-cache-manager.options.js';
export type {
  CacheManagerEvents,
  CacheManagerListItem,
  CacheManagerRawEntry,
  CacheManagerWrapOptions,
  CacheManagerWrapOptionsRaw,
} from './cache-manager/cache-manager.types.js';
