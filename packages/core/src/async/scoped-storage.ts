import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * An `AsyncLocalStorage` that is on only while a {@link ScopedStorage.run} is in progress.
 *
 * On Node 20 an entered `AsyncLocalStorage` installs promise hooks, a cost every `await` of the
 * process pays, the app's own included. So the first `run` turns it on and the last one to
 * finish turns it off again (`disable()`): a process between runs has no hooks for it. A task
 * a run left going after it finished no longer sees its store.
 */
export class ScopedStorage<T> {
  private readonly storage = new AsyncLocalStorage<T>();
  /** Runs in progress: while 0, {@link ScopedStorage.store} is one property read. */
  private running = 0;

  /** The store of the run the caller is in, or `undefined` outside every run. */
  get store(): T | undefined {
    return this.running > 0 ? this.storage.getStore() : undefined;
  }

  /** Runs `fn` with `store` as the store of its async context, across its `await`s. */
  async run<R>(store: T, fn: () => R | Promise<R>): Promise<R> {
    this.running++;
    try {
      return await this.storage.run(store, fn);
    } finally {
      this.running--;
      // No run left anywhere: nothing can need the store until the next one enters it.
      if (this.running === 0) this.storage.disable();
    }
  }
}
