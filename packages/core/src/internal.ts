/**
 * `@strata/core/internal`: the engine parts `@strata/nestjs` builds on (key building, value
 * encoding, read policies, the event emitter, write tickets, the Redis journal's names), and the
 * few that the repository's apps and tests reach into.
 *
 * Not covered by semver: a name here may change or go in any release, which is why
 * `@strata/nestjs` depends on the exact `@strata/core` version it was built with. Applications
 * import from `@strata/core` only.
 *
 * A flat list of re-exports, sorted by source file, so that additions from parallel changes merge
 * line by line.
 *
 * @packageDocumentation
 */
export { SYSTEM_CLOCK, type StrataClock } from './clock/strata-clock.js';
export { decodeValue, deepFreeze, encodeValue } from './codec/value.codec.js';
export { parseDuration } from './duration/duration.js';
export { toPositiveMs } from './duration/positive-ms.js';
export type { DurationBounds } from './duration/positive-ms.js';
export { CACHE_MISS } from './engine/cache-miss.js';
export { Engine } from './engine/engine.js';
export { InvalidationUnconfirmedError } from './errors/invalidation-unconfirmed.error.js';
export { RedisUnavailableError } from './errors/redis-unavailable.error.js';
export type { CacheLayerName, StrataEventName } from './events/strata-events.js';
export { StrataEvents } from './events/strata-events.js';
export { defaultKey } from './keys/default-key.js';
export { DEFAULT_NAMESPACE, KeyBuilder } from './keys/key-builder.js';
export type { RedisOptions } from './options/cache-stack.options.js';
export type { WriteTicket } from './options/call-options.js';
export { resolveReadPolicy } from './options/stale-policy.js';
export type { StaleReadOptions } from './options/stale-read.options.js';
export type { LoadRequest, Tokens } from './reads/load-request.js';
export { engineOf } from './stack/cache-stack.js';
export { confirmInvalidation } from './stack/confirm-invalidation.js';
export { Tiers } from './tiers/tiers.js';
export { MAX_TIMER_MS } from './ttl/ttl-limits.js';
export { JOURNAL_GROUP } from './write-behind/redis-journal.js';
export type { PartitionKeys } from './write-behind/redis-journal.js';
export { RedisWriteBehindCache } from './write-behind/redis-write-behind.cache.js';
export type { WriteBehindConfig } from './write-behind/write-behind.config.js';
export type { ConfirmedInvalidation, InvalidatedKey } from './writes/confirmed-invalidations.js';
