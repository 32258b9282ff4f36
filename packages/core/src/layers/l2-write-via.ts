import type { HeldLease } from '../lease/held-lease.js';
import type { RedisSetBatches } from './redis-set-batches.js';
import type { RedisTimeBudget } from './redis-time-budget.js';

/** How `L2Guard.write` reaches Redis, besides the entry and its token. */
export interface L2WriteVia {
  /** The batches the write joins (a set), instead of a write script call of its own. */
  readonly batch?: RedisSetBatches;
  /** The lease a load holds, which the write releases where one script can. */
  readonly lease?: HeldLease;
  /** The Redis time of the operation the write belongs to (a load or a set). */
  readonly budget?: RedisTimeBudget;
}
