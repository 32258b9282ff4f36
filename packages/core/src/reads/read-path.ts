import type { CacheEntry } from '../codec/entry.envelope.js';
import { LoaderTimeoutError } from '../errors/loader-timeout.error.js';
import { StrataError } from '../errors/strata.error.js';
import type { EntryEvents } from '../events/entry-events.js';
import { adoptingLoader } from '../migration/legacy-adoption.js';
import type { Tiers } from '../tiers/tiers.js';
import type { RedisTimeBudget } from '../layers/redis-time-budget.js';
import type { LoadOptions } from '../options/call-options.js';
import type { EntryWriter } from '../writes/entry-writer.js';
import { loadRequest, type LoadRequest, type PendingL2Token, type Tokens } from './load-request.js';
import type { HeldLease } from '../lease/held-lease.js';
import { l2LookupOf } from './l2-lookup.js';
import { missClaim } from './miss-claim.js';
import { loadedFrom, ownCopy } from './loaded.js';
import { TIMED_OUT, waitAtMost } from './loader-timeouts.js';
import {
  L2_READ,
  MISS_WITHOUT_TOKEN,
  NOT_SERVED,
  type L2Lookup,
  type L2ReadMode,
  type Loaded,
  type StaleRecord,
  type Start,
} from './read-path.types.js';
import {
  RefreshScheduler,
  type RefreshResult,
  type RefreshTask,
  type RefreshTrigger,
} from './refresh-scheduler.js';
import { runLoader } from './run-loader.js';
import type { ReadPolicy } from '../options/stale-policy.js';
import { isEarlyRefreshDue } from './xfetch.js';

const COMPARE_NOTHING: PendingL2Token = { seen: undefined };
/**
 * The load path of a `CacheStack` past the L1 fast path: the L2 read, stale serving (grace,
 * stale-while-revalidate), early refresh, loader timeouts, and the background refreshes behind
 * them (docs/reads.md).
 */
export class ReadPath {
  private readonly refreshes: RefreshScheduler<Loaded>;
  private readonly entryEvents: EntryEvents;

  constructor(
    private readonly tiers: Tiers,
    private readonly writer: EntryWriter,
  ) {
    this.refreshes = new RefreshScheduler(tiers.events, tiers.options.reads.retry, tiers.clock);
    this.entryEvents = tiers.entryEvents;
  }

  /** Stops scheduling retries, clears their timers and waits for refreshes in flight. */
  drain(): Promise<void> {
    return this.refreshes.drain();
  }

  /**
   * L1 for a call with early refresh or stale-while-revalidate: the value of a fresh entry
   * (starting an early refresh when XFetch draws one), or of an expired one inside the SWR window
   * (starting a refresh); else {@link NOT_SERVED}. Takes the call's parts, not a
   * {@link LoadRequest}: one is built only when a refresh starts, so a hit allocates nothing.
   */
  fromL1(full: string, loader: () => unknown, options: LoadOptions<unknown>, policy: ReadPolicy): unknown {
    const { l1, tracker } = this.tiers;
    if (l1 === undefined) return NOT_SERVED;
    const now = this.tiers.clock.now();
    const record = l1.lookup(full, now);
    if (record === undefined) return NOT_SERVED;
    const entry = record.entry;
    if (entry.freshUntil > now) {
      if (
        policy.early !== undefined &&
        isEarlyRefreshDue(now, entry.freshUntil, entry.loadMs, policy.early)
      ) {
        this.background(loadRequest(this.tiers, full, loader, options, policy), entry, 'early', 'recompute');
      }
      if (this.tiers.events.has('hit')) this.entryEvents.hit(full, 'l1');
      tracker.record(full, entry.tags);
      return this.tiers.materialize(entry.value, record.shared);
    }
    if (now - entry.freshUntil >= policy.swrMs) return NOT_SERVED;
    tracker.record(full, entry.tags);
    this.entryEvents.stale(full, 'swr');
    this.background(loadRequest(this.tiers, full, loader, options, policy), entry, 'swr', 'revalidate');
    return this.tiers.materialize(entry.value, record.shared);
  }

  /** The load of a `getOrLoad` that L1 did not answer (run once per key by the engine's single-flight). */
  async load(request: LoadRequest, l1Token: number | undefined): Promise<Loaded> {
    const { guard } = this.tiers;
    if (this.tiers.closed) throw new StrataError('E_CLOSED', 'The cache stack is closed');
    const { policy } = request;
    const budget = guard?.budget();
    const mode = request.options.share === true ? L2_READ.forWriteShared : L2_READ.forWrite;
    const l2 = await this.readL2(request, l1Token, mode, budget);
    if (l2.hit) {
      const entry = l2.entry;
      if (
        policy.early !== undefined &&
        isEarlyRefreshDue(this.tiers.clock.now(), entry.freshUntil, entry.loadMs, policy.early)
      ) {
        this.background(request, entry, 'early', 'recompute');
      }
      return loadedFrom(this.tiers, entry, l2.shared);
    }
    // A miss goes on to the lease, the loader and the write: one operation with the read, sharing
    // its Redis time. Each step is handed the budget; only the loader runs in the operation's
    // async context (for the cache calls it makes), which costs every promise created in it.
    const tokens = { l1: l1Token, l2: l2.token };
    if (guard === undefined || budget === undefined) return this.afterMiss(request, l2, tokens, undefined);
    return guard.explicitOperation(() => this.afterMiss(request, l2, tokens, budget), budget);
  }

