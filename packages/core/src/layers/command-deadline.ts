import { CacheStoreError } from '../errors/cache-store.error.js';
import { isRedisReply } from '../redis/redis-reply.js';
import type { InFlightCommand } from './in-flight-commands.js';
import type { RedisTimeBudget } from './redis-time-budget.js';

/** What a {@link CommandDeadline} needs of the deadlines that watch it (`OperationDeadlines`). */
export interface DeadlineWatch {
  /** Redis time of one operation, in ms, named in the error of a command given up on. */
  readonly budgetMs: number;
  /** Gives up on `command` at its deadline ({@link CommandDeadline.expire}). */
  watch(command: InFlightCommand): void;
  /** Stops watching `command`, which settled. */
  unwatch(command: InFlightCommand): void;
  /** Keeps `work`, which no caller waits for, until it settles (shutdown waits for it). */
  own(work: Promise<unknown>): void;
}

/**
 * A command of an operation awaiting its reply: settles the caller's promise with the reply, or
 * with a `CacheStoreError` once its deadline passed. Its Redis time runs from
 * {@link CommandDeadline.start} (when it is written) until it settles. One object per command,
 * with two callbacks: the hot path of every Redis command allocates little.
 */
export class CommandDeadline<T> implements InFlightCommand {
  /** When it is given up on (`performance.now()` time); `Infinity` until it starts. */
  deadline = Infinity;
  previous: InFlightCommand | undefined = undefined;
  next: InFlightCommand | undefined = undefined;
  private started = false;
  private settled = false;
  private lastTurn: NodeJS.Immediate | undefined;

  constructor(
    private readonly deadlines: DeadlineWatch,
    private readonly budget: RedisTimeBudget,
    private readonly operation: string,
    /** Sent when the command failed without an answer from Redis: it may still run, later. */
    private readonly undo: (() => Promise<unknown>) | undefined,
    private readonly resolve: (value: T) => void,
    private readonly reject: (reason: unknown) => void,
  ) {}

  /** The command is written: its clock starts. */
  start(): void {
    if (this.settled) return;
    const now = performance.now();
    this.deadline = now + this.budget.remainingMs(now);
    this.started = true;
    this.budget.begin(now);
    this.deadlines.watch(this);
  }

  /** For the command's `then`: its reply. */
  readonly answered = (value: T): void => {
    if (this.settle()) this.resolve(value);
  };

  /** For the command's `then`: its failure (or the deadline's error). */
  readonly failed = (error: unknown): void => {
    if (!this.settle()) return;
    if (this.undo !== undefined && !isRedisReply(error)) this.deadlines.own(this.undo());
    this.reject(error);
  };

  /**
   * The deadline passed. Timers run before the event loop reads its sockets: after a stall (a GC
   * pause, a CPU-bound request) longer than the budget, the reply may be waiting unread. Give the
   * loop one turn to read it (setImmediate runs after the poll phase) before giving up.
   */
  expire(): void {
    this.lastTurn = setImmediate(() => {
      this.failed(
        new CacheStoreError(
          this.operation,
          `no reply within the operation's ${this.deadlines.budgetMs} ms of Redis time`,
        ),
      );
    });
  }

  /** Marks it settled (`false` if it already was) and stops its clock. */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.started) {
      this.deadlines.unwatch(this);
      clearImmediate(this.lastTurn);
      this.budget.end();
    }
    return true;
  }
}
