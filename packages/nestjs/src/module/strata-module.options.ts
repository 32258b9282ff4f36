import type { CacheStackOptions } from '@strata/core';

/**
 * Options of `StrataModule.forRoot` / `forRootAsync`: the {@link CacheStackOptions} of the
 * module's cache stack. Validated at boot: a bad value fails with a `StrataConfigError` naming
 * the option and the value.
 */
export type StrataModuleOptions = CacheStackOptions;

/** Module-level flags of `StrataModule.forRoot` / `forRootAsync`. */
export interface StrataModuleExtras {
  /**
   * Register the module globally, so `CacheService` and the decorators work in every module.
   * @default true
   */
  readonly isGlobal?: boolean;
}
