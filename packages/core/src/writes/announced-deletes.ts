import { MAX_KEYS_PER_MESSAGE } from '../bus/invalidation-bus.js';
import type { RedisTimeBudget } from '../layers/redis-time-budget.js';
import type { Tiers } from '../tiers/tiers.js';
import type { KeyChanges } from './key-changes.js';

/**
 * The Redis side of `CacheStack.delete`. On one server (or a Sentinel's primary), the script call
 * that stores the delete markers also sets each key's change time and announces the delete on the
 * bus (`DELETE_SCRIPT`), so the other instances drop their copies in the round trip that made the
 * change, as for sets (batched-sets.ts). On a Cluster (the change times and the bus's node may be
 * other nodes), and for more keys than one bus message names, the change times and the
 * announcement follow the delete ({@link KeyChanges.after}).
 *
 * When the call did not run (a failure, an outage, the breaker open), the guard remembers the
 * delete for a replay, and the change times and the announcement are made as when they follow
 * the delete: what fails is remembered too, an unsent announcement is retried by the bus, and the
 * replayed delete is announced again once it ran.
 */
export class AnnouncedDeletes {
  constructor(
    private readonly tiers: Tiers,
    private readonly changes: KeyChanges,
  ) {}

  /**
   * Deletes `full` (full entry keys) in Redis, records their change times and announces them.
   * `budget`: the Redis time of the delete's operation, handed to its script call; what follows a
   * call runs in the operation's async context (`L2Guard.enter`).
   */
  async delete(full: readonly string[], budget: RedisTimeBudget | undefined): Promise<void> {
    const { guard, l1, l2, bus, keys, options } = this.tiers;
    if (guard === undefined || l2?.ordered !== true || full.length > MAX_KEYS_PER_MESSAGE) {
      await this.inOperation(() => this.changes.after(full, guard?.delete(full)), budget);
      return;
    }
    const changeTimes = options.dependencies ? full.map((key) => keys.keyDependency(key)) : undefined;
    const versions = await guard.delete(full, budget, { changeTimes, bus: bus?.address });
    if (versions === undefined) {
      await this.inOperation(() => this.changes.after(full, Promise.resolve(undefined)), budget);
      return;
    }
    // As KeyChanges does once the change times are set: this instance's dependents go too.
    if (changeTimes !== undefined) l1?.invalidate(changeTimes);
  }

  /** Runs `fn` in the async context of the operation of `budget` (none without Redis). */
  private inOperation(fn: () => Promise<void>, budget: RedisTimeBudget | undefined): Promise<void> {
    const guard = this.tiers.guard;
    return guard === undefined || budget === undefined ? fn() : guard.enter(fn, budget);
  }
}
