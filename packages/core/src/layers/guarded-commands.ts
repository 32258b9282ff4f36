import { CircuitBreaker } from '../circuit-breaker/circuit-breaker.js';
import { CacheStoreError } from '../errors/cache-store.error.js';
import type { StrataEvents } from '../events/strata-events.js';
import type { RedisLayer } from './redis.layer.js';
import type { RedisConnection } from '../redis/redis-connection.js';
import { isOutOfMemoryReply, isRedisReply } from '../redis/redis-reply.js';
import { L2Probe } from './l2-probe.js';
import { OperationDeadlines } from './operation-deadlines.js';
import { PendingEvictions } from './pending-evictions.js';
import { type Attempt, type GuardedRun, type GuardedRunOptions, REFUSED, SKIPPED } from './guarded-run.js';
import type { RedisTimeBudget } from './redis-time-budget.js';

/**
 * How every L2 command runs: it is skipped while the connection is down or the circuit breaker is
 * open (or its operation's Redis time is spent), its failure becomes an `l2:error` event and an
 * answer of "skipped" (the caller falls back to the loader), and the deletes and invalidations
 * that could not reach Redis are replayed before the next command. All the commands of one cache
 * operation share one Redis time budget (`redis.commandTimeout`), so a frozen Redis holds a call
 * once, not once per command. An out-of-memory refusal is Redis answering, not an outage: it does
 * not count toward the breaker. {@link L2Guard} is the cache's operations on top of it.
 */
export class GuardedCommands {
  protected readonly breaker: CircuitBreaker;
  protected readonly pending: PendingEvictions;
  /** The trial command sent when an open breaker lets one through, or evictions wait. */
  private readonly probe: L2Probe;
  protected readonly deadlines: OperationDeadlines;
  /** On reconnection: replay what waits and close the breaker without waiting for a call. */
  private readonly onReady = (): void => {
    if (this.pendingRepairs > 0 || this.breaker.state !== 'closed') this.probe.later(0);
  };

  constructor(
    protected readonly layer: RedisLayer,
    protected readonly connection: RedisConnection,
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
   * ({@link GuardedCommands.enter}).
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

  protected async run<T>(
    operation: string,
    command: () => Promise<T>,
    options?: GuardedRunOptions,
  ): Promise<T | undefined> {
    const attempt = await this.attempt(operation, command, options);
    return attempt.ok ? attempt.value : undefined;
  }

  protected async attempt<T>(
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

  protected failed(operation: string, error: unknown): Attempt<never> {
    const refused = isOutOfMemoryReply(error);
    // Redis answered: it is up, whatever it refused.
    if (refused) this.breaker.succeed();
    else this.breaker.fail();
    const reported = error instanceof CacheStoreError ? error : new CacheStoreError(operation, error);
    this.events.emit('l2:error', { operation, error: reported });
    return refused ? REFUSED : SKIPPED;
  }
}
