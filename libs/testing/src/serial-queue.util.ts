/**
 * Runs async operations one after another, so a `restart()` racing a `stop()` on the same server
 * cannot interleave. A failed operation does not block the ones queued after it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Queues `operation` after every operation queued before it.
   *
   * @param operation - The work to run.
   * @returns The operation's result.
   */
  run<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.tail.then(operation, operation);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
