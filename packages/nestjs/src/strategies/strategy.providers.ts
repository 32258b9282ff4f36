import type { Provider } from '@nestjs/common';
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
    useFactory: (stack: CacheStack) => new WriteBehindStrategy(stack),
  },
];
