import type { CacheEntry } from '../codec/entry.envelope.js';
import { decodeValue, deepFreeze, type EncodedValue } from '../codec/value.codec.js';
import { LoaderTimeoutError } from '../errors/loader-timeout.error.js';
import { StrataError } from '../errors/strata.error.js';
import { EntryEvents } from '../events/entry-events.js';
import { adoptingLoader } from '../migration/legacy-adoption.js';
import type { GetOptions, LoadOptions } from '../stack/cache-stack.types.js';
import { TIMED_OUT, waitAtMost } from './loader-timeouts.js';
import type { L2Lookup, Loaded, ReadPathDeps, Tokens } from './read-path.types.js';
import {
  RefreshScheduler,
  type RefreshResult,
  type RefreshTask,
  type RefreshTrigger,
} from './refresh-scheduler.js';
import { runLoader } from './run-loader.js';
import type { ReadPolicy } from './stale-policy.js';
import { isEarlyRefreshDue } from './xfetch.js';

export type { L2Lookup, Loaded, ReadPathDeps, WriteEntry } from './read-path.types.js';

/** What {@link ReadPath.fromL1} returns when L1 has nothing it may serve. */
export const NOT_SERVED: unique symbol = Symbol('strata:not-served');

const MISS_WITHOUT_TOKEN: L2Lookup = { hit: false, token: undefined, stale: undefined };

type Loader = () => unknown;
type Options = LoadOptions<unknown>;
/** How a refresh starts: with the tokens of the read that found the entry stale, by reading again, or at once. */
type Start = Tokens | 'revalidate' | 'recompute';
interface StaleRecord {
  readonly entry: CacheEntry;
  readonly shared: unknown;
  /** Set on an entry read from Redis (for the `stale` event); L1 records have none. */
  readonly layer?: 'l2';
}

/**
 * The load path of a `CacheStack` past the L1 fast path: the L2 read, stale serving (grace,
 * stale-while-revalidate), early refresh, loader timeouts, and the background refreshes behind
 * them (docs/reads.md).
 */
export class ReadPath {
  private readonly refreshes: RefreshScheduler<Loaded>;
  private readonly entryEvents: EntryEvents;

  constructor(private readonly d: ReadPathDeps) {
    this.refreshes = new RefreshScheduler(d.events, d.options.reads.retry);
    this.entryEvents = new EntryEvents(d.events, d.keys.prefix);
  }

  /** Stops scheduling retries, clears their timers and waits for refreshes in flight. */
  drain(): Promise<void> {
    return this.refreshes.drain();
  }

  /**
   * L1 for a call with early refresh or stale-while-revalidate: the value of a fresh entry
   * (starting an early refresh when XFetch draws one), or of an expired one inside the SWR window
   * (starting a refresh); else {@link NOT_SERVED}.
   */
  fromL1(full: string, loader: Loader, options: Options, policy: ReadPolicy): unknown {
    if (this.d.l1 === undefined) return NOT_SERVED;
    const now = Date.now();
    const record = this.d.l1.lookup(full, now);
    if (record === undefined) return NOT_SERVED;
    const entry = record.entry;
    if (entry.freshUntil > now) {
      if (
        policy.early !== undefined &&
        isEarlyRefreshDue(now, entry.freshUntil, entry.loadMs, policy.early)
      ) {
        this.background(full, loader, options, policy, entry, 'early', 'recompute');
      }
      if (this.d.events.has('hit')) this.entryEvents.hit(full, 'l1');
      this.d.tracker.record(full, entry.tags);
      return this.materialize(entry.value, record.shared);
    }
    if (now - entry.freshUntil >= policy.swrMs) return NOT_SERVED;
    this.d.tracker.record(full, entry.tags);
    this.entryEvents.stale(full, 'swr');
    this.background(full, loader, options, policy, entry, 'swr', 'revalidate');
    return this.materialize(entry.value, record.shared);
  }

  /** The load of a `getOrLoad` that L1 did not answer (run once per key by the stack's single-flight). */
  async load(
    full: string,
    loader: Loader,
    options: Options,
    l1Token: number | undefined,
    policy: ReadPolicy,
  ): Promise<Loaded> {
    if (this.d.isClosed()) throw new StrataError('E_CLOSED', 'The cache stack is closed');
    const tagKeys = this.tagKeys(options);
    const budget = this.d.guard?.budget();
    const l2 = await this.readL2(full, l1Token, tagKeys, true, options.share === true, budget);
    if (l2.hit) {
      const entry = l2.entry;
      if (
        policy.early !== undefined &&
        isEarlyRefreshDue(Date.now(), entry.freshUntil, entry.loadMs, policy.early)
      ) {
        this.background(full, loader, options, policy, entry, 'early', 'recompute');
      }
      return this.loaded(entry, l2.shared);
    }
    // A miss goes on to the lease, the loader and the write: one operation with the read, sharing
    // its Redis time (entered only now, so that an L2 hit costs no async context).
    const guard = this.d.guard;
    const miss = (): Promise<Loaded> =>
      this.afterMiss(full, loader, options, policy, l2, { l1: l1Token, l2: l2.token });
    return guard === undefined || budget === undefined ? miss() : guard.operation(miss, budget);
  }

