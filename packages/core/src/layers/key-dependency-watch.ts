import { LRUCache } from 'lru-cache';

/** Most key dependencies L1 watches; past it the least recently used is forgotten (see below). */
const MAX_WATCHED = 100_000;

/**
 * Which key dependencies (docs/dependencies.md) some L1 entry may depend on. Every set and delete
 * changes its key's dependency time, but L1 only needs to remember the changes of keys an entry
 * depends on: recording all of them would keep one invalidation per key ever written.
 *
 * A key is watched from the moment a tracked computation reads it (before the entry computed from
 * it exists, so a change made meanwhile is remembered) and whenever an entry carrying it is
 * written. The watch list is bounded: when a key is forgotten, {@link KeyDependencyWatch.forgottenUpTo}
 * moves to the current clock, and an entry created before that which carries an unwatched key
 * dependency is treated as invalidated (a change of that key may have gone unrecorded).
 */
export class KeyDependencyWatch {
  private readonly watched: LRUCache<string, true>;
  /** L1 clock time up to which a forgotten key's changes may have been missed. */
  forgottenUpTo = 0;

  constructor(
    /** The key dependency prefix (`KeyBuilder.keyDependencyPrefix`). */
    private readonly prefix: string,
    /** The L1 clock now. */
    private readonly now: () => number,
    max = MAX_WATCHED,
  ) {
    this.watched = new LRUCache<string, true>({
      max,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.forgottenUpTo = this.now();
      },
    });
  }

  /** Whether `dependency` is a key dependency (rather than a tag or namespace time). */
  isKeyDependency(dependency: string): boolean {
    return dependency.startsWith(this.prefix);
  }

  /** Watches the key dependencies among `dependencies`. */
  watch(dependencies: readonly string[]): void {
    for (const dependency of dependencies) {
      if (this.isKeyDependency(dependency)) this.watched.set(dependency, true);
    }
  }

  /** Whether a change of this dependency must be remembered: any tag, or a watched key. */
  matters(dependency: string): boolean {
    return !this.isKeyDependency(dependency) || this.watched.has(dependency);
  }

  /** Whether an entry created at `created` carrying `dependency` may have missed one of its changes. */
  missed(dependency: string, created: number): boolean {
    return created <= this.forgottenUpTo && this.isKeyDependency(dependency) && !this.watched.has(dependency);
  }
}
