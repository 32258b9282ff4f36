import type { InvalidationBus } from '../bus/invalidation-bus.js';
import { isStrataClock, SYSTEM_CLOCK, type StrataClock } from '../clock/strata-clock.js';
import { decodeValue, type EncodedValue } from '../codec/value.codec.js';
import { SEAL_ENCRYPT, SEAL_NO_COMPRESSION, type SealFlags } from '../codec/stored-value.codec.js';
import { DependencyTracker } from '../dependencies/dependency-tracker.js';
import { StrataConfigError } from '../errors/strata-config.error.js';
import { EntryEvents } from '../events/entry-events.js';
import type { StrataEvents } from '../events/strata-events.js';
import { DEFAULT_NAMESPACE, KeyBuilder } from '../keys/key-builder.js';
import type { L2Guard } from '../layers/l2-guard.js';
import type { MemoryLayer } from '../layers/memory.layer.js';
import type { RedisLayer } from '../layers/redis.layer.js';
import type { LoadLeases } from '../lease/load-lease.js';
import type { GetOptions } from '../options/call-options.js';
import type { CacheStackOptions } from '../options/cache-stack.options.js';
import { resolveStackOptions, type ResolvedStackOptions } from '../options/resolve-options.js';
import type { RedisConnection } from '../redis/redis-connection.js';
import { TtlPolicy } from '../ttl/ttl-policy.js';
import { buildStackLayers } from './stack-layers.js';

/**
 * The parts of a `CacheStack` that its read and write paths work on: the resolved options, the
 * clock, the key layout, the events, the TTL policy, the layers (L1, the guarded Redis layer, the
 * bus, the leases) and the dependency tracker. Knows nothing of the paths built over it, so that
 * they depend on it and not the other way round. Internal.
 */
export class Tiers {
  /** The validated options. */
  readonly options: ResolvedStackOptions;
  /** Time for freshness, expiry and leases (the `clock` option). */
  readonly clock: StrataClock;
  /** The key layout. */
  readonly keys: KeyBuilder;
  /** The stack's events. */
  readonly events: StrataEvents;
  /** Emits the per-entry events (`hit`, `miss`, `stale`) with their cache name. */
  readonly entryEvents: EntryEvents;
  /** TTLs with jitter, per value. */
  readonly ttl: TtlPolicy;
  /** The in-process layer, when on. */
  readonly l1: MemoryLayer | undefined;
  /** The Redis layer, when configured. */
  readonly l2: RedisLayer | undefined;
  /** Every Redis command goes through it (timeouts, breaker, replayed evictions). */
  readonly guard: L2Guard | undefined;
  /** The invalidation bus, with Redis unless `bus: false`. */
  readonly bus: InvalidationBus | undefined;
  /** The Redis connection, when configured. */
  readonly connection: RedisConnection | undefined;
  /** Cross-instance single-flight, with Redis unless `lease: false`. */
  readonly leases: LoadLeases | undefined;
  /** What a computation inside `trackDependencies` read. */
  readonly tracker: DependencyTracker;
  #closed = false;
  /** Namespaces all of whose entries are sensitive: `encryption.namespaces`, then {@link Tiers.markSensitive}. */
  readonly #sensitive: Set<string>;

  /** Validates `options` (throws `StrataConfigError`) and builds the layers. */
  constructor(options: CacheStackOptions, events: StrataEvents) {
    const { clock = SYSTEM_CLOCK, ...rest } = options;
    if (!isStrataClock(clock)) throw new StrataConfigError('clock', clock, 'expected { now(): number }');
    this.clock = clock;
    this.options = resolveStackOptions(rest);
    this.events = events;
    this.keys = new KeyBuilder(this.options.prefix, this.options.maxKeyLength);
    this.ttl = new TtlPolicy(this.options);
    const layers = buildStackLayers(this.options, this.keys, events, clock);
    ({ l1: this.l1, l2: this.l2, bus: this.bus, connection: this.connection, guard: this.guard } = layers);
    this.leases = layers.leases;
    const watch = (dependency: string): void => this.l1?.watchDependencies([dependency]);
    this.tracker = new DependencyTracker(this.options.dependencies, this.keys, watch);
    this.entryEvents = new EntryEvents(events, this.keys.prefix);
    this.#sensitive = new Set(this.options.atRest.sensitiveNamespaces);
  }

  /**
   * Makes every entry of `namespace` sensitive from now on (a named cache bound with
   * `sensitive: true`).
   *
   * @param option - named in the error.
   * @throws StrataConfigError when the stack has Redis and no `encryption` keys.
   */
  markSensitive(namespace: string, option: string): void {
    if (this.#refusesSensitive) throw sensitiveWithoutKeys(option);
    this.#sensitive.add(namespace);
  }

  /** A stack with Redis and no `encryption` keys: a sensitive entry could only be stored in clear. */
  get #refusesSensitive(): boolean {
    return this.options.atRest.keyring === undefined && this.l2 !== undefined;
  }

  /** Whether `close` was called: loads no longer start. */
  get closed(): boolean {
    return this.#closed;
  }

  /** A stored value as a caller gets it: the shared frozen one, or a fresh decode. */
  materialize(encoded: EncodedValue, shared: unknown): unknown {
    return shared !== undefined ? shared : decodeValue(encoded);
  }

  /**
   * How a call's entry is stored in Redis (see `SealFlags`): encrypted when the call says
   * `sensitive` or its namespace is listed in `encryption.namespaces`; never compressed with
   * `compress: false`.
   *
   * @param option - named in the error (a decorator checked at boot names itself).
   * @throws StrataConfigError when the call is sensitive, the stack has Redis, and no `encryption`
   * keys are configured: a sensitive value is never stored in clear.
   */
  sealOf(
    options: { readonly namespace?: string; readonly sensitive?: boolean; readonly compress?: boolean },
    option = 'encryption',
  ): SealFlags {
    const sensitiveNamespaces = this.#sensitive;
    let flags = options.compress === false ? SEAL_NO_COMPRESSION : 0;
    if (
      options.sensitive === true ||
      (sensitiveNamespaces.size > 0 && sensitiveNamespaces.has(options.namespace ?? DEFAULT_NAMESPACE))
    ) {
      if (this.#refusesSensitive) throw sensitiveWithoutKeys(option);
      flags |= SEAL_ENCRYPT;
    }
    return flags;
  }

  /** The dependency keys of a call's tags and namespace. */
  tagKeys(options: GetOptions): readonly string[] {
    return this.keys.dependencies(options.namespace, options.tags);
  }

  /**
   * Marks the tiers closed (loads no longer start), waits for `inFlight` (the work of the paths
   * built over them) at most `drainTimeoutMs`, then closes the Redis connection Strata owns, the
   * bus and L1. Idempotent.
   */
  async close(inFlight: () => Promise<unknown>, drainTimeoutMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      inFlight(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    await this.guard?.drain();
    await this.bus?.close();
    await this.connection?.close();
    await this.l1?.close();
    this.events.clear();
  }
}

/** The error of a sensitive entry (a call, a decorator, a named cache) on a stack with Redis and no keys. */
function sensitiveWithoutKeys(option: string): StrataConfigError {
  return new StrataConfigError(
    option,
    true,
    'a sensitive entry (`sensitive: true`, or a namespace in `encryption.namespaces`) needs encryption keys to be stored in Redis: give `encryption: { keys, current }`',
  );
}