  /** The rest of a load that missed: stale serving, or the loader under the key's lease. */
  private async afterMiss(
    full: string,
    loader: Loader,
    options: Options,
    policy: ReadPolicy,
    l2: L2Lookup & { readonly hit: false },
    tokens: Tokens,
  ): Promise<Loaded> {
    const tagKeys = this.tagKeys(options);
    const stale = policy.staleMs > 0 ? this.staleRecord(full, l2.stale) : undefined;
    if (stale !== undefined) {
      const served = await this.fromStale(full, loader, options, policy, stale, tokens);
      if (served !== undefined) return served;
    }
    this.entryEvents.miss(full);
    // Only here, on a miss with nothing stale to serve, is a legacy cache worth a round trip.
    const migrateFrom = this.d.options.migrateFrom;
    const load =
      migrateFrom === undefined ? loader : adoptingLoader(migrateFrom, this.d.keys.prefix, full, loader);
    return this.loadOnce(full, load, options, tagKeys, tokens, policy);
  }

  /**
   * Runs the loader once across instances: under the key's lease, or, while another instance
   * holds it, by waiting for the value that instance stores (docs/distributed.md). `recheck`:
   * see `LoadLeases.loadOnce` (`false` for an early refresh, whose entry is still fresh).
   */
  private loadOnce(
    full: string,
    loader: Loader,
    options: Options,
    tagKeys: readonly string[],
    tokens: Tokens,
    policy: ReadPolicy,
    recheck = true,
  ): Promise<Loaded> {
    const load = (): Promise<Loaded> => runLoader(this.d, full, loader, options, tagKeys, tokens, policy);
    // No write token: Redis failed or was skipped on this miss, so a lease would only cost one
    // more command timeout (and the result is not written to Redis for others anyway).
    if (this.d.leases === undefined || tokens.l2 === undefined) return load();
    const lookup = async (): Promise<Loaded | undefined> => {
      const l2 = await this.readL2(full, tokens.l1, tagKeys, false);
      return l2.hit ? this.loaded(l2.entry, l2.shared) : undefined;
    };
    return this.d.leases.loadOnce(full, load, lookup, recheck);
  }

  /**
   * Reads L2; on a fresh hit backfills L1. Otherwise returns the token for the write that follows
   * (taken now, before the loader runs: one more round trip, on misses only) and the expired
   * entry, if Redis still holds one (it keeps entries until their stale window ends).
   */
  async readL2(
    full: string,
    l1Token: number | undefined,
    tagKeys: readonly string[],
    wantToken: boolean,
    share = false,
    budget = this.d.guard?.budget(),
  ): Promise<L2Lookup> {
    const guard = this.d.guard;
    if (guard === undefined) return MISS_WITHOUT_TOKEN;
    const read = await guard.read(full, tagKeys, budget);
    if (read === undefined) return MISS_WITHOUT_TOKEN;
    const entry = read.entry;
    if (entry === undefined || entry.freshUntil <= Date.now()) {
      // The token refuses the write if the key changes after this read, not only after the token.
      const token = wantToken ? await guard.missToken(full, read.version ?? null, budget) : undefined;
      return { hit: false, token, stale: entry };
    }
    if (this.d.events.has('hit')) this.entryEvents.hit(full, 'l2');
    const shared = this.d.options.shareReferences || share ? deepFreeze(decodeValue(entry.value)) : undefined;
    const l1 = this.d.options.l1;
    if (this.d.l1 && l1) {
      const lifeMs = Math.min(entry.staleUntil - Date.now(), l1.ttlMs);
      this.d.l1.write(full, entry, lifeMs, l1Token, shared, entry.created);
    }
    return { hit: true, entry, shared };
  }

  /**
   * Materializes a stored value: the shared frozen one (kept with `shareReferences`, or for an
   * entry written or read with `share`), or a fresh decode.
   */
  materialize(encoded: EncodedValue, shared: unknown): unknown {
    return shared !== undefined ? shared : decodeValue(encoded);
  }

