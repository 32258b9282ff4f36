import type { Cluster, Redis } from 'ioredis';
import { storedEntryTail } from '../codec/entry.envelope.js';
import type { StoredValueCodec } from '../codec/stored-value.codec.js';
import type { CacheLayer, EntryToWrite, LayerRead } from './cache-layer.interface.js';
import type { RedisSetBatches } from './redis-set-batches.js';
import { checkedRecord, MISS } from './record-read.js';
import { RedisMissCommands, type MissClaim } from './redis-miss.commands.js';
import { CoalescedSends } from '../redis/coalesced-sends.js';
import type { HeldLease, LeaseRequest } from '../lease/held-lease.js';
import {
  DELETE_SCRIPT,
  EXTEND_DEPENDENCIES_SCRIPT,
  INVALIDATE_SCRIPT,
  NOW_SCRIPT,
  WRITE_SCRIPT,
} from './redis.scripts.js';

/** Options of a {@link RedisLayer}. */
export interface RedisLayerOptions {
  /** How long a delete keeps loads that began before it from writing, in ms. */
  readonly tombstoneTtlMs: number;
  /**
   * Check tag times with a second command (one `MGET` on the tags slot) instead of inside the
   * read script. Required on a Redis Cluster, where a script may only touch one slot; chosen
   * automatically for an ioredis `Cluster`.
   */
  readonly splitReads?: boolean;
  /**
   * Prefix of key dependency times (`KeyBuilder.keyDependencyPrefix`): invalidating one gives it
   * a TTL of at least `dependencyTtlMs`. Absent: every invalidated key is a tag time (no TTL).
   */
  readonly keyDependencyPrefix?: string;
  /** Least life of a key dependency time, in ms. @default 600_000 */
  readonly dependencyTtlMs?: number;
  /**
   * Send the commands of one pass of the event loop in one socket write ({@link CoalescedSends}).
   * Off for a client the app gave: its own commands would wait for the end of the pass too.
   * @default true
   */
  readonly coalesceSends?: boolean;
  /**
   * The stored form of values: compressed above a threshold, encrypted for sensitive entries
   * (`CacheEntry.seal`). Absent: values are stored as they are, and compressed or encrypted ones
   * read as misses.
   */
  readonly values?: StoredValueCodec;
}

/** Default least life of a key dependency time, in ms (see {@link RedisLayerOptions}). */
const DEFAULT_DEPENDENCY_TTL_MS = 600_000;

/**
 * What a delete's script call does besides storing its markers, on one server (a single Redis or
 * a Sentinel's primary, where every key is on the node that runs the call): what
 * `KeyChanges.after` would otherwise do in further round trips.
 */
export interface DeleteCompletion {
  /**
   * The key dependency time of each deleted key (same order), set to the time of the delete;
   * absent: none (`dependencies: false`).
   */
  readonly changeTimes?: readonly string[];
  /** The invalidation bus's channel and this instance's id on it: the delete is announced there. */
  readonly bus?: { readonly channel: string; readonly sender: string };
}

interface StrataScripts {
  strataNow(key: string, seen?: string): Promise<number>;
  strataWrite(key: string, token: string, px: number, tail: string): Promise<number>;
  strataDelete(...args: (string | number)[]): Promise<number>;
  strataInvalidate(...args: (string | number)[]): Promise<number>;
  strataExtendDependencies(...args: (string | number)[]): Promise<number>;
}

type ScriptedClient = (Redis | Cluster) & StrataScripts;

/** No tag keys, or no times, came with a record. */
const NO_TIMES: readonly never[] = [];

/**
 * The Redis layer, over a client Strata owns. Reads and writes go through Lua scripts on the
 * command connection: tag checks and guarded writes must be atomic, which a `cache-manager` store
 * cannot express (and its telejson codec costs ~5× JSON on the ~1 KB bench value). Errors
 * propagate; the stack decides on fallbacks.
 */
export class RedisLayer implements CacheLayer {
  readonly name = 'l2' as const;
  private readonly client: ScriptedClient;
  private readonly splitReads: boolean;
  private readonly miss: RedisMissCommands;
  /** Commands sent in one pass (many callers at once) go out in one socket write. */
  readonly sends: CoalescedSends;

