import type { Cluster, Redis } from 'ioredis';
import { redisInsStore, type RedisStore } from 'cache-manager-ioredis-yet';
import { parseEntry, serializeEntryTail } from '../codec/entry.envelope.js';
import type { CacheLayer, EntryToWrite, LayerRead } from './cache-layer.interface.js';
import { DELETE_SCRIPT, INVALIDATE_SCRIPT, READ_SCRIPT, WRITE_SCRIPT } from './redis.scripts.js';

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
}

interface StrataScripts {
  strataRead(key: string, checkTags: '0' | '1'): Promise<[string | number, number]>;
  strataWrite(key: string, token: string, px: number, tail: string): Promise<number>;
  strataDelete(...args: (string | number)[]): Promise<number>;
  strataInvalidate(...args: (string | number)[]): Promise<number>;
}

type ScriptedClient = (Redis | Cluster) & StrataScripts;

/**
 * The Redis layer. It is built on `cache-manager-ioredis-yet`'s `redisInsStore` over a client
 * Strata owns (the store is exposed as {@link RedisLayer.store} for code that speaks
 * `cache-manager`), but reads and writes go through Lua scripts on that same command connection:
 * tag checks and guarded writes must be atomic, and the store's telejson codec costs ~5× JSON
 * (DESIGN.md §4), which the L2-hit benchmark cannot afford. Errors propagate; the stack
 * decides on fallbacks.
 */
export class RedisLayer implements CacheLayer {
  readonly name = 'l2' as const;
  /** The `cache-manager` store over the same client. Never call its `keys()` or `reset()`. */
  readonly store: RedisStore;
  private readonly client: ScriptedClient;
  private readonly splitReads: boolean;

  constructor(
    client: Redis | Cluster,
    private readonly options: RedisLayerOptions,
  ) {
    this.store = redisInsStore(client);
    this.splitReads = options.splitReads ?? client.isCluster;
    // defineCommand is idempotent per name, so a client shared by two stacks is fine.
    client.defineCommand('strataRead', { numberOfKeys: 1, lua: READ_SCRIPT });
    client.defineCommand('strataWrite', { numberOfKeys: 1, lua: WRITE_SCRIPT });
    client.defineCommand('strataDelete', { lua: DELETE_SCRIPT });
    client.defineCommand('strataInvalidate', { lua: INVALIDATE_SCRIPT });
    this.client = client as ScriptedClient;
  }

  async read(key: string): Promise<LayerRead> {
    const [raw, now] = await this.client.strataRead(key, this.splitReads ? '0' : '1');
    if (typeof raw !== 'string') return { entry: undefined, token: now };
    const entry = parseEntry(raw);
    if (entry === undefined) return { entry: undefined, token: now };
    if (this.splitReads && entry.tags.length > 0) {
      const times = await this.client.mget(...entry.tags);
      for (const time of times) {
        if (time !== null && Number(time) >= entry.created) return { entry: undefined, token: now };
      }
    }
    return { entry, token: now };
  }

  async write(key: string, entry: EntryToWrite, ttlMs: number, token?: number): Promise<boolean> {
    const px = Math.max(1, Math.ceil(ttlMs));
    const written = await this.client.strataWrite(
      key,
      token === undefined ? '' : String(token),
      px,
      serializeEntryTail(entry),
    );
    return written === 1;
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    if (this.client.isCluster) {
      // Keys of different slots may live on different nodes: one script per key.
      await Promise.all(keys.map((key) => this.client.strataDelete(1, key, this.options.tombstoneTtlMs)));
      return;
    }
    await this.client.strataDelete(keys.length, ...keys, this.options.tombstoneTtlMs);
  }

  async invalidate(tagKeys: readonly string[]): Promise<void> {
    if (tagKeys.length === 0) return;
    await this.client.strataInvalidate(tagKeys.length, ...tagKeys);
  }

  /** Remaining time to live of a raw key in ms (through the `cache-manager` store). */
  async ttl(key: string): Promise<number> {
    return this.store.ttl(key);
  }

  async close(): Promise<void> {
    // The connection belongs to whoever created it (see RedisConnection); nothing to release here.
  }
}