  /**
   * An expired entry inside the call's stale window: SWR serves it at once; inside grace the
   * loader runs (once per key, as a refresh) and the entry stands in if it throws, passes its soft
   * or hard timeout, or a retry waits for its backoff. `undefined`: load as on a miss.
   */
  private async fromStale(
    full: string,
    loader: Loader,
    options: Options,
    policy: ReadPolicy,
    stale: StaleRecord,
    tokens: Tokens,
  ): Promise<Loaded | undefined> {
    const { entry } = stale;
    const now = Date.now();
    const age = now - entry.freshUntil;
    if (age >= policy.staleMs || now >= entry.staleUntil) return undefined;
    const served = (): Loaded => this.loaded(entry, stale.shared);
    // Written meanwhile by another load of this process: a plain hit.
    if (age < 0) return served();
    const layer = stale.layer ?? 'l1';
    if (age < policy.swrMs) {
      this.entryEvents.stale(full, 'swr', layer);
      this.background(full, loader, options, policy, entry, 'swr', tokens);
      return served();
    }
    const refresh = this.refreshes.start(this.task(full, loader, options, policy, entry, 'grace', tokens));
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
      return settled.result.value === undefined ? undefined : this.own(settled.result.value);
    }
    this.entryEvents.stale(full, settled.error instanceof LoaderTimeoutError ? 'timeout' : 'error', layer);
    return served();
  }

  /** The fresher of L1's and L2's expired-but-kept entries (neither is ever an invalidated one). */
  private staleRecord(full: string, fromL2: CacheEntry | undefined): StaleRecord | undefined {
    const record = this.d.l1?.lookup(full, Date.now());
    if (record !== undefined && (fromL2 === undefined || record.entry.freshUntil >= fromL2.freshUntil))
      return record;
    return fromL2 === undefined ? undefined : { entry: fromL2, shared: undefined, layer: 'l2' };
  }

  /** Starts a background refresh unless one runs or a retry waits for `full`. */
  private background(
    full: string,
    loader: Loader,
    options: Options,
    policy: ReadPolicy,
    entry: CacheEntry,
    trigger: RefreshTrigger,
    start: Start,
  ): void {
    if (this.refreshes.isBusy(full)) return;
    // Tracked by the scheduler until it settles (close waits for it); it never rejects.
    void this.refreshes.start(this.task(full, loader, options, policy, entry, trigger, start));
  }

  private task(
    full: string,
    loader: Loader,
    options: Options,
    policy: ReadPolicy,
    entry: CacheEntry,
    trigger: RefreshTrigger,
    start: Start,
  ): RefreshTask<Loaded> {
    return {
      key: full,
      cache: this.entryEvents.cacheOf(full),
      trigger,
      retryUntil: Math.min(entry.staleUntil, entry.freshUntil + policy.staleMs),
      // A background refresh is an operation of its own: it has its own Redis time.
      run: (retry) => {
        const refresh = (): Promise<RefreshResult<Loaded>> =>
          this.refresh(full, loader, options, policy, retry ? 'revalidate' : start);
        return this.d.guard === undefined ? refresh() : this.d.guard.detachedOperation(refresh);
      },
    };
  }

  /**
   * One refresh. `revalidate` (SWR from L1, retries) first looks for a fresh entry another caller
   * or instance wrote, and gives up when no entry is left (invalidated, or past its stale window).
   * `recompute` (early refresh) loads at once. Tokens are taken before the loader runs, so a
   * delete or invalidation made meanwhile keeps its result out of the cache (no stale sets).
   */
  private async refresh(
    full: string,
    loader: Loader,
    options: Options,
    policy: ReadPolicy,
    start: Start,
  ): Promise<RefreshResult<Loaded>> {
    const tagKeys = this.tagKeys(options);
    let tokens: Tokens;
    if (typeof start === 'object') {
      tokens = start;
    } else if (start === 'recompute') {
      const l1Token = this.d.l1?.missToken();
      tokens = { l1: l1Token, l2: await this.d.guard?.missToken(full) };
    } else {
      const l1Token = this.d.l1?.missToken();
      const record = this.d.l1?.lookup(full, Date.now());
      if (record !== undefined && record.entry.freshUntil > Date.now()) {
        return { outcome: 'hit', value: this.loaded(record.entry, record.shared) };
      }
      const l2 = await this.readL2(full, l1Token, tagKeys, true);
      if (l2.hit) {
        return { outcome: 'hit', value: this.loaded(l2.entry, l2.shared) };
      }
      if (record === undefined && l2.stale === undefined) return { outcome: 'dropped' };
      tokens = { l1: l1Token, l2: l2.token };
    }
    return {
      outcome: 'loaded',
      value: await this.loadOnce(full, loader, options, tagKeys, tokens, policy, start !== 'recompute'),
    };
  }

  /** A load's result from a stored entry: its value, and what it depends on for the caller to record. */
  private loaded(entry: CacheEntry, shared: unknown): Loaded {
    return { value: this.materialize(entry.value, shared), encoded: entry.value, tags: entry.tags };
  }

  /** A refresh's result may reach several callers: each gets its own copy. */
  private own(loaded: Loaded): Loaded {
    if (loaded.encoded === undefined || this.d.options.shareReferences) return loaded;
    return { value: decodeValue(loaded.encoded), encoded: loaded.encoded, tags: loaded.tags };
  }

  private tagKeys(options: GetOptions): readonly string[] {
    return this.d.keys.dependencies(options.namespace, options.tags);
  }
}
