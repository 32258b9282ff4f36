import type { EntryToWrite, LayerRead } from './cache-layer.interface.js';
import type { DeleteCompletion } from './redis.layer.js';
import type { ReplayListener } from './pending-evictions.js';
import type { RedisTimeBudget } from './redis-time-budget.js';
import type { L2WriteVia } from './l2-write-via.js';
import { GuardedCommands } from './guarded-commands.js';

/**
 * The one path every L2 operation takes. It skips Redis while the connection is down or the
 * circuit breaker is open, turns failures into `undefined` (the caller falls back to the loader)
 * plus an `l2:error` event, and never lets a delete or invalidation be lost: one that could not
 * reach Redis is remembered and replayed before Redis serves anything again, so an entry
 * evicted during an outage does not come back when Redis does.
 *
 * How each command is guarded (skipped, timed, counted, replayed before) is
 * {@link GuardedCommands}'.
 */
export class L2Guard extends GuardedCommands {
  /** Reads through Redis; `undefined` when Redis was skipped or failed. */
  async read(
    key: string,
    tagHint: readonly string[],
    budget = this.deadlines.current(),
  ): Promise<LayerRead | undefined> {
    if (this.pendingRepairs > 0) return this.readRepairing(key, tagHint, budget);
    // The hot path of an L2 hit, inlined: one async frame fewer than run().
    if (budget.spent() || !this.connection.ready || !this.breaker.allows()) return undefined;
    let read: LayerRead;
    try {
      read = await this.deadlines.within(budget, 'read', () => this.layer.read(key, tagHint));
      this.breaker.succeed();
    } catch (error) {
      this.failed('read', error);
      return undefined;
    }
    // An eviction that failed meanwhile waits for its replay: do not serve what it covers.
    return read.entry === undefined || this.pendingRepairs === 0 ? read : this.uncovered(key, read);
  }

  /** {@link L2Guard.read} while evictions wait for their replay: they are replayed first. */
  private async readRepairing(
    key: string,
    tagHint: readonly string[],
    budget: RedisTimeBudget,
  ): Promise<LayerRead | undefined> {
    const attempt = await this.attempt('read', () => this.layer.read(key, tagHint), {}, budget);
    if (!attempt.ok) return undefined;
    const read = attempt.value;
    return read.entry === undefined || this.pendingRepairs === 0 ? read : this.uncovered(key, read);
  }

  /** `read`, or nothing if an eviction that waits for its replay covers its entry. */
  private uncovered(key: string, read: LayerRead): LayerRead {
    // Replays failed: do not serve what an unreplayed eviction covers.
    return read.entry !== undefined && this.pending.covers(key, read.entry.tags)
      ? { entry: undefined }
      : read;
  }

  /**
   * The token for a guarded write after a miss; `undefined` when Redis was skipped or failed.
   * `seen`: see {@link RedisLayer.missToken}.
   */
  async missToken(key: string, seen?: number | null, budget?: RedisTimeBudget): Promise<number | undefined> {
    const attempt = await this.attempt('read', () => this.layer.missToken(key, seen), {}, budget);
    return attempt.ok ? attempt.value : undefined;
  }

  /**
   * Listens for replayed evictions. The invalidation bus announces them: a failed command may
   * still have run (a timeout), so other instances may hold copies of what a replay removes.
   */
  onReplay(listener: ReplayListener): void {
    this.pending.onReplay(listener);
  }

  /**
   * Writes through Redis: the stored entry's version, `false` when a newer write or a delete
   * wins, `undefined` on failure. `replaces`: the write stands for a change of the source of truth
   * (a set, not a load's result), so if it does not reach Redis the value it replaces is evicted
   * once Redis is back. `via`: what sends it, the lease it releases, its time budget.
   */
  async write(
    key: string,
    entry: EntryToWrite,
    ttlMs: number,
    token: number | undefined,
    replaces: boolean,
    via: L2WriteVia = {},
  ): Promise<number | false | undefined> {
    const { batch, lease, budget } = via;
    const how = batch !== undefined ? { batch } : lease && { lease };
    const written = await this.attempt(
      'write',
      () => this.layer.writeVersion(key, entry, ttlMs, token, how),
      { budget },
    );
    if (written.ok) return written.value ?? false;
    // Else the value it replaces would be served after the outage, or, refused because Redis is
    // out of memory, by every instance now: a delete marker is stored even then.
    if (replaces && written.refused) await this.delete([key], budget);
    else if (replaces) this.pending.rememberDeletes([key]);
    return undefined;
  }

  /**
   * Deletes keys in Redis, or remembers them for when Redis is back (a replayed delete stores its
   * markers only: its change times and announcement are the caller's to make then).
   *
   * `budget`: the Redis time of the operation, when the caller holds it (else found through the
   * async context). `completion`: what the same call does besides, on one server.
   *
   * @returns Each key's delete version, or `undefined` when Redis was skipped or failed.
   */
  async delete(
    keys: readonly string[],
    budget?: RedisTimeBudget,
    completion?: DeleteCompletion,
  ): Promise<readonly number[] | undefined> {
    const versions = await this.run('delete', () => this.layer.deleteVersions(keys, completion), { budget });
    if (versions === undefined) this.pending.rememberDeletes(keys);
    return versions;
  }

  /**
   * Invalidates tag/namespace keys in Redis, or remembers them for when Redis is back.
   *
   * @returns Whether Redis acknowledged it now.
   */
  async invalidate(tagKeys: readonly string[]): Promise<boolean> {
    const done = await this.run('invalidate', async () => {
      await this.layer.invalidate(tagKeys);
      return true;
    });
    if (done === undefined) this.pending.rememberInvalidations(tagKeys);
    return done === true;
  }

  /**
   * Keeps key dependency times alive as long as an entry that depends on them (`ttlMs`).
   *
   * @returns Whether Redis confirmed it; if not, the dependent entry must not be written to Redis.
   */
  async extendDependencies(
    keyDependencies: readonly string[],
    ttlMs: number,
    budget?: RedisTimeBudget,
  ): Promise<boolean> {
    const done = await this.run(
      'write',
      async () => {
        await this.layer.extendDependencies(keyDependencies, ttlMs);
        return true;
      },
      { budget },
    );
    return done === true;
  }
}
