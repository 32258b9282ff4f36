/**
 * Runs operations on one key one after the other, in call order (operations on different keys
 * run concurrently). Strategies use it so that two writes to a key cannot reach the database and
 * the cache in different orders.
 */
export class PerKeyOrder {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `operation` after every earlier operation on `key` has settled. */
  run(key: string, operation: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(operation);
    // The tail never rejects: one failed write must not fail the writes queued behind it.
    const tail = current.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    return current.finally(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
  }
}
