import type { HeldLease } from '../lease/held-lease.js';
import type { RedisLayer } from './redis.layer.js';
import type { RedisTimeBudget } from './redis-time-budget.js';

/** How `L2Guard.write` reaches Redis, besides the entry and its token. */
export interface L2WriteVia {
  /** What sends the write: by default the Redis layer's write script (a set batch for sets). */
  readonly target?: Pick<RedisLayer, 'writeVersion'>;
  /** The lease a load holds, which the write releases where one script can. */
  readonly lease?: HeldLease;
  /** The Redis time of the operation the write belongs to (a load or a set). */
  readonly budget?: RedisTimeBudget;
}
