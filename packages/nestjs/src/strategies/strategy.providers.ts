import { Logger, type Provider } from '@nestjs/common';
import {
  CacheAsideStrategy,
  CacheTransactions,
  WriteBehindStrategy,
  WriteThroughStrategy,
  type CacheStack,
} from '@strata/core';
import { STRATA_CACHE_STACK } from '../module/cache-stack.token.js';

/**
 * The strategies as injectable providers of the root module, each bound to the app's cache
 * stack. Replace one by providing your own class under the same token (e.g. a subclass of
 * `WriteThroughStrategy` that logs every persist).
 */
export const strategyProviders: Provider[] = [
  { provide: CacheTransactions, useFactory: () => new CacheTransactions() },
  {
    provide: CacheAsideStrategy,
    inject: [STRATA_CACHE_STACK, CacheTransactions],
    useFactory: (stack: CacheStack, transactions: CacheTransactions) =>
      new CacheAsideStrategy(stack, transactions),
  },
  {
    provide: WriteThroughStrategy,
    inject: [STRATA_CACHE_STACK],
    useFactory: (stack: CacheStack) => new WriteThroughStrategy(stack),
  },
  {
    provide: WriteBehindStrategy,
    inject: [STRATA_CACHE_STACK],
    useFactory: (stack: CacheStack) => {
      logDeadLetters(stack);
      return new WriteBehindStrategy(stack);
    },
  },
];

/** Longest key quoted in a log line (a key is user data; an unreadable entry's may be anything). */
const MAX_LOGGED_KEY = 200;

/**
 * One error line per dead letter, when it happens, by the instance that set it aside: the cache,
 * the key, the dead letter's id (for `redriveDeadLetter` / `purgeDeadLetters`) and the error.
 */
function logDeadLetters(stack: CacheStack): void {
  const logger = new Logger('Strata');
  stack.events.on('write-behind:dead-letter', ({ cache, key, id, error }) => {
    const shown = key.length > MAX_LOGGED_KEY ? `${key.slice(0, MAX_LOGGED_KEY)}…` : key;
    logger.error(
      `Write-behind cache "${cache}" set aside the write of key ${JSON.stringify(shown)} as dead letter ${id}: ${describe(error)}. List, re-drive or purge it through the cache (listDeadLetters, redriveDeadLetter, purgeDeadLetters).`,
    );
  });
}

/** The error and its causes (a driver's reason is often the cause of an ORM's "Failed query"). */
function describe(error: Error): string {
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    messages.push(current.message);
    current = current.cause;
  }
  return messages.join(', caused by: ');
}
