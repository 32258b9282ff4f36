import { ScopedStorage } from '../async/scoped-storage.js';
import { CacheStoreError } from '../errors/cache-store.error.js';
import { RedisTimeBudget } from './redis-time-budget.js';

/**
 * One deadline per cache operation: the commands an operation sends share one
 * {@link RedisTimeBudget}, found through the operation's async context, and each is given up on
 * when the budget runs out. A frozen Redis (or a Cluster whose nodes are all down, where ioredis
 * waits and re-sends before it gives up) then holds a call for one budget, not once per command.
 */
export class OperationDeadlines {
  private readonly operations = new ScopedStorage<RedisTimeBudget>();
  /** Undoing of replies that came after their caller gave up: shutdown waits for it. */
  private readonly lateWork = new Set<Promise<unknown>>();

  constructor(
    /** Redis time of one operation, in ms (`redis.commandTimeout`). */
    private readonly budgetMs: number,
  ) {}

  /**
   * Runs `fn` as one operation: every Redis command it sends until it returns shares one budget.
   * A task it leaves going after it returned gets a budget per command.
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const budget = new RedisTimeBudget(this.budgetMs);
    try {
      return await this.operations.run(budget, fn);
    } finally {
      budget.finish();
    }
  }

  /** The budget of the operation in progress, or one for a command sent outside any. */
  current(): RedisTimeBudget {
    const budget = this.operations.store;
    return budget !== undefined && budget.open ? budget : new RedisTimeBudget(this.budgetMs);
  }

  /**
   * Runs `command` within what is left of `budget`; rejects with a `CacheStoreError` at the
   * deadline. A command given up on still runs in Redis: its reply, if it comes, goes to `late`
   * (to undo what it did), never to the caller.
   */
  async within<T>(
    budget: RedisTimeBudget,
    operation: string,
    command: () => Promise<T>,
    late?: (reply: T) => Promise<unknown>,
  ): Promise<T> {
    const now = performance.now();
    const leftMs = budget.remainingMs(now);
    budget.begin(now);
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    try {
      const sent = command();
      if (late !== undefined) this.track(sent.then((reply) => (expired ? late(reply) : undefined)));
      const expiry = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          expired = true;
          reject(
            new CacheStoreError(
              operation,
              `no reply within the operation's ${this.budgetMs} ms of Redis time`,
            ),
          );
        }, leftMs);
      });
      return await Promise.race([sent, expiry]);
    } finally {
      clearTimeout(timer);
      budget.end();
    }
  }

  /** Waits for the undoing of late replies (shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.lateWork]);
  }

  private track(work: Promise<unknown>): void {
    // A failure here is the command's own error, already reported to its caller.
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.lateWork.add(settled);
    void settled.finally(() => this.lateWork.delete(settled));
  }
}
