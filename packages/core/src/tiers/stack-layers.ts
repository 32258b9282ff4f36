import type { StrataClock } from '../clock/strata-clock.js';
import { InvalidationBus } from '../bus/invalidation-bus.js';
import type { StrataEvents } from '../events/strata-events.js';
import type { KeyBuilder } from '../keys/key-builder.js';
import { MemoryLayer } from '../layers/memory.layer.js';
import { RedisLayer } from '../layers/redis.layer.js';
import { LoadLeases } from '../lease/load-lease.js';
import type { ResolvedStackOptions } from '../options/resolve-options.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { L2Guard } from '../layers/l2-guard.js';
import { StoredValueCodec } from '../codec/stored-value.codec.js';
import { cacheOfEntry } from '../events/entry-cache.js';

/** The layers of a `CacheStack` and what connects them, each absent when not configured. */
export interface StackLayers {
  readonly l1: MemoryLayer | undefined;
  readonly connection: RedisConnection | undefined;
  readonly l2: RedisLayer | undefined;
  /** Every Redis command of the stack goes through it (timeouts, breaker, replayed evictions). */
  readonly guard: L2Guard | undefined;
  readonly bus: InvalidationBus | undefined;
  readonly leases: LoadLeases | undefined;
}

/** The stored form of the stack's values (`compression`, `encryption`), reporting unreadable entries. */
export function storedValues(
  options: ResolvedStackOptions,
  keys: KeyBuilder,
  events: StrataEvents,
): StoredValueCodec {
  const { atRest } = options;
  return new StoredValueCodec({
    compressionThreshold: atRest.compressionThreshold,
    keyring: atRest.keyring,
    compressSensitive: atRest.compressSensitive,
    maxValueBytes: options.maxValueBytes,
    onUnreadable: (key, reason) => {
      if (events.has('entry:unreadable'))
        events.emit('entry:unreadable', { cache: cacheOfEntry(keys.prefix, key), key, reason });
    },
  });
}

/**
 * Builds the layers the options ask for: L1, and with `redis` the connection (which starts
 * connecting at once when Strata owns the client), the Redis layer, its guard, the bus and the
 * leases.
 */
export function buildStackLayers(
  options: ResolvedStackOptions,
  keys: KeyBuilder,
  events: StrataEvents,
  clock: StrataClock,
): StackLayers {
  const keyDependencyPrefix = options.dependencies ? keys.keyDependencyPrefix : undefined;
  // In front of Redis, delete markers also remember the newest entry version seen for a key (the
  // bus's ordering): kept at least as long as an L1 entry lives.
  const markerTtlMs =
    options.redis && options.l1 ? Math.max(options.tombstoneTtlMs, options.l1.ttlMs) : options.tombstoneTtlMs;
  const l1 = options.l1
    ? new MemoryLayer({ ...options.l1, tombstoneTtlMs: markerTtlMs, keyDependencyPrefix }, clock)
    : undefined;
  if (!options.redis)
    return { l1, connection: undefined, l2: undefined, guard: undefined, bus: undefined, leases: undefined };
  const connection = new RedisConnection(options.redis, (error) =>
    events.emit('l2:error', { operation: 'connection', error }),
  );
  const l2 = new RedisLayer(connection.client, {
    tombstoneTtlMs: options.tombstoneTtlMs,
    keyDependencyPrefix: keys.keyDependencyPrefix,
    dependencyTtlMs: options.dependencyTtlMs,
    coalesceSends: connection.ownsClient,
    values: storedValues(options, keys, events),
  });
  const guard = new L2Guard(l2, connection, events, options.breaker, options.redis.commandTimeoutMs);
  const bus = options.bus
    ? new InvalidationBus(connection.client, guard.command, l1, options.bus, events)
    : undefined;
  // Owned by the bus (it tracks its publishes until close); announce never rejects.
  if (bus) guard.onReplay((keys, versions, tagKeys) => void bus.announce(keys, versions, tagKeys));
  const leases =
    options.lease === undefined
      ? undefined
      : new LoadLeases(connection.client, guard.command, options.lease, options.prefix, clock);
  return { l1, connection, l2, guard, bus, leases };
}