  /** The rest of a load that missed: stale serving, or the loader under the key's lease. */
  private async afterMiss(
    request: LoadRequest,
    l2: L2Lookup & { readonly hit: false },
    tokens: Tokens,
    budget: RedisTimeBudget | undefined,
  ): Promise<Loaded> {
    const { full } = request;
    const stale = request.policy.staleMs > 0 ? this.staleRecord(full, l2.stale) : undefined;
    if (stale !== undefined) {
      const served = await this.fromStale(request, stale, tokens);
      if (served !== undefined) return served;
    }
    this.entryEvents.miss(full);
    // Only here, on a miss with nothing stale to serve, is a legacy cache worth a round trip.
    const migrateFrom = this.tiers.options.migrateFrom;
    if (migrateFrom === undefined) return this.loadOnce(request, tokens, true, budget);
    const loader = adoptingLoader(migrateFrom, this.tiers.keys.prefix, full, request.loader);
    return this.loadOnce({ ...request, loader }, tokens, true, budget);
  }

  /**
   * Runs the loader once across instances: under the key's lease, or, while another instance
   * holds it, by waiting for the value that instance stores (docs/distributed.md). The Redis write
   * token is taken in the round trip that takes the lease, which also re-checks the entry (unless
   * `recheck` is false: an early refresh, whose entry is still fresh); the write releases the lease.
   * `budget`: the Redis time of the operation (by default, the one of the async context).
   */
  private loadOnce(
    request: LoadRequest,
    tokens: Tokens,
    recheck = true,
    budget: RedisTimeBudget | undefined = this.tiers.guard?.budget(),
  ): Promise<Loaded> {
    const { leases, guard } = this.tiers;
    const { full } = request;
    let l2 = tokens.l2;
    const load = async (lease?: HeldLease): Promise<Loaded> => {
      // Not taken with a lease (`lease: false`, or an attempt without a claim): taken now.
      if (typeof l2 === 'object') l2 = await guard?.missToken(full, l2.seen, budget);
      return runLoader(this.tiers, this.writer, request, { l1: tokens.l1, l2, lease, budget });
    };
    // No write token: Redis failed or was skipped on this miss, so a lease would only cost one
    // more command timeout (and the result is not written to Redis for others anyway).
    if (leases === undefined || l2 === undefined) return load();
    const seen = recheck && typeof l2 === 'object' ? l2.seen : undefined;
    const claim = missClaim(
      this.tiers,
      request,
      tokens.l1,
      seen,
      (token) => {
        l2 = token;
      },
      budget,
    );
    const lookup = async (): Promise<Loaded | undefined> => {
      const read = await this.readL2(request, tokens.l1, L2_READ.lookup, budget);
      return read.hit ? loadedFrom(this.tiers, read.entry, read.shared) : undefined;
    };
    return leases.loadOnce(full, load, lookup, claim, budget);
  }

  /**
   * Reads L2; on a fresh hit backfills L1 (under `l1Token`, L1's miss token taken before the
   * read). Otherwise returns what the token for the write that follows compares against, when
   * `mode` asks for it (the token itself is taken before the loader runs, with the lease), and
   * the expired entry, if Redis still holds one (it keeps entries until their stale window ends).
   */
  async readL2(
    request: LoadRequest,
    l1Token: number | undefined,
    mode: L2ReadMode,
    budget: RedisTimeBudget | undefined = this.tiers.guard?.budget(),
  ): Promise<L2Lookup> {
    const { guard } = this.tiers;
    if (guard === undefined) return MISS_WITHOUT_TOKEN;
    const { full } = request;
    const read = await guard.read(full, request.tagKeys, budget);
    return read === undefined
      ? MISS_WITHOUT_TOKEN
      : l2LookupOf(this.tiers, full, read, l1Token, mode, request.seal);
  }

