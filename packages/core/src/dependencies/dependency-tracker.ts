import { ScopedStorage } from '../async/scoped-storage.js';
import type { KeyBuilder } from '../keys/key-builder.js';

/** What {@link DependencyTracker.collect} returns. */
export interface Collected<T> {
  /** What the function returned. */
  readonly value: T;
  /**
   * The full dependency keys read while it ran (key dependencies, tag and namespace time keys),
   * each once, in the order first read. Give them to `WriteOptions.dependsOn`.
   */
  readonly dependencies: readonly string[];
}

/**
 * Records which keys and tags a computation read through the stack, across `await`s, with an
 * `AsyncLocalStorage` of its own (one per `CacheStack`, not a process-wide singleton).
 *
 * Nothing is recorded outside {@link DependencyTracker.collect}, and the store is on only while
 * a collection runs ({@link ScopedStorage}): on Node 20 an entered `AsyncLocalStorage` costs
 * every `await` of the process a promise hook, so a process serving hits between misses runs
 * without them. A task a computation left running after its collection finished records
 * nothing more.
 */
export class DependencyTracker {
  private readonly scope = new ScopedStorage<Set<string>>();

  constructor(
    /** `false` (the stack's `dependencies: false`): `collect` records nothing. */
    private readonly enabled: boolean,
    private readonly keys: KeyBuilder,
    /** Told of each key read while tracking, so L1 remembers its changes from now on. */
    private readonly watch: (keyDependency: string) => void = () => undefined,
  ) {}

  /** Whether a collection is in progress in the current async context. */
  get active(): boolean {
    return this.scope.store !== undefined;
  }

  /**
   * Runs `fn`, recording what it reads; nested collections also record into the enclosing one
   * (their reads are the enclosing computation's reads too).
   */
  async collect<T>(fn: () => T | Promise<T>): Promise<Collected<T>> {
    if (!this.enabled) return { value: await fn(), dependencies: [] };
    const parent = this.scope.store;
    const own = new Set<string>();
    const value = await this.scope.run(own, fn);
    if (parent !== undefined) for (const dependency of own) parent.add(dependency);
    return { value, dependencies: [...own] };
  }

  /**
   * Records a read of the entry `full` (hit or miss: a later set of that key changes what the
   * computation would read), and the dependencies the entry carries (its namespace, tags, and
   * what its own loader read).
   */
  record(full: string, carried: readonly string[]): void {
    const store = this.scope.store;
    if (store === undefined) return;
    const keyDependency = this.keys.keyDependency(full);
    if (!store.has(keyDependency)) this.watch(keyDependency);
    store.add(keyDependency);
    for (const dependency of carried) store.add(dependency);
  }
}

/** An entry's own tags, then the dependencies it read that are not among them (once each). */
export function mergeDependencies(own: readonly string[], read: readonly string[]): readonly string[] {
  const merged = new Set(own);
  for (const dependency of read) merged.add(dependency);
  return [...merged];
}
