/**
 * The public API of `@strata/core`, covered by semver: the `CacheStack`, the options and results
 * of its calls, the errors a caller tells apart with `instanceof`, and the strategy contracts an
 * application implements. Option parts are reached through the root type (`CacheStackOptions['redis']`);
 * every other error is a `StrataError` told apart by its `code`. What `@strata/nestjs` needs beyond
 * this lives in `@strata/core/internal`, which makes no compatibility promise.
 *
 * @packageDocumentation
 */
export { CacheStack } from './stack/cache-stack.js';
export type { GetOptions, LoadOptions, ReadOptions, WriteOptions } from './options/call-options.js';
export type { CacheStackOptions } from './options/cache-stack.options.js';
export type { Duration } from './duration/duration.js';
export { MAX_TTL_MS } from './ttl/ttl-limits.js';

export type { StrataEventMap } from './events/strata-events.js';
export { STRATA_SPANS, STRATA_TRACER_NAME } from './tracing/strata-tracing.js';

export { StrataError } from './errors/strata.error.js';
export type { StrataErrorCode } from './errors/strata.error.js';
export { StrataConfigError } from './errors/strata-config.error.js';
export { InvalidKeyError } from './errors/invalid-key.error.js';
export { InvalidTtlError } from './errors/invalid-ttl.error.js';
export { ValueTooLargeError } from './errors/value-too-large.error.js';
export { UncacheableValueError } from './errors/uncacheable-value.error.js';
export { LoaderTimeoutError } from './errors/loader-timeout.error.js';
export { QueueFullError } from './errors/queue-full.error.js';
export { JournalUnavailableError } from './errors/journal-unavailable.error.js';
export { UnknownDeadLetterError } from './errors/unknown-dead-letter.error.js';
export { DeadLetterNotRedrivableError } from './errors/dead-letter-not-redrivable.error.js';

export type { CacheLoader } from './strategies/cache-loader.interface.js';
export type {
  CacheWriter,
  DeleteRecord,
  IncrementRecord,
  WriteRecord,
} from './strategies/cache-writer.interface.js';
export type { StrategyCache } from './strategies/strategy-cache.interface.js';
export type { NamedCacheConfig } from './strategies/named-cache.config.js';
export { CacheTransactions } from './strategies/cache-transactions.js';
export { CacheAsideStrategy } from './strategies/cache-aside.strategy.js';
export { WriteThroughStrategy } from './strategies/write-through.strategy.js';
export { PerKeyOrder } from './strategies/per-key-order.js';
export { WriteBehindStrategy } from './write-behind/write-behind.strategy.js';
export type { WriteBehindStrategyCache } from './write-behind/write-behind.config.js';
export type { DeadLetter, RedriveOutcome } from './write-behind/dead-letter.js';

export { legacyCacheManagerSource } from './migration/cache-manager-legacy.source.js';