  constructor(
    client: Redis | Cluster,
    private readonly options: RedisLayerOptions,
  ) {
    this.splitReads = options.splitReads ?? client.isCluster;
    // defineCommand is idempotent per name, so a client shared by two stacks is fine.
    client.defineCommand('strataNow', { numberOfKeys: 1, lua: NOW_SCRIPT });
    client.defineCommand('strataWrite', { numberOfKeys: 1, lua: WRITE_SCRIPT });
    client.defineCommand('strataDelete', { lua: DELETE_SCRIPT });
    client.defineCommand('strataInvalidate', { lua: INVALIDATE_SCRIPT });
    client.defineCommand('strataExtendDependencies', { lua: EXTEND_DEPENDENCIES_SCRIPT });
    this.client = client as ScriptedClient;
    this.miss = new RedisMissCommands(client, options.values);
    this.sends = new CoalescedSends(client, options.coalesceSends ?? true);
  }

  /**
   * Reads an entry and checks it against its tag and namespace times. On a single Redis, the
   * times of `tagHint` (the tags the caller expects the entry to carry, namespace included) come
   * in the same `MGET` as the entry: one round trip. Times of tags the caller did not announce
   * take one more `MGET` (all tag times share a slot, so this also works on a cluster, where the
   * entry is read with its own `GET`). Reading a time after the entry can only find it newer, so
   * the check is never weaker than an atomic one.
   */
  read(key: string, tagHint: readonly string[] = []): Promise<LayerRead> {
    this.sends.hold();
    // `then`, not `await`: no async frame to keep per read in flight.
    if (this.splitReads || tagHint.length === 0) {
      return this.client.get(key).then((raw) => this.checked(key, raw, NO_TIMES, NO_TIMES));
    }
    return this.client.mget(key, ...tagHint).then((values) => this.checked(key, values[0], tagHint, values));
  }

  /**
   * The read of a record: its entry, unless a time of its tags or namespace is at or after its
   * creation. `hinted` are the tag keys whose times came with it: `times[i + 1]` is `hinted[i]`'s.
   */
  private checked(
    key: string,
    raw: string | null | undefined,
    hinted: readonly string[],
    times: readonly (string | null)[],
  ): LayerRead | Promise<LayerRead> {
    if (raw === null || raw === undefined) return MISS;
    return checkedRecord(key, this.options.values, raw, hinted, times, 1, this.readTimes);
  }

  /** Reads the times of tag keys whose times did not come with a record. */
  private readonly readTimes = (tagKeys: string[]): Promise<(string | null)[]> =>
    this.client.mget(...tagKeys);

  /** The stored form of values (see {@link RedisLayerOptions.values}). */
  get values(): StoredValueCodec | undefined {
    return this.options.values;
  }

  /**
   * Whether two commands issued one after the other are run by Redis in that order: on one
   * connection to one server (or a Sentinel's primary), yes; on a Cluster, keys of different
   * slots go to different nodes.
   */
  get ordered(): boolean {
    return !this.client.isCluster;
  }

  /**
   * The token for a write after a miss. `seen`: the version of the record the miss read found
   * ({@link LayerRead.version}; `null` for none): if the key changed since, the token refuses the
   * write. Without it, the token is the time now.
   */
  async missToken(key: string, seen?: number | null): Promise<number> {
    if (seen === undefined) return this.client.strataNow(key);
    return this.client.strataNow(key, seen === null ? '' : String(seen));
  }

  /**
   * A load's claim before its loader runs: the write token, `lease` if given, and the record if
   * the key changed since the miss read (see {@link RedisMissCommands.claim}).
   */
  claimMiss(
    key: string,
    seen: number | null | undefined,
    tagHint: readonly string[],
    lease: LeaseRequest | undefined,
  ): Promise<MissClaim> {
    return this.miss.claim(key, seen, tagHint, lease);
  }

  async write(key: string, entry: EntryToWrite, ttlMs: number, token?: number): Promise<boolean> {
    return (await this.writeVersion(key, entry, ttlMs, token)) !== undefined;
  }

