/**
 * Runs at most one task per key at a time in this process: callers that arrive while a task for
 * their key runs get the same promise, hence the same result or the same error.
 */
export class SingleFlight<T> {
  /** The task callers of each key join, with the token it started under. */
  private readonly inFlight = new Map<
    string,
    { readonly promise: Promise<T>; readonly token: number | undefined }
  >();
  /** Every task running, including those no longer joined (shutdown waits for them). */
  private readonly running = new Set<Promise<T>>();

  /** The running task for `key`, if any. */
  get(key: string): Promise<T> | undefined {
    return this.inFlight.get(key)?.promise;
  }

  /** Whether a task for `key` runs, and the token it started under. */
  runningTask(key: string): { readonly token: number | undefined } | undefined {
    return this.inFlight.get(key);
  }

  /** Number of keys with a task running. */
  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Joins the task running for `key`, or starts `task` as that task. `token`: what the task
   * starts under (an L1 miss token, see {@link SingleFlight.runningTask}). `replace`: start `task`
   * even when one runs (its result is older than what this caller may read: its key or a tag was
   * invalidated since it began); later callers join the new one.
   */
  run(key: string, task: () => Promise<T>, token?: number, replace = false): Promise<T> {
    const running = this.inFlight.get(key);
    if (running !== undefined && !replace) return running.promise;
    let done = false;
    // Unset while `task` throws synchronously (the `finally` below then runs before it is).
    const self: { flight?: Promise<T> } = {};
    const started = (async () => {
      try {
        return await task();
      } finally {
        done = true;
        const flight = self.flight;
        if (flight !== undefined) {
          if (this.inFlight.get(key)?.promise === flight) this.inFlight.delete(key);
          this.running.delete(flight);
        }
      }
    })();
    self.flight = started;
    // A task that throws synchronously has already settled: registering it would pin its error.
    if (!done) {
      this.inFlight.set(key, { promise: started, token });
      this.running.add(started);
    }
    return started;
  }

  /** Resolves when every running task has settled (used by shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}
