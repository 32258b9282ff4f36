import type { FactoryProvider } from '@nestjs/common';
import { StrataConfigError, type CacheStack } from '@strata/core';
import { STRATA_CACHE_STACK } from '@strata/nestjs';
import { CdcConsumer } from '../consumer/cdc-consumer.js';
import type { CdcOptions } from '../options/cdc.options.js';
import { STRATA_CDC_OPTIONS } from './strata-cdc.module-definition.js';

/**
 * Builds the module's {@link CdcConsumer} on the app's `CacheStack` (from `StrataModule`). Invalid
 * options fail boot with a `StrataConfigError` naming the option; so does a missing `StrataModule`.
 * The consumer starts later, at application bootstrap (`CdcLifecycle`).
 */
export const cdcConsumerProvider: FactoryProvider<CdcConsumer> = {
  provide: CdcConsumer,
  inject: [{ token: STRATA_CACHE_STACK, optional: true }, STRATA_CDC_OPTIONS],
  useFactory: (stack: CacheStack | undefined, options: CdcOptions): CdcConsumer => {
    if (stack === undefined) {
      throw new StrataConfigError(
        'StrataCdcModule',
        'StrataModule',
        'not found: StrataCdcModule invalidates the cache stack of StrataModule; import StrataModule.forRoot(…) ' +
          'or forRootAsync(…) in the app (global, its default)',
      );
    }
    return new CdcConsumer(stack, options);
  },
};
