import { decodeValue } from '../codec/value.codec.js';
import { l2LookupOf } from '../reads/l2-lookup.js';
import { L2_READ, MISS_WITHOUT_TOKEN, NOT_SERVED, type Loaded } from '../reads/read-path.types.js';
import { invalidTtl, resolveReadPolicy, type ReadPolicy } from '../options/stale-policy.js';
import { loadRequest } from '../reads/load-request.js';
import type { ReadPath } from '../reads/read-path.js';
import { SingleFlight } from '../single-flight/single-flight.js';
import { withCallLifetimes } from '../ttl/ttl-policy.js';
import type { GetOptions, LoadOptions } from '../options/call-options.js';
import type { Tiers } from '../tiers/tiers.js';

const NO_TAGS: readonly string[] = [];

/** A policy with a call's lifetimes, and what it was built from. */
interface CallLifetimes {
  readonly defaults: ReadPolicy;
  readonly ttl: LoadOptions<unknown>['ttl'];
  readonly nullTtl: LoadOptions<unknown>['nullTtl'];
  readonly policy: ReadPolicy;
}

/**
 * The reads of a stack by full key, past the caller's L1 peek: `get`'s L2 read, and `getOrLoad`'s
 * stale serving from L1 and its load, run once per key in this process (single-flight).
 */
export class EntryLoads {
  private readonly flights = new SingleFlight<Loaded>();
  private lastLifetimes: CallLifetimes | undefined;

  constructor(
    private readonly tiers: Tiers,
    private readonly reads: ReadPath,
  ) {}

  /**
   * `defaults` with the call's `ttl` and `nullTtl` in ms. The last result is kept: calls of one
   * call site, with the same options, reuse it (a policy is never changed once built).
   */
  private withLifetimes(defaults: ReadPolicy, options: LoadOptions<unknown>): ReadPolicy {
    const { ttl, nullTtl } = options;
    const last = this.lastLifetimes;
    if (last !== undefined && last.defaults === defaults && last.ttl === ttl && last.nullTtl === nullTtl) {
      return last.policy;
    }
    const policy = withCallLifetimes(defaults, ttl, nullTtl);
    this.lastLifetimes = { defaults, ttl, nullTtl, policy };
    return policy;
  }

  /** Waits for the loads in flight. */
  drain(): Promise<void> {
    return this.flights.drain();
  }

  /** See `Engine.readEntry`. */
  async read(full: string, options: GetOptions): Promise<unknown> {
    const { tiers } = this;
    const { guard } = tiers;
    const mode = options.share === true ? L2_READ.lookupShared : L2_READ.lookup;
    const seal = tiers.sealOf(options);
    // `ReadPath.readL2`, inline: one async frame fewer on the hot path of an L2 hit.
    const l1Token = tiers.l1?.missToken();
    const read = guard === undefined ? undefined : await guard.read(full, tiers.tagKeys(options));
    const l2 = read === undefined ? MISS_WITHOUT_TOKEN : l2LookupOf(tiers, full, read, l1Token, mode, seal);
    if (l2.hit) {
      tiers.tracker.record(full, l2.entry.tags);
      return tiers.materialize(l2.entry.value, l2.shared);
    }
    tiers.entryEvents.miss(full);
    // A later set of the key would change what the caller read.
    tiers.tracker.record(full, NO_TAGS);
    return undefined;
  }

  /** See `Engine.loadEntry`. */
  async load(full: string, loader: () => unknown, options: LoadOptions<unknown>): Promise<unknown> {
    const { tiers, reads } = this;
    const defaults = resolveReadPolicy(options, tiers.options.reads, undefined, invalidTtl);
    // Converted here, once per call: a bad TTL fails the call before its loader runs, and the
    // loader's write takes ms.
    const policy =
      options.ttl === undefined && options.nullTtl === undefined
        ? defaults
        : this.withLifetimes(defaults, options);
    if (policy.early !== undefined || policy.swrMs > 0) {
      const local = reads.fromL1(full, loader, options, policy);
      if (local !== NOT_SERVED) return local;
    }
    const l1Token = tiers.l1?.missToken();
    const request = loadRequest(tiers, full, loader, options, policy);
    let leader = false;
    // A load that began before an invalidation this instance knows of (its own, or heard on the
    // bus) computes an older value than this read may return: this read starts its own.
    const startedUnder = tiers.l1 === undefined ? undefined : this.flights.runningTask(full)?.token;
    const outdated =
      startedUnder !== undefined &&
      tiers.l1 !== undefined &&
      tiers.l1.changedSince(full, request.tagKeys, startedUnder);
    const loaded = await this.flights.run(
      full,
      () => {
        leader = true;
        return reads.load(request, l1Token);
      },
      l1Token,
      outdated,
    );
    tiers.tracker.record(full, loaded.tags ?? request.tagKeys);
    if (leader || tiers.options.shareReferences || options.share === true) return loaded.value;
    // Not stored (`shouldCache` said no): followers still get their own copy, not the leader's.
    if (loaded.encoded === undefined) return cloneForFollower(loaded.value);
    return decodeValue(loaded.encoded);
  }
}

function cloneForFollower(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  try {
    return structuredClone(value);
  } catch {
    // Not cloneable (holds functions or class instances with private state): share it.
    return value;
  }
}
