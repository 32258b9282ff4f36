import { MAX_KEYS_PER_MESSAGE } from '../bus/invalidation-bus.js';
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

  /** Deletes `full` (full entry keys) in Redis, records their change times and announces them. */
  async delete(full: readonly string[]): Promise<void> {
    const { guard, l1, l2, bus, keys, options } = this.tiers;
    if (guard === undefined || l2?.ordered !== true || full.length > MAX_KEYS_PER_MESSAGE) {
      await this.changes.after(full, guard?.delete(full));
      return;
    }
    const changeTimes = options.dependencies ? full.map((key) => keys.keyDependency(key)) : undefined;
    const versions = await guard.delete(full, undefined, { changeTimes, bus: bus?.address });
    if (versions === undefined) {
      await this.changes.after(full, Promise.resolve(undefined));
      return;
    }
    // As KeyChanges does once the change times are set: this instance's dependents go too.
    if (changeTimes !== undefined) l1?.invalidate(changeTimes);
  }
}
