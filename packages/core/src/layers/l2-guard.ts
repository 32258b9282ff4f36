import { CircuitBreaker } from '../circuit-breaker/circuit-breaker.js';
import { CacheStoreError } from '../errors/cache-store.error.js';
import type { StrataEvents } from '../events/strata-events.js';
import type { EntryToWrite, LayerRead } from './cache-layer.interface.js';
import type { DeleteCompletion, RedisLayer } from './redis.layer.js';
import type { RedisConnection } from '../redis/redis-connection.js';
import { isOutOfMemoryReply, isRedisReply } from '../redis/redis-reply.js';
import { L2Probe } from './l2-probe.js';
import { OperationDeadlines } from './operation-deadlines.js';
import { PendingEvictions, type ReplayListener } from './pending-evictions.js';
import { type Attempt, type GuardedRun, type GuardedRunOptions, REFUSED, SKIPPED } from './guarded-run.js';
import type { RedisTimeBudget } from './redis-time-budget.js';
import type { L2WriteVia } from './l2-write-via.js';

/**
 * The one path every L2 operation takes. It skips Redis while the connection is down or the
 * circuit breaker is open, turns failures into `undefined` (the caller falls back to the loader)
 * plus an `l2:error` event, and never lets a delete or invalidation be lost: one that could not
 * reach Redis is remembered and replayed before Redis serves anything again, so an entry
 * evicted during an outage does not come back when Redis does.
 *
 * All the commands of one cache operation ({@link L2Guard.operation}) share one Redis time
 * budget (`redis.commandTimeout`), so a frozen Redis holds a call once, not once per command.
 * An out-of-memory refusal is Redis answering, not an outage: it does not count toward the
 * breaker.
 */
export class L2Guard {
  private readonly breaker: CircuitBreaker;
  private readonly pending: PendingEvictions;
  /** The trial command sent when an open breaker lets one through, or evictions wait. */
  private readonly probe: L2Probe;
  private readonly deadlines: OperationDeadlines;
  /** On reconnection: replay what waits and close the breaker without waiting for a call. */
  private readonly onReady = (): void => {
    if (this.pendingRepairs > 0 || this.breaker.state !== 'closed') this.probe.later(0);
  };

  constructor(
    private readonly layer: RedisLayer,
    private readonly connection: RedisConnection,
    private readonly events: StrataEvents,
    breaker: { failureThreshold: number; breakDurationMs: number },
    /** Redis time of one cache operation, all its commands together (`redis.commandTimeout`). */
    budgetMs: number,
  ) {
    this.deadlines = new OperationDeadlines(budgetMs, layer.sends);
    this.probe = new L2Probe(
      connection,
      () => this.run('probe', () => connection.client.ping()),
      () => this.breaker.state === 'closed',
    );
    this.pending = new PendingEvictions(layer, events);
    this.breaker = new CircuitBreaker({
      ...breaker,
      onStateChange: (state) => {
        events.emit('breaker:state', { state });
        if (state === 'open') this.probe.later(breaker.breakDurationMs);
      },
    });
    connection.client.on('ready', this.onReady);
  }

  /** The breaker's state, for health checks. */
  get breakerState(): CircuitBreaker['state'] {
    return this.breaker.state;
  }

  /** Deletes and invalidations waiting for Redis to come back. */
  get pendingRepairs(): number {
    return this.pending.size;
  }

  /**
   * Runs `fn` as one cache operation: every Redis command it sends (until it returns) shares
   * `budget` (by default a new one, or the enclosing operation's for a call made from a loader).
   * A task it leaves going after it returned gets a budget per command.
   */
  operation<T>(fn: () => Promise<T>, budget?: RedisTimeBudget): Promise<T> {
    return this.deadlines.run(fn, budget);
  }

  /**
   * Runs `fn` as one cache operation over `budget`, which `fn` hands to its commands itself (see
   * `OperationDeadlines.explicit`): a miss, whose async context is entered for its loader only
   * ({@link L2Guard.enter}).
   */
  explicitOperation<T>(fn: () => Promise<T>, budget: RedisTimeBudget): Promise<T> {
    return this.deadlines.explicit(fn, budget);
  }

