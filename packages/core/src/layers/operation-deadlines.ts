import { ScopedStorage } from '../async/scoped-storage.js';
import type { CoalescedSends } from '../redis/coalesced-sends.js';
import { isRedisReply } from '../redis/redis-reply.js';
import { CommandDeadline, type DeadlineWatch } from './command-deadline.js';
import { InFlightCommands, type InFlightCommand } from './in-flight-commands.js';
import { RedisTimeBudget } from './redis-time-budget.js';

/**
 * One deadline per cache operation: the commands an operation sends share one
 * {@link RedisTimeBudget}, found through the operation's async context, and each is given up on
 * when the budget runs out. A frozen Redis (or a Cluster whose nodes are all down, where ioredis
 * waits and re-sends before it gives up) then holds a call for one budget, not once per command.
 * One timer, armed for the earliest deadline in flight, serves every command.
 */
export class OperationDeadlines implements DeadlineWatch {
  private readonly operations = new ScopedStorage<RedisTimeBudget>();
  /** Undoing of commands their caller gave up on, and upkeep sent unwaited: shutdown waits for it. */
  private readonly lateWork = new Set<Promise<unknown>>();
  /** Commands in flight, each with its deadline; one timer serves them all. */
  private readonly inFlight = new InFlightCommands();
  private timer: NodeJS.Timeout | undefined;
  /** When {@link OperationDeadlines.timer} fires (`Infinity`: not armed). */
  private timerAt = Infinity;

  constructor(
    /** Redis time of one operation, in ms (`redis.commandTimeout`). */
    readonly budgetMs: number,
    /** What holds the connection's writes back to the end of a pass, if anything. */
    private readonly sends?: CoalescedSends,
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

  /**
   * Runs `fn` as one operation over `budget` without entering its async context, which costs
   * every promise created meanwhile: `fn` hands the budget to its commands itself, and runs what
   * may call back into the cache (a loader) with {@link OperationDeadlines.enter}. The budget is
   * finished when `fn` returns, unless it is the enclosing operation's.
   */
  async explicit<T>(fn: () => Promise<T>, budget: RedisTimeBudget): Promise<T> {
    if (this.operations.store === budget) return fn();
    try {
      return await fn();
    } finally {
      budget.finish();
    }
  }

  /**
   * Runs `fn`, a part of an {@link OperationDeadlines.explicit} operation that may call back into
   * the cache (a loader), in the operation's async context: the calls it makes share `budget`.
   */
  enter<T>(fn: () => Promise<T>, budget: RedisTimeBudget): Promise<T> {
    return this.operations.store === budget ? fn() : this.operations.run(budget, fn);
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
   * Runs `command` within what is left of `budget`, counted from when it is written (at the end
   * of the pass when the connection holds writes back); rejects with a `CacheStoreError` at the
   * deadline. A command that failed without an answer from Redis (given up on, timed out, its
   * connection lost) may still run in Redis, later: then `undo` is sent at once (Redis runs a
   * connection's commands in order, so it lands after it), never waited for by the caller.
   */
  within<T>(
    budget: RedisTimeBudget,
    operation: string,
    command: () => Promise<T>,
    undo?: () => Promise<unknown>,
  ): Promise<T> {
    let sent: Promise<T>;
    try {
      sent = command();
    } catch (error) {
      if (undo !== undefined && !isRedisReply(error)) this.own(undo());
      // What the command threw, unchanged, as an async function would have rejected with it.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error);
    }
    // Not an async function: on the hot path of every command, one promise and one turn fewer.
    return new Promise<T>((resolve, reject) => {
      const pending = new CommandDeadline<T>(this, budget, operation, undo, resolve, reject);
      // Held back to the end of the pass: its clock starts once it is written.
      const sends = this.sends;
      if (sends?.holding === true) sends.afterRelease(pending);
      else pending.start();
      sent.then(pending.answered, pending.failed);
    });
  }

  /** Waits for the undoing of commands given up on and for upkeep sent unwaited (shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.lateWork]);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** Has `command` given up on at its deadline, by the one timer of all commands in flight. */
  watch(command: InFlightCommand): void {
    this.inFlight.add(command);
    if (command.deadline < this.timerAt) this.arm(command.deadline);
  }

  /** Stops watching `command`, which settled. */
  unwatch(command: InFlightCommand): void {
    this.inFlight.delete(command);
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.expireDue, at - performance.now());
    // A command in flight holds its connection's socket, which keeps the process alive.
    this.timer.unref();
  }

  /**
   * Gives up on the commands whose deadline came (timers fire on whole milliseconds: within one
   * of it), then waits for the next. A timer left armed after its commands settled fires once,
   * for nothing: cheaper than a timer set and cleared per command.
   */
  private readonly expireDue = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    this.inFlight.forEach((command) => {
      if (command.deadline - now < 1) {
        this.inFlight.delete(command);
        command.expire();
      } else if (command.deadline < next) next = command.deadline;
    });
    if (next !== Infinity) this.arm(next);
  };

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