  /**
   * An expired entry inside the call's stale window: SWR serves it at once; inside grace the
   * loader runs (once per key, as a refresh) and the entry stands in if it throws, passes its soft
   * or hard timeout, or a retry waits for its backoff. `undefined`: load as on a miss.
   */
  private async fromStale(
    request: LoadRequest,
    stale: StaleRecord,
    tokens: Tokens,
  ): Promise<Loaded | undefined> {
    const { full, policy } = request;
    const { entry } = stale;
    const now = this.tiers.clock.now();
    const age = now - entry.freshUntil;
    if (age >= policy.staleMs || now >= entry.staleUntil) return undefined;
    const served = (): Loaded => loadedFrom(this.tiers, entry, stale.shared);
    // Written meanwhile by another load of this process: a plain hit.
    if (age < 0) return served();
    const layer = stale.layer ?? 'l1';
    if (age < policy.swrMs) {
      this.entryEvents.stale(full, 'swr', layer);
      this.background(request, entry, 'swr', tokens);
      return served();
    }
    const refresh = this.refreshes.start(this.task(request, entry, 'grace', tokens));
    if (refresh === undefined) {
      // A retry waits for its backoff: spare the source until then.
      this.entryEvents.stale(full, 'error', layer);
      return served();
    }
    const settled = await waitAtMost(refresh, policy.softTimeoutMs);
    if (settled === TIMED_OUT) {
      // The load goes on as a tracked refresh and stores its result if nothing invalidated the key.
      this.entryEvents.stale(full, 'timeout', layer);
      return served();
    }
    if (settled.ok) {
      // The expired entry was replaced by a load: for hit rates, a miss.
      if (settled.result.outcome === 'loaded') this.entryEvents.miss(full);
      return settled.result.value === undefined ? undefined : ownCopy(this.tiers, settled.result.value);
    }
    this.entryEvents.stale(full, settled.error instanceof LoaderTimeoutError ? 'timeout' : 'error', layer);
    return served();
  }

  /** The fresher of L1's and L2's expired-but-kept entries (neither is ever an invalidated one). */
  private staleRecord(full: string, fromL2: CacheEntry | undefined): StaleRecord | undefined {
    const record = this.tiers.l1?.lookup(full, this.tiers.clock.now());
    if (record !== undefined && (fromL2 === undefined || record.entry.freshUntil >= fromL2.freshUntil))
      return record;
    return fromL2 === undefined ? undefined : { entry: fromL2, shared: undefined, layer: 'l2' };
  }

  /** Starts a background refresh unless one runs or a retry waits for the key. */
  private background(request: LoadRequest, entry: CacheEntry, trigger: RefreshTrigger, start: Start): void {
    if (this.refreshes.isBusy(request.full)) return;
    // Tracked by the scheduler until it settles (close waits for it); it never rejects.
    void this.refreshes.start(this.task(request, entry, trigger, start));
  }

  private task(
    request: LoadRequest,
    entry: CacheEntry,
    trigger: RefreshTrigger,
    start: Start,
  ): RefreshTask<Loaded> {
    const { guard } = this.tiers;
    return {
      key: request.full,
      cache: this.entryEvents.cacheOf(request.full),
      trigger,
      retryUntil: Math.min(entry.staleUntil, entry.freshUntil + request.policy.staleMs),
      // A background refresh is an operation of its own: it has its own Redis time.
      run: (retry) => {
        const refresh = (): Promise<RefreshResult<Loaded>> =>
          this.refresh(request, retry ? 'revalidate' : start);
        return guard === undefined ? refresh() : guard.detachedOperation(refresh);
      },
    };
  }

  /**
   * One refresh. `revalidate` (SWR from L1, retries) first looks for a fresh entry another caller
   * or instance wrote, and gives up when no entry is left (invalidated, or past its stale window).
   * `recompute` (early refresh) loads at once. Tokens are taken before the loader runs, so a
   * delete or invalidation made meanwhile keeps its result out of the cache (no stale sets).
   */
  private async refresh(request: LoadRequest, start: Start): Promise<RefreshResult<Loaded>> {
    const { l1, guard, clock } = this.tiers;
    const { full } = request;
    let tokens: Tokens;
    if (typeof start === 'object') {
      tokens = start;
    } else if (start === 'recompute') {
      // Its token compares nothing: the fresh entry it replaces is older than the load.
      tokens = { l1: l1?.missToken(), l2: guard === undefined ? undefined : COMPARE_NOTHING };
    } else {
      const l1Token = l1?.missToken();
      const record = l1?.lookup(full, clock.now());
      if (record !== undefined && record.entry.freshUntil > clock.now()) {
        return { outcome: 'hit', value: loadedFrom(this.tiers, record.entry, record.shared) };
      }
      const l2 = await this.readL2(request, l1Token, L2_READ.forWrite);
      if (l2.hit) {
        return { outcome: 'hit', value: loadedFrom(this.tiers, l2.entry, l2.shared) };
      }
      if (record === undefined && l2.stale === undefined) return { outcome: 'dropped' };
      tokens = { l1: l1Token, l2: l2.token };
    }
    return { outcome: 'loaded', value: await this.loadOnce(request, tokens, start !== 'recompute') };
  }
}