  /** Runs `fn` (a loader) in the async context of `budget`'s operation: the calls it makes share it. */
  enter<T>(fn: () => Promise<T>, budget: RedisTimeBudget): Promise<T> {
    return this.deadlines.enter(fn, budget);
  }

  /** Runs `fn` as an operation of its own, even inside another (a background refresh). */
  detachedOperation<T>(fn: () => Promise<T>): Promise<T> {
    return this.deadlines.run(fn, this.deadlines.fresh());
  }

  /**
   * The Redis time budget of the operation in progress, or a new one: a read hands it on to what
   * follows a miss without entering an operation (an L2 hit sends one command).
   */
  budget(): RedisTimeBudget {
    return this.deadlines.current();
  }

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

  /** Invalidates tag/namespace keys in Redis, or remembers them for when Redis is back. */
  async invalidate(tagKeys: readonly string[]): Promise<void> {
    const done = await this.run('invalidate', async () => {
      await this.layer.invalidate(tagKeys);
      return true;
    });
    if (done === undefined) this.pending.rememberInvalidations(tagKeys);
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

  /**
   * Runs another feature's Redis command the way every L2 command runs (skipped while Redis is
   * down or the breaker open, failures counted and reported).
   *
   * @returns The command's result, or `undefined` when it was skipped or failed.
   */
  readonly command: GuardedRun = <T>(
    operation: string,
    command: () => Promise<T>,
    options?: GuardedRunOptions,
  ): Promise<T | undefined> => this.run(operation, command, options);

  /** Stops probing and waits for a replay or probe in progress (shutdown). */
  async drain(): Promise<void> {
    this.connection.client.off('ready', this.onReady);
    await this.probe.stop();
    await this.pending.settled();
    await this.deadlines.drain();
  }

  private async run<T>(
    operation: string,
    command: () => Promise<T>,
    options?: GuardedRunOptions,
  ): Promise<T | undefined> {
    const attempt = await this.attempt(operation, command, options);
    return attempt.ok ? attempt.value : undefined;
  }

  private async attempt<T>(
    operation: string,
    command: () => Promise<T>,
    options: GuardedRunOptions = {},
    budget = options.budget ?? this.deadlines.current(),
  ): Promise<Attempt<T>> {
    // Once its operation has used up its Redis time, a command is not sent; upkeep goes on its own.
    if (budget.spent()) {
      // With a budget of its own, this run does not come back here.
      if (options.background === true) {
        const own = { ...options, budget: undefined };
        this.deadlines.own(this.detachedOperation(() => this.run(operation, command, own)));
      }
      return SKIPPED;
    }
    // No offline queue: while disconnected a command would fail anyway; skip without a round trip.
    if (!this.connection.ready || !this.breaker.allows()) return SKIPPED;
    try {
      // Upkeep serves nothing: it need not wait for the replay (nor fail with it).
      if (this.pendingRepairs > 0 && options.background !== true) await this.replay(budget);
      const value = await this.deadlines.within(budget, operation, command, options.undo);
      this.breaker.succeed();
      return { ok: true, value };
    } catch (error) {
      return this.failed(operation, error);
    }
  }

  /**
   * Replays remembered evictions before a command. A replay Redis answered with an error (it is
   * up) does not hold the command back: reads still skip what it covers (see `read`), and the
   * bus announcement must go out. One that timed out or met a lost connection fails the command.
   */
  private async replay(budget: RedisTimeBudget): Promise<void> {
    try {
      await this.deadlines.within(budget, 'repair', () => this.pending.replay());
    } catch (error) {
      if (!isRedisReply(error)) throw error;
      this.events.emit('l2:error', { operation: 'repair', error: new CacheStoreError('repair', error) });
    }
  }

  private failed(operation: string, error: unknown): Attempt<never> {
    const refused = isOutOfMemoryReply(error);
    // Redis answered: it is up, whatever it refused.
    if (refused) this.breaker.succeed();
    else this.breaker.fail();
    const reported = error instanceof CacheStoreError ? error : new CacheStoreError(operation, error);
    this.events.emit('l2:error', { operation, error: reported });
    return refused ? REFUSED : SKIPPED;
  }
}
