import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { CacheStack } from '@strata/core';
import { STRATA_CACHE_STACK } from './cache-stack.token.js';

/**
 * Closes the module's cache stack when the app shuts down: waits for loads in flight, then
 * closes the Redis connection Strata owns, so `app.close()` leaves no handle open.
 */
@Injectable()
export class StrataLifecycle implements OnApplicationShutdown {
  constructor(@Inject(STRATA_CACHE_STACK) private readonly stack: CacheStack) {}

  async onApplicationShutdown(): Promise<void> {
    await this.stack.close();
  }
}
