import { Logger, type FactoryProvider } from '@nestjs/common';
import { CacheStack } from '@strata/core';
import { STRATA_CACHE_STACK } from './cache-stack.token.js';
import { STRATA_MODULE_OPTIONS } from './strata-module.definition.js';
import type { StrataModuleOptions } from './strata-module.options.js';
import { engineOf } from '@strata/core/internal';

/**
 * Builds the module's `CacheStack`: validates the options (a bad one fails boot with a
 * `StrataConfigError`), then waits up to `redis.connectTimeout` for Redis. A Redis that does not
 * answer does not stop the app unless `redis.failOnUnavailable` is set: it starts with L2
 * skipped, logs one warning, and uses Redis as soon as it answers.
 */
export const cacheStackProvider: FactoryProvider<CacheStack> = {
  provide: STRATA_CACHE_STACK,
  inject: [STRATA_MODULE_OPTIONS],
  useFactory: async (options: StrataModuleOptions): Promise<CacheStack> => {
    const stack = new CacheStack(options);
    const logger = new Logger('Strata');
    // A throwing event listener never reaches a cache call; its first error is logged here.
    stack.events.handleListenerErrors((error, event) =>
      logger.error(
        `A listener of the "${event}" event threw (its later errors are not logged): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      ),
    );
    try {
      const connected = await stack.connect();
      if (!connected) {
        logger.warn(
          `Redis did not answer within ${engineOf(stack).options.redis?.connectTimeoutMs ?? 0} ms; starting with the Redis layer skipped. It will be used as soon as it answers.`,
        );
      }
    } catch (error) {
      await stack.close();
      throw error;
    }
    // One warning per outage: the breaker re-opens after each failed trial, which is not news.
    let degraded = false;
    stack.events.on('breaker:state', ({ state }) => {
      if (state === 'open' && !degraded) {
        degraded = true;
        logger.warn('Redis is failing; skipping the Redis layer for a while (loaders still run).');
      }
      if (state === 'closed' && degraded) {
        degraded = false;
        logger.log('Redis answers again; the Redis layer is back in use.');
      }
    });
    // A value over `maxValueBytes` is returned uncached, so it is loaded (and refused) again on
    // every call: one warning per key is enough to find it.
    const tooLarge = new Set<string>();
    stack.events.on('value:too-large', ({ key, bytes, maxBytes, operation }) => {
      if (tooLarge.has(key) || tooLarge.size >= 1_000) return;
      tooLarge.add(key);
      const outcome = operation === 'load' ? 'returned to its callers without caching it' : 'not cached';
      logger.warn(
        `The value of "${key}" encodes to ${bytes} bytes, over maxValueBytes (${maxBytes}): ${outcome}.`,
      );
    });
    return stack;
  },
};
