import type { Cluster, Redis } from 'ioredis';
import { GroupCommitBatcher } from '../batching/group-commit.batcher.js';
import { serializeEntryHead } from '../codec/entry.envelope.js';
import type { StoredValueCodec } from '../codec/stored-value.codec.js';
import { CacheStoreError } from '../errors/cache-store.error.js';
import { keySlot } from '../redis/key-slot.js';
import type { EntryToWrite } from './cache-layer.interface.js';
import { SET_BATCH_SCRIPT } from './set-batch.script.js';

/**
 * Most sets one script call carries, and most calls in flight: the journal appender's
 * (journal-appender.ts) sizes, for the same reasons (fuller calls cost the process less per
 * write; short calls in flight together keep Redis busy while the process prepares the next).
 * apps/bench scenario 7 measures them: 16 × 4 gave about 1.25 times the sets per second of 32 × 2.
 */
const MAX_SET_BATCH = 16;
const MAX_SETS_IN_FLIGHT = 4;

/** Options of a {@link RedisSetBatches}. */
export interface RedisSetBatchesOptions {
  /**
   * A Redis Cluster: one batch per slot of the entry keys, and the calls store the entries only
   * (the change times and the bus's node are elsewhere: `changeTimeOf` and `bus` are ignored).
   */
  readonly perSlot?: boolean;
  /**
   * The key dependency time of a full entry key (`KeyBuilder.keyDependency`), set to the time of
   * each set; absent: no change times (`dependencies: false`).
   */
  readonly changeTimeOf?: (key: string) => string;
  /** Least life of a key dependency time, in ms. */
  readonly dependencyTtlMs: number;
  /** The invalidation bus's channel and this instance's id on it; absent without a bus. */
  readonly bus?: { readonly channel: string; readonly sender: string };
  /** The stored form of values (compressed, encrypted); absent: stored as they are. */
  readonly values?: StoredValueCodec;
}

/**
 * Length from which a value is handed to the client as bytes: the client then copies it into the
 * command's buffer, where a string would be joined into one command string that is flattened and
 * encoded again when it is written to the socket.
 */
const BUFFER_FROM = 16 * 1024;

interface SetRequest {
  readonly key: string;
  /** `<PX>`, or `<PX> <token>` for a conditional set, a newline, then the entry's fields. */
  readonly meta: string;
  /** The encoded value; a large one as its UTF-8 bytes (see {@link BUFFER_FROM}). */
  readonly value: string | Buffer;
}

interface SetBatchCommand {
  strataSetBatch(...args: (string | Buffer)[]): Promise<string>;
}

/**
 * The sets of a `CacheStack`, group-committed ({@link GroupCommitBatcher}): the sets waiting while
 * a call is in flight share the next one. On one Redis server (or a Sentinel's primary), one call
 * of the set-batch script (set-batch.script.ts) stores each entry as `WRITE_SCRIPT` would, sets
 * each key's change time and announces them all on the bus. On a Cluster (`perSlot`), the sets
 * are batched per slot and a call stores their entries only.
 */
export class RedisSetBatches {
  private readonly client: (Redis | Cluster) & SetBatchCommand;
  private readonly batcher = new GroupCommitBatcher<SetRequest, number | undefined>(
    (_, requests) => this.send(requests),
    MAX_SET_BATCH,
    MAX_SETS_IN_FLIGHT,
  );

  private readonly options: RedisSetBatchesOptions;

  constructor(client: Redis | Cluster, options: RedisSetBatchesOptions) {
    // The key count varies with the batch: it is the first argument. Idempotent per name.
    client.defineCommand('strataSetBatch', { lua: SET_BATCH_SCRIPT });
    this.client = client as (Redis | Cluster) & SetBatchCommand;
    this.options =
      options.perSlot === true
        ? { perSlot: true, dependencyTtlMs: options.dependencyTtlMs, values: options.values }
        : options;
  }

  /** Whether a call also sets the change times and announces the sets (not on a Cluster). */
  get completesSets(): boolean {
    return this.options.perSlot !== true;
  }

  /**
   * Sets `entry` under `key` for `ttlMs`, unconditionally or, with `token`, only if the key did
   * not change since then (as `RedisLayer.writeVersion`), together with its change time and its
   * announcement (see {@link RedisSetBatches.completesSets}). Resolves once Redis ran the call
   * that carried it: the entry's version, or `undefined` when the token refused it (its change
   * time and announcement were made all the same). Rejects when that call failed.
   */
  writeVersion(key: string, entry: EntryToWrite, ttlMs: number, token?: number): Promise<number | undefined> {
    const px = Math.max(1, Math.ceil(ttlMs));
    const head = serializeEntryHead(entry);
    const values = this.options.values;
    const value = values === undefined ? entry.value : values.seal(key, head, entry.value, entry.seal ?? 0);
    return this.batcher.submit(this.options.perSlot === true ? keySlot(key) : 0, {
      key,
      meta: `${token === undefined ? px : `${px} ${token}`}\n${head}`,
      value: value.length < BUFFER_FROM ? value : Buffer.from(value),
    });
  }

  /**
   * On one server: sends the sets that wait now (see {@link GroupCommitBatcher.flush}), so that a
   * delete or invalidation sent right after lands after them and ahead of later sets, as when
   * each set was sent at once. On a Cluster, nothing (commands for different nodes have no order).
   */
  flush(): void {
    if (this.options.perSlot !== true) this.batcher.flush(0);
  }

  /** Resolves once every call made so far has its reply (shutdown). */
  idle(): Promise<void> {
    return this.batcher.idle();
  }

  /** One script call for a batch of sets: one version (or `undefined`: refused) per set. */
  private async send(requests: readonly SetRequest[]): Promise<(number | undefined)[]> {
    const { changeTimeOf, dependencyTtlMs, bus } = this.options;
    const n = requests.length;
    // Built in one array, numbers as strings (the client would convert them one by one).
    const args: (string | Buffer)[] = [String(changeTimeOf === undefined ? n : 2 * n)];
    for (const r of requests) args.push(r.key);
    if (changeTimeOf !== undefined) for (const r of requests) args.push(changeTimeOf(r.key));
    args.push(
      String(n),
      changeTimeOf === undefined ? '' : String(dependencyTtlMs),
      bus?.channel ?? '',
      bus?.sender ?? '',
    );
    for (const r of requests) args.push(r.meta, r.value);
    const reply = await this.client.strataSetBatch(...args);
    const versions = reply.split(' ').map(Number);
    if (versions.length !== n || versions.some((v) => !Number.isSafeInteger(v)))
      throw new CacheStoreError('write', `unexpected reply of the set batch script for ${n} sets`);
    return versions.map((v) => (v > 0 ? v : undefined));
  }
}
