import { RedisSetBatches } from '../layers/redis-set-batches.js';
import type { RedisTimeBudget } from '../layers/redis-time-budget.js';
import type { Tiers } from '../tiers/tiers.js';
import type { EntryWrite, EntryWriter, L2WriteToken } from './entry-writer.js';
import type { KeyChanges } from './key-changes.js';

/**
 * `CacheStack.set` on Redis: concurrent sets share one call of the set-batch script
 * ({@link RedisSetBatches}). On one server (or a Sentinel's primary) that call also sets each
 * key's change time and announces the batch on the bus, so a set costs no round trip of its own
 * for them; on a Cluster, sets are batched per slot, and each set's change time and announcement
 * follow its call as for a delete ({@link KeyChanges.after}). A set resolves once Redis ran the
 * call that carried it and, on a Cluster, its change time and announcement were answered.
 *
 * Everything else is the one write path's ({@link EntryWriter}): the guard's rules (skipped
 * while Redis is down or the breaker open, the operation's Redis time, pending evictions replayed
 * first; a set that did not reach Redis evicts what it replaces, a refused one at once), then L1
 * under the version Redis gave. When the call did not run (a failure, an outage, out of memory),
 * the change time and the announcement are made as for any other set ({@link KeyChanges.after}):
 * what fails is remembered for a replay, an unsent announcement is retried by the bus.
 */
export class BatchedSets {
  private readonly batches: RedisSetBatches | undefined;

  constructor(
    private readonly tiers: Tiers,
    private readonly writer: EntryWriter,
    private readonly changes: KeyChanges,
  ) {
    const { connection, l2, guard, bus, keys, options } = tiers;
    if (connection === undefined || guard === undefined || l2 === undefined) return;
    this.batches = new RedisSetBatches(connection.client, {
      // On a Cluster, entries, change times and the bus's node may all be different nodes.
      perSlot: !l2.ordered,
      changeTimeOf: options.dependencies ? (key) => keys.keyDependency(key) : undefined,
      dependencyTtlMs: options.dependencyTtlMs,
      bus: bus?.address,
      values: l2.values,
    });
  }

  /** Whether sets are batched here (a stack with Redis). */
  get enabled(): boolean {
    return this.batches !== undefined;
  }

  /**
   * The Redis write of a set, its change time and its announcement, then L1 (see the class).
   * For a write that extends no key dependency times first (no `dependsOn`). `budget`: the Redis
   * time of the set's operation.
   */
  async set(
    w: EntryWrite,
    l1Token: number | undefined,
    l2Token: L2WriteToken,
    budget: RedisTimeBudget | undefined,
  ): Promise<void> {
    const { batches } = this;
    if (batches === undefined) throw new Error('unreachable: sets are not batched here');
    const version = await this.writer.write(w, l1Token, l2Token, { batch: batches, budget });
    // A version, or `false` (refused by its token): the script call ran in Redis, and with it the
    // change time and the announcement. On a Cluster the call stored the entry only: they follow.
    if (version === undefined || !batches.completesSets) {
      const upTo = typeof version === 'number' ? [version - 1] : undefined;
      const after = (): Promise<void> => this.changes.after([w.full], Promise.resolve(upTo));
      // Within what is left of the set's Redis time (in its operation's async context).
      const guard = this.tiers.guard;
      await (guard === undefined || budget === undefined ? after() : guard.enter(after, budget));
      return;
    }
    // As KeyChanges does once the change time is set: this instance's dependents go too.
    if (this.tiers.options.dependencies) this.tiers.l1?.invalidate([this.tiers.keys.keyDependency(w.full)]);
  }

  /**
   * Sends the sets made so far that still wait for a call: a delete or invalidation calls it just
   * before it sends its own command, so that Redis runs it after them and before later sets, as
   * when each set was sent at once.
   */
  flush(): void {
    this.batches?.flush();
  }

  /** Resolves once every script call made so far has its reply (shutdown). */
  async drain(): Promise<void> {
    await this.batches?.idle();
  }
}
