/**
 * How long one cache operation may wait on Redis, all its commands together: a `get` (its read
 * and the token after a miss), a `getOrLoad` (read, token, lease, write, release), a `delete`
 * (the delete, its key dependency times and its bus announcement). Only time with a command in
 * flight counts: a loader running between two commands does not use it up, or a slow loader
 * would leave nothing for the write of its result. Commands in flight together count once.
 *
 * Time is read from `performance.now()`: a wall-clock step must not stretch or cut the bound.
 */
export class RedisTimeBudget {
  private spentMs = 0;
  private inFlight = 0;
  private busySince = 0;
  private finished = false;

  constructor(
    /** The whole budget, in ms (`redis.commandTimeout`). */
    readonly limitMs: number,
  ) {}

  /** Whether the operation that owns it is still running: a task it left going gets its own. */
  get open(): boolean {
    return !this.finished;
  }

  /** What is left now, in ms (0 or less: spent). */
  remainingMs(now = performance.now()): number {
    const current = this.inFlight > 0 ? now - this.busySince : 0;
    return this.limitMs - this.spentMs - current;
  }

  /**
   * Whether too little is left to send a command: timers fire on whole milliseconds, so a
   * command given less than one would be sent only to be given up on at once.
   */
  spent(now = performance.now()): boolean {
    return this.remainingMs(now) < 1;
  }

  /** A command is sent. */
  begin(now = performance.now()): void {
    if (this.inFlight++ === 0) this.busySince = now;
  }

  /** A command settled (or was given up on). */
  end(now = performance.now()): void {
    if (--this.inFlight === 0) this.spentMs += now - this.busySince;
  }

  /** The operation returned. */
  finish(): void {
    this.finished = true;
  }
}
