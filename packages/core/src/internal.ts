/**
 * Strata's internals, for `@strata/nestjs`, the apps and tests of this repository: the engine
 * behind a `CacheStack` and how to reach it. Not covered by semver.
 */
export { tiersOf } from './stack/cache-stack.js';
export { Tiers } from './engine/tiers.js';
export { CACHE_MISS } from './engine/cache-miss.js';
export type { LoadRequest, Tokens } from './reads/load-request.js';
export { SYSTEM_CLOCK, type StrataClock } from './clock/strata-clock.js';
