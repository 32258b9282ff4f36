import { StrataConfigError } from '@strata/core';

/** Options of `StrataCacheManagerModule.forRoot`. */
export interface StrataCacheManagerOptions {
  /**
   * Namespace of every entry written through `CACHE_MANAGER`: `clear()` invalidates exactly it
   * (letters, digits, `_`, `.`, `-`).
   * @default 'cache-manager'
   */
  readonly namespace?: string;
  /**
   * Time to live in milliseconds of a `set` / `wrap` without one (cache-manager's `ttl`). `0` or
   * absent: the `StrataModule`'s `ttl`, and `ttl(key)` then reports no expiry.
   * @default undefined
   */
  readonly ttl?: number;
  /** Default `refreshThreshold` of `wrap`, in milliseconds. @default undefined */
  readonly refreshThreshold?: number;
  /** Value of `cacheId()`. @default a random id */
  readonly cacheId?: string;
  /** Register `CACHE_MANAGER` globally, as `CacheModule.register({ isGlobal: true })` does. @default false */
  readonly isGlobal?: boolean;
}

/** The options after validation. */
export interface ResolvedCacheManagerOptions {
  readonly namespace: string;
  readonly ttl: number | undefined;
  readonly refreshThreshold: number | undefined;
  readonly cacheId: string;
}

const NAMESPACE = /^[A-Za-z0-9_.-]+$/;

function milliseconds(option: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new StrataConfigError(option, value, 'expected a finite number of milliseconds >= 0');
  }
  return value === 0 ? undefined : value;
}

/** Validates the options once, at boot; a bad value throws a `StrataConfigError` naming it. */
export function resolveCacheManagerOptions(
  options: StrataCacheManagerOptions = {},
): ResolvedCacheManagerOptions {
  const namespace = options.namespace ?? 'cache-manager';
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
    throw new StrataConfigError('namespace', namespace, 'expected letters, digits, "_", "." or "-"');
  }
  if (options.cacheId !== undefined && (typeof options.cacheId !== 'string' || options.cacheId === '')) {
    throw new StrataConfigError('cacheId', options.cacheId, 'expected a non-empty string');
  }
  return {
    namespace,
    ttl: milliseconds('ttl', options.ttl),
    refreshThreshold: milliseconds('refreshThreshold', options.refreshThreshold),
    cacheId: options.cacheId ?? Math.random().toString(36).slice(2),
  };
}