  /**
   * {@link RedisLayer.write}, answering the stored entry's version (its `created` in Redis), or
   * `undefined` when the token refused it. With `how.batch`, the write goes with the sets of a batch
   * (its change time and announcement too, see {@link RedisSetBatches}) instead of alone; with the
   * `how.lease` a load holds (and a token), the same script releases it where both keys share a node.
   */
  writeVersion(
    key: string,
    entry: EntryToWrite,
    ttlMs: number,
    token?: number,
    how: { readonly batch?: RedisSetBatches; readonly lease?: HeldLease } = {},
  ): Promise<number | undefined> {
    const { batch, lease } = how;
    // Not an async function: a set hands on its batch's promise without a frame of its own.
    if (batch !== undefined) return batch.writeVersion(key, entry, ttlMs, token);
    return this.writeAlone(key, entry, ttlMs, token, lease);
  }

  /** {@link RedisLayer.writeVersion} in a script call of its own. */
  private async writeAlone(
    key: string,
    entry: EntryToWrite,
    ttlMs: number,
    token: number | undefined,
    lease: HeldLease | undefined,
  ): Promise<number | undefined> {
    const px = Math.max(1, Math.ceil(ttlMs));
    if (lease !== undefined && token !== undefined && this.miss.together(key, lease.key)) {
      const stored = await this.miss.writeReleasing(key, entry, px, token, lease);
      return stored > 0 ? stored : undefined;
    }
    const version = await this.client.strataWrite(
      key,
      token === undefined ? '' : String(token),
      px,
      storedEntryTail(key, entry, this.options.values),
    );
    return version > 0 ? version : undefined;
  }

  async delete(keys: readonly string[]): Promise<void> {
    await this.deleteVersions(keys);
  }

  /**
   * {@link RedisLayer.delete}, answering each key's delete version (its marker's time). With
   * `completion` (one server only, see {@link RedisLayer.ordered}), the same script call also sets
   * the keys' change times and announces the delete (see {@link DeleteCompletion}).
   */
  async deleteVersions(keys: readonly string[], completion?: DeleteCompletion): Promise<readonly number[]> {
    if (keys.length === 0) return [];
    const ttl = this.options.tombstoneTtlMs;
    if (this.client.isCluster) {
      if (completion !== undefined) throw new Error('unreachable: a completed delete needs one server');
      // Keys of different slots may live on different nodes: one script per key.
      return Promise.all(keys.map((key) => this.client.strataDelete(1, key, ttl)));
    }
    let version: number;
    if (completion === undefined) version = await this.client.strataDelete(keys.length, ...keys, ttl);
    else {
      const { changeTimes, bus } = completion;
      if (changeTimes !== undefined && changeTimes.length !== keys.length)
        throw new Error('unreachable: one change time per deleted key');
      const args: string[] = [String(keys.length + (changeTimes?.length ?? 0)), ...keys];
      if (changeTimes !== undefined) args.push(...changeTimes);
      args.push(
        String(ttl),
        String(keys.length),
        changeTimes === undefined ? '' : String(this.options.dependencyTtlMs ?? DEFAULT_DEPENDENCY_TTL_MS),
        bus?.channel ?? '',
        bus?.sender ?? '',
      );
      version = await this.client.strataDelete(...args);
    }
    return keys.map(() => version);
  }

  async invalidate(tagKeys: readonly string[]): Promise<void> {
    if (tagKeys.length === 0) return;
    await this.client.strataInvalidate(
      tagKeys.length,
      ...tagKeys,
      this.options.keyDependencyPrefix ?? '',
      this.options.dependencyTtlMs ?? DEFAULT_DEPENDENCY_TTL_MS,
    );
  }

  /**
   * Keeps key dependency times (all in the tags slot) alive at least `ttlMs`, the life of an entry
   * that depends on them; creates those not set yet (at 0).
   */
  async extendDependencies(keyDependencies: readonly string[], ttlMs: number): Promise<void> {
    if (keyDependencies.length === 0) return;
    const px = Math.max(1, Math.ceil(ttlMs));
    await this.client.strataExtendDependencies(keyDependencies.length, ...keyDependencies, px);
  }

  async close(): Promise<void> {
    // The connection belongs to whoever created it (see RedisConnection); nothing to release here.
  }
}
