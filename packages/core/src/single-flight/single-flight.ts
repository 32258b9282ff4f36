/**
 * Runs at most one task per key at a time in this process: callers that arrive while a task for
 * their key runs get the same promise, hence the same result or the same error.
 */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** The running task for `key`, if any. */
  get(key: string): Promise<T> | undefined {
    return this.inFlight.get(key);
  }

  /** Number of keys with a task running. */
  get size(): number {
    return this.inFlight.size;
  }

  /** Joins the task running for `key`, or starts `task` as that task. */
  run(key: string, task: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key);
    if (running) return running;
    let done = false;
    const started = (async () => {
      try {
        return await task();
      } finally {
        done = true;
        this.inFlight.delete(key);
      }
    })();
    // A task that throws synchronously has already settled: registering it would pin its error.
    if (!done) this.inFlight.set(key, started);
    return started;
  }

  /** Resolves when every running task has settled (used by shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }
}
