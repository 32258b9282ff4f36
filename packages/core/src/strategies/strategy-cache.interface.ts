/**
 * A named cache bound to a strategy (`@InjectCache('prices')`). The read path loads on a miss;
 * `set` and `delete` follow the strategy's write path.
 */
export interface StrategyCache<T> {
  /** The cache's name (also its namespace). */
  readonly name: string;
  /** Reads a key, loading it on a miss when the cache has a loader; `undefined` when absent. */
  get(key: string): Promise<T | undefined>;
  /** Writes a value through the strategy's write path. */
  set(key: string, value: T): Promise<void>;
  /** Deletes a key through the strategy's write path. */
  delete(key: string): Promise<void>;
}
