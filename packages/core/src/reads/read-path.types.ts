import type { CacheEntry } from '../codec/entry.envelope.js';
import type { EncodedValue } from '../codec/value.codec.js';
import type { PendingL2Token, Tokens } from './load-request.js';

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

/**
 * An L2 read: a fresh entry, or what the token for the write that follows compares against (and
 * the stale entry, if any).
 */
export type L2Lookup =
  | { readonly hit: true; readonly entry: CacheEntry; readonly shared: unknown }
  | {
      readonly hit: false;
      readonly token: PendingL2Token | undefined;
      readonly stale: CacheEntry | undefined;
    };

/** How `ReadPath.readL2` reads: for the write that follows a miss, and with what frozen copy. */
export interface L2ReadMode {
  /**
   * Ready the Redis token for the write that follows a miss (taken later, with the lease: no
   * round trip here).
   */
  readonly wantToken: boolean;
  /** Keep the decoded value frozen in L1 and hand it out (`share`). */
  readonly share?: boolean;
}

/** The modes `ReadPath.readL2` reads with, built once: an L2 read allocates none. */
export const L2_READ = {
  lookup: { wantToken: false },
  lookupShared: { wantToken: false, share: true },
  forWrite: { wantToken: true },
  forWriteShared: { wantToken: true, share: true },
} as const satisfies Record<string, L2ReadMode>;

/** What a load makes of Redis skipped or failed: a miss, with no write token. */
export const MISS_WITHOUT_TOKEN: L2Lookup = { hit: false, token: undefined, stale: undefined };

/** How a refresh starts: with the tokens of the read that found the entry stale, by reading again, or at once. */
export type Start = Tokens | 'revalidate' | 'recompute';

/** An expired entry that may stand in for a load. */
export interface StaleRecord {
  readonly entry: CacheEntry;
  readonly shared: unknown;
  /** Set on an entry read from Redis (for the `stale` event); L1 records have none. */
  readonly layer?: 'l2';
}

/** What `ReadPath.fromL1` returns when L1 has nothing it may serve. */
export const NOT_SERVED: unique symbol = Symbol('strata:not-served');
