import { ScopedStorage } from '../async/scoped-storage.js';
import { CacheStoreError } from '../errors/cache-store.error.js';
import { isRedisReply } from '../redis/redis-reply.js';
import { RedisTimeBudget } from './redis-time-budget.js';

/**
 * One deadline per cache operation: the commands an operation sends share one
 * {@link RedisTimeBudget}, found through the operation's async context, and each is given up on
 * when the budget runs out. A frozen Redis (or a Cluster whose nodes are all down, where ioredis
 * waits and re-sends before it gives up) then holds a call for one budget, not once per command.
 */
export class OperationDeadlines {
  private readonly operations = new ScopedStorage<RedisTimeBudget>();
  /** Undoing of commands their caller gave up on, and upkeep sent unwaited: shutdown waits for it. */
  private readonly lateWork = new Set<Promise<unknown>>();

  constructor(
    /** Redis time of one operation, in ms (`redis.commandTimeout`). */
    private readonly budgetMs: number,
  ) {}

  /**
   * Runs `fn` as one operation: every Redis command it sends until it returns shares `budget`
   * (by default a new one, or, for a call made inside another operation, from a loader, that
   * operation's). A task it leaves going after it returned gets a budget per command.
   */
  async run<T>(fn: () => Promise<T>, budget?: RedisTimeBudget): Promise<T> {
    const enclosing = this.operations.store;
    // Already inside: nothing to enter, and the budget is the enclosing operation's to finish.
    if (enclosing !== undefined && enclosing.open && (budget === undefined || budget === enclosing)) {
      return fn();
    }
    const own = budget ?? this.fresh();
    try {
      return await this.operations.run(own, fn);
    } finally {
      own.finish();
    }
  }

  /** The budget of the operation in progress, or a new one outside any. */
  current(): RedisTimeBudget {
    const budget = this.operations.store;
    return budget !== undefined && budget.open ? budget : this.fresh();
  }

  /** A new budget, for an operation of its own. */
  fresh(): RedisTimeBudget {
    return new RedisTimeBudget(this.budgetMs);
  }

  /**
   * Runs `command` within what is left of `budget`; rejects with a `CacheStoreError` at the
   * deadline. A command that failed without an answer from Redis (given up on, timed out, its
   * connection lost) may still run in Redis, later: then `undo` is sent at once (Redis runs a
   * connection's commands in order, so it lands after it), never waited for by the caller.
   */
  async within<T>(
    budget: RedisTimeBudget,
    operation: string,
    command: () => Promise<T>,
    undo?: () => Promise<unknown>,
  ): Promise<T> {
    const now = performance.now();
    const leftMs = budget.remainingMs(now);
    budget.begin(now);
    let timer: NodeJS.Timeout | undefined;
    let lastTurn: NodeJS.Immediate | undefined;
    try {
      const sent = command();
      const expiry = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // Timers run before the event loop reads its sockets: after a stall (a GC pause, a
          // CPU-bound request) longer than the budget, the reply may be waiting unread. Give the
          // loop one turn to read it (setImmediate runs after the poll phase) before giving up.
          lastTurn = setImmediate(() => {
            reject(
              new CacheStoreError(
                operation,
                `no reply within the operation's ${this.budgetMs} ms of Redis time`,
              ),
            );
          });
        }, leftMs);
      });
      return await Promise.race([sent, expiry]);
    } catch (error) {
      if (undo !== undefined && !isRedisReply(error)) this.own(undo());
      throw error;
    } finally {
      clearTimeout(timer);
      clearImmediate(lastTurn);
      budget.end();
    }
  }

  /** Waits for the undoing of commands given up on and for upkeep sent unwaited (shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.lateWork]);
  }

  /** Keeps `work`, which no caller waits for, until it settles: {@link drain} waits for it. */
  own(work: Promise<unknown>): void {
    // Best effort: an undo or upkeep that fails leaves what a failed command leaves (a lease expires).
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.lateWork.add(settled);
    void settled.finally(() => this.lateWork.delete(settled));
  }
}
