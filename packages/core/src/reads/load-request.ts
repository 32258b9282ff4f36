import type { SealFlags } from '../codec/stored-value.codec.js';
import type { HeldLease } from '../lease/held-lease.js';
import type { RedisTimeBudget } from '../layers/redis-time-budget.js';
import type { LoadOptions } from '../options/call-options.js';
import type { ReadPolicy } from '../options/stale-policy.js';
import type { Tiers } from '../tiers/tiers.js';

/**
 * One `getOrLoad` past its L1 fast path: what every step of the load (L2 read, stale serving,
 * lease, loader, write, background refresh) needs to know about the call. Built once per load
 * that L1 did not answer, and shared by the refreshes it starts.
 *
 * @throws StrataConfigError for a sensitive call that cannot be encrypted (see `Tiers.sealOf`).
 */
export interface LoadRequest {
  /** The entry's full key (`KeyBuilder.entry`). */
  readonly full: string;
  /** Computes the value on a miss. */
  readonly loader: () => unknown;
  /** The call's options (TTL, tags, namespace, `shouldCache`, `share`...). */
  readonly options: LoadOptions<unknown>;
  /** The call's stale-read policy, its options over the stack's defaults. */
  readonly policy: ReadPolicy;
  /** The dependency keys of the call's tags and namespace (`KeyBuilder.dependencies`). */
  readonly tagKeys: readonly string[];
  /** How the entry is stored in Redis (`Tiers.sealOf`): encrypted, never compressed. */
  readonly seal: SealFlags;
}

/**
 * Redis's write token of a load not taken yet: it is taken just before the loader runs, in the
 * round trip that takes the lease (`seen`: the version of the record the miss read found, `null`
 * for none, so that a change made since that read refuses the write; `undefined`: compare
 * nothing, for a load that must run although an entry exists).
 */
export interface PendingL2Token {
  readonly seen: number | null | undefined;
}

/**
 * Write tokens of a load (no stale sets): L1's logical clock, taken before the L2 read, and Redis
 * time on the entry's node, taken (or {@link PendingL2Token} to be taken) before the loader runs;
 * `l2` is `undefined` when Redis failed or was skipped. They travel beside a {@link LoadRequest}:
 * a refresh of the same request takes its own.
 */
export interface Tokens {
  readonly l1: number | undefined;
  readonly l2: number | PendingL2Token | undefined;
}

/**
 * The tokens a loader's write goes with: both taken, the lease the load holds, if any, and the
 * Redis time of the load's operation (its loader runs in the operation's async context).
 */
export interface LoaderTokens {
  readonly l1: number | undefined;
  readonly l2: number | undefined;
  readonly lease: HeldLease | undefined;
  readonly budget: RedisTimeBudget | undefined;
}

/** The {@link LoadRequest} of one call. */
export function loadRequest(
  tiers: Tiers,
  full: string,
  loader: () => unknown,
  options: LoadOptions<unknown>,
  policy: ReadPolicy,
): LoadRequest {
  return { full, loader, options, policy, tagKeys: tiers.tagKeys(options), seal: tiers.sealOf(options) };
}
