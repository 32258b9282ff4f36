import type { Cluster, Redis } from 'ioredis';
import { StrataConfigError } from '../errors/strata-config.error.js';
import { isRedisClient } from '../options/resolve-options.js';
import type { LegacyCacheSource, LegacyEntry } from '../options/legacy-cache.source.js';
import { decodeLegacyValue } from './legacy-value.decoder.js';

/** Options of {@link legacyCacheManagerSource}. */
export interface LegacyCacheManagerSourceOptions {
  /**
   * The ioredis client the legacy cache-manager store wrote through (`redisInsStore(client)`), or
   * one connected to the same server and database. Strata only reads through it (`GET`, `PTTL`)
   * and never closes it.
   */
  readonly client: Redis | Cluster;
  /**
   * Prepended to a Strata key to name its legacy entry: what the old app put before its own keys
   * (cache-manager 5 adds nothing itself). Not needed when the client has an ioredis
   * `keyPrefix`, which ioredis applies already.
   * @default ''
   */
  readonly keyPrefix?: string;
  /**
   * Names the legacy entry of a Strata key in a namespace, for apps whose keys changed shape on
   * the way; `undefined`: that key has no legacy entry. Replaces `keyPrefix`.
   * @default (key) => keyPrefix + key, in every namespace
   */
  readonly key?: (key: string, namespace: string) => string | undefined;
}

/**
 * A {@link LegacyCacheSource} over entries written by cache-manager 5 with
 * `cache-manager-ioredis-yet` (`caching(redisInsStore(client))`): a string per key holding the
 * value's telejson text, with a `PX` expiry or none. The value is decoded as untrusted input
 * (see `decodeLegacyValue` for which types survive); the remaining life is the key's `PTTL`.
 * Options are checked now: a bad one throws {@link StrataConfigError} naming `migrateFrom.<option>`.
 *
 * @example
 * ```ts
 * new CacheStack({ prefix: 'shop', redis: { client }, migrateFrom: legacyCacheManagerSource({ client }) });
 * ```
 */
export function legacyCacheManagerSource(options: LegacyCacheManagerSourceOptions): LegacyCacheSource {
  if (typeof options !== 'object' || options === null) {
    throw new StrataConfigError('migrateFrom', options, 'expected { client, keyPrefix?, key? }');
  }
  const { client, keyPrefix = '', key } = options;
  if (!isRedisClient(client)) {
    throw new StrataConfigError('migrateFrom.client', client, 'expected an ioredis Redis or Cluster');
  }
  if (typeof keyPrefix !== 'string') {
    throw new StrataConfigError('migrateFrom.keyPrefix', keyPrefix, 'expected a string');
  }
  if (key !== undefined && typeof key !== 'function') {
    throw new StrataConfigError('migrateFrom.key', key, 'expected a function (key, namespace) => string');
  }
  const unknown = Object.keys(options).filter((name) => !['client', 'keyPrefix', 'key'].includes(name));
  if (unknown[0] !== undefined) {
    throw new StrataConfigError(`migrateFrom.${unknown[0]}`, options[unknown[0] as never], 'unknown option');
  }
  const legacyKey = key ?? ((strataKey: string): string => keyPrefix + strataKey);
  return { read: (strataKey, namespace) => readLegacy(client, legacyKey(strataKey, namespace)) };
}

async function readLegacy(
  client: Redis | Cluster,
  key: string | undefined,
): Promise<LegacyEntry | undefined> {
  if (typeof key !== 'string' || key.length === 0) return undefined;
  let replies: [Error | null, unknown][] | null;
  try {
    // One round trip; both commands name one key, so this also works on a cluster.
    replies = await client.pipeline().get(key).pttl(key).exec();
  } catch {
    return undefined;
  }
  const [read, ttl] = replies ?? [];
  // A wrong-type key fails its GET: not an entry this store wrote.
  if (read === undefined || ttl === undefined || read[0] !== null || ttl[0] !== null) return undefined;
  const raw = read[1];
  const pttl = ttl[1];
  if (typeof raw !== 'string' || typeof pttl !== 'number') return undefined;
  // -2: gone between the two commands; 0: expiring now. -1: no expiry.
  if (pttl === -2 || pttl === 0 || pttl < -2) return undefined;
  const decoded = decodeLegacyValue(raw);
  if (decoded === undefined) return undefined;
  return { value: decoded.value, remainingMs: pttl === -1 ? undefined : pttl };
}
