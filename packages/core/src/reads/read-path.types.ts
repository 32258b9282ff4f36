import type { CacheEntry } from '../codec/entry.envelope.js';
import type { EncodedValue } from '../codec/value.codec.js';
import type { StrataEvents } from '../events/strata-events.js';
import type { DependencyTracker } from '../dependencies/dependency-tracker.js';
import type { KeyBuilder } from '../keys/key-builder.js';
import type { LoadLeases } from '../lease/load-lease.js';
import type { MemoryLayer } from '../layers/memory.layer.js';
import type { ResolvedStackOptions } from '../options/resolve-options.js';
import type { TtlPolicy } from '../ttl/ttl-policy.js';
import type { EntryWriter } from '../writes/entry-writer.js';
import type { L2Guard } from '../layers/l2-guard.js';

/** A load's result. */
export interface Loaded {
  readonly value: unknown;
  /** Set when followers must decode their own copy. */
  readonly encoded: EncodedValue | undefined;
  /**
   * The dependency keys the value carries (its entry's tags, with what its loader read inside a
   * tracked computation); absent: those of the call's options.
   */
  readonly tags?: readonly string[];
}

/** An L2 read: a fresh entry, or the token for the write that follows (and the stale entry, if any). */
export type L2Lookup =
  | { readonly hit: true; readonly entry: CacheEntry; readonly shared: unknown }
  | { readonly hit: false; readonly token: number | undefined; readonly stale: CacheEntry | undefined };

/** `CacheStack.write`, as the read path calls it. */
export type WriteEntry = EntryWriter['write'];

/** What the read path uses of its `CacheStack`. */
export interface ReadPathDeps {
  readonly options: ResolvedStackOptions;
  readonly events: StrataEvents;
  readonly keys: KeyBuilder;
  readonly ttl: TtlPolicy;
  readonly l1: MemoryLayer | undefined;
  readonly guard: L2Guard | undefined;
  /** Cross-instance single-flight, with Redis unless `lease: false`. */
  readonly leases: LoadLeases | undefined;
  readonly write: WriteEntry;
  readonly isClosed: () => boolean;
  /** Records the keys and tags read inside `CacheStack.trackDependencies`. */
  readonly tracker: DependencyTracker;
}

/** Write tokens taken before a loader runs (no stale sets): L1's clock, Redis time. */
export interface Tokens {
  readonly l1: number | undefined;
  readonly l2: number | undefined;
}
