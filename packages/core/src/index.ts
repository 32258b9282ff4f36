export { CACHE_MISS, CacheStack } from './stack/cache-stack.js';
export type {
  GetOptions,
  LoadOptions,
  ReadOptions,
  WriteOptions,
  WriteTicket,
} from './stack/cache-stack.types.js';
export { DependencyTracker } from './dependencies/dependency-tracker.js';
export type { Collected } from './dependencies/dependency-tracker.js';
export { L2Guard } from './layers/l2-guard.js';
export type { ReplayListener } from './layers/pending-evictions.js';

export type {
  BreakerOptions,
  BusOptions,
  CacheStackOptions,
  L1Options,
  RedisOptions,
} from './options/cache-stack.options.js';
export { resolveStackOptions } from './options/resolve-options.js';
export type {
  EarlyRefreshOptions,
  GraceRetryOptions,
  StaleReadOptions,
  StaleReadStackOptions,
} from './options/stale-read.options.js';
export type { ResolvedStaleReads } from './options/resolve-stale-read-options.js';
export { resolveReadPolicy } from './reads/stale-policy.js';
export type { DurationFailure, EarlyRefresh, OptionLabel, ReadPolicy } from './reads/stale-policy.js';
export { isEarlyRefreshDue } from './reads/xfetch.js';
export type { ResolvedStackOptions } from './options/resolve-options.js';

export { parseDuration } from './duration/duration.js';
export type { Duration } from './duration/duration.js';

export { decodeValue, deepFreeze, encodeValue } from './codec/value.codec.js';
export type { EncodedValue } from './codec/value.codec.js';
export { ENTRY_FORMAT_VERSION, parseEntry, serializeEntryTail } from './codec/entry.envelope.js';
export type { CacheEntry } from './codec/entry.envelope.js';

export { DEFAULT_NAMESPACE, KeyBuilder } from './keys/key-builder.js';
export { canonicalize, defaultKey } from './keys/default-key.js';

export type { CacheLayer, EntryToWrite, LayerRead } from './layers/cache-layer.interface.js';
export { MemoryLayer } from './layers/memory.layer.js';
export type { MemoryLayerOptions } from './layers/memory.layer.js';
export { RedisLayer } from './layers/redis.layer.js';
export type { RedisLayerOptions } from './layers/redis.layer.js';
export { RedisConnection } from './redis/redis-connection.js';
export type {
  ClusterConnectionOptions,
  RedisAddress,
  SentinelConnectionOptions,
} from './redis/redis-client.factory.js';
export { InvalidationBus } from './bus/invalidation-bus.js';
export type { InvalidationBusOptions } from './bus/invalidation-bus.js';
export { BUS_FORMAT_VERSION, decodeBusMessage, encodeBusMessage } from './bus/bus-message.js';
export type { BusMessage, DecodedBusMessage } from './bus/bus-message.js';
export type { ResolvedBusOptions } from './options/resolve-bus-options.js';
export type { RedisConnectionOptions } from './redis/redis-connection.js';

export { SingleFlight } from './single-flight/single-flight.js';
export { CircuitBreaker } from './circuit-breaker/circuit-breaker.js';
export type { CircuitBreakerOptions, CircuitState } from './circuit-breaker/circuit-breaker.js';

export { StrataEvents } from './events/strata-events.js';
export type {
  CacheLayerName,
  ListenerErrorHandler,
  StrataEventMap,
  StrataEventName,
  StrataListener,
} from './events/strata-events.js';
export { cacheOfEntry } from './events/entry-cache.js';
export { STRATA_SPANS, STRATA_TRACER_NAME, withSpan } from './tracing/strata-tracing.js';

export { StrataError } from './errors/strata.error.js';
export type { StrataErrorCode } from './errors/strata.error.js';
export { StrataConfigError } from './errors/strata-config.error.js';
export { CacheStoreError } from './errors/cache-store.error.js';
export { InvalidKeyError } from './errors/invalid-key.error.js';
export { RedisUnavailableError } from './errors/redis-unavailable.error.js';
export { UncacheableValueError } from './errors/uncacheable-value.error.js';
export { LoaderTimeoutError } from './errors/loader-timeout.error.js';
export { TtlPolicy } from './ttl/ttl-policy.js';
export { MAX_TIMER_MS, MAX_TTL_MS } from './ttl/ttl-limits.js';
export { InvalidTtlError } from './errors/invalid-ttl.error.js';
export { ValueTooLargeError } from './errors/value-too-large.error.js';

export type { CacheLoader } from './strategies/cache-loader.interface.js';
export type {
  CacheWriter,
  DeleteRecord,
  IncrementRecord,
  WriteRecord,
} from './strategies/cache-writer.interface.js';
export type { StrategyCache } from './strategies/strategy-cache.interface.js';
export type { NamedCacheConfig } from './strategies/named-cache.config.js';
export { HybridClock } from './strategies/hybrid-clock.js';
export { CacheTransactions } from './strategies/cache-transactions.js';
export { CacheAsideCache, CacheAsideStrategy } from './strategies/cache-aside.strategy.js';
export { WriteThroughCache, WriteThroughStrategy } from './strategies/write-through.strategy.js';
export { WriteBehindStrategy } from './write-behind/write-behind.strategy.js';
export { WriteBehindCache } from './write-behind/memory-write-behind.cache.js';
export { RedisWriteBehindCache } from './write-behind/redis-write-behind.cache.js';
export type { RedisWriteBehindOptions } from './write-behind/redis-write-behind.cache.js';
export type { WriteBehindConfig, WriteBehindStrategyCache } from './write-behind/write-behind.config.js';
export { WriteBehindQueue } from './write-behind/write-behind.queue.js';
export type { DeadLetter, RedriveOutcome } from './write-behind/dead-letter.js';
export { UnknownDeadLetterError } from './errors/unknown-dead-letter.error.js';
export { DeadLetterNotRedrivableError } from './errors/dead-letter-not-redrivable.error.js';
export { RedisJournal, JOURNAL_GROUP } from './write-behind/redis-journal.js';
export type {
  AppendRequest,
  PartitionKeys,
  RedisJournalOptions,
  StreamRecord,
} from './write-behind/redis-journal.js';
export type { AppendResult } from './write-behind/journal-append.batcher.js';
export { RedisJournalFlusher } from './write-behind/redis-journal.flusher.js';
export type { RedisFlusherOptions } from './write-behind/redis-journal.flusher.js';
export type { JournalRecord, JournalWrite } from './write-behind/journal-record.js';
export { JournalUnavailableError } from './errors/journal-unavailable.error.js';
export type { WriteBehindQueueOptions } from './write-behind/write-behind.options.js';
export { QueueFullError } from './errors/queue-full.error.js';
export { PerKeyOrder } from './strategies/per-key-order.js';
export { legacyCacheManagerSource } from './migration/cache-manager-legacy.source.js';
export type { LegacyCacheManagerSourceOptions } from './migration/cache-manager-legacy.source.js';
export type { LegacyCacheSource, LegacyEntry } from './migration/legacy-cache.source.js';
