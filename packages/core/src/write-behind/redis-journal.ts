import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { parseJournalRecord, type JournalRecord } from './journal-record.js';
import { PLAIN_JOURNAL_VALUES, type JournalValues } from './journal-values.js';
import { RedisDeadLetters } from './redis-dead-letters.js';
import { firstId, type ParsedEntries } from './stream-entries.js';
import type { AppendResult } from './journal-append.request.js';
import type { AppendRequest } from './journal-append.request.js';
import { JournalAppender } from './journal-appender.js';
import { JOURNAL_GROUP, JournalConsumerGroup } from './journal-consumer.group.js';
import { journalPartitions, partitionOfKey, type PartitionKeys } from './journal-partition.keys.js';
import { ACK_SCRIPT, DEAD_SCRIPT, SUPERSEDE_SCRIPT, TAKE_SCRIPT } from './redis-journal.scripts.js';

export { JOURNAL_GROUP } from './journal-consumer.group.js';
export type { StreamRecord, PoisonEntry, ParsedEntries } from './stream-entries.js';
export type { AppendRequest } from './journal-append.request.js';
export type { PartitionKeys } from './journal-partition.keys.js';

/** Options of a {@link RedisJournal}. */
export interface RedisJournalOptions {
  readonly prefix: string;
  readonly cache: string;
  readonly partitions: number;
  /**
   * Most unflushed keys in all. Each partition holds an equal share, rounded down so that the
   * partitions together never exceed it (at least one key each: keep `partitions` at most this).
   */
  readonly maxQueueLength: number;
  /** PX of delete markers. */
  readonly tombstoneTtlMs: number;
  /** Approximate cap of the dead-letter stream. */
  readonly deadLetterCap: number;
  /** `WAIT` for replicas after each append (see {@link JournalAppender}). */
  readonly replicas?: { readonly count: number; readonly timeoutMs: number };
  /** The invalidation bus appends announce changed entries on (in the append script). */
  readonly bus?: { readonly channel: string; readonly sender: string };
  /** The stored form of journaled values (compressed, encrypted); absent: as they are. */
  readonly values?: JournalValues;
}

interface JournalScripts {
  strataJournalTake(...args: (string | number)[]): Promise<string[]>;
  strataJournalAck(...args: (string | number)[]): Promise<number>;
  strataJournalDead(...args: (string | number)[]): Promise<string>;
  strataJournalSupersede(...args: (string | number)[]): Promise<number>;
}

type JournalClient = (Redis | Cluster) & JournalScripts;

/**
 * The Redis side of a write-behind journal: the scripts and stream commands of one named cache,
 * over the stack's command connection. Writes of a key always go to the same partition (a hash
 * of the key), so per-key order is the order of one stream.
 */
export class RedisJournal {
  /** This instance's consumer name in the group. */
  readonly consumer = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  readonly partitions: readonly PartitionKeys[];
  private readonly client: JournalClient;
  private readonly group: JournalConsumerGroup;
  private readonly appends: JournalAppender;
  /** The dead-letter streams: listed, counted, re-driven and purged the same from every instance. */
  readonly deadLetters: RedisDeadLetters;

  constructor(
    client: Redis | Cluster,
    private readonly options: RedisJournalOptions,
  ) {
    client.defineCommand('strataJournalTake', { numberOfKeys: 2, lua: TAKE_SCRIPT });
    client.defineCommand('strataJournalAck', { numberOfKeys: 2, lua: ACK_SCRIPT });
    client.defineCommand('strataJournalDead', { numberOfKeys: 3, lua: DEAD_SCRIPT });
    client.defineCommand('strataJournalSupersede', { numberOfKeys: 2, lua: SUPERSEDE_SCRIPT });
    this.client = client as JournalClient;
    this.partitions = journalPartitions(options.prefix, options.cache, options.partitions);
    this.group = new JournalConsumerGroup(client, this.partitions, this.consumer);
    this.appends = new JournalAppender(client, this.partitions, {
      cache: options.cache,
      tombstoneTtlMs: options.tombstoneTtlMs,
      perPartitionLimit: Math.max(1, Math.floor(options.maxQueueLength / options.partitions)),
      replicas: options.replicas,
      bus: options.bus,
    });
    this.deadLetters = new RedisDeadLetters(client, this.partitions, options.cache, (key, raw) =>
      this.parse(key, raw),
    );
  }

  /** The stored form of journaled values. */
  get values(): JournalValues {
    return this.options.values ?? PLAIN_JOURNAL_VALUES;
  }

  /** A record of `key` read from Redis, its value opened (`undefined`: malformed or unreadable). */
  parse(key: string, raw: string): JournalRecord | undefined {
    const values = this.options.values;
    return parseJournalRecord(raw, values === undefined ? undefined : (stored) => values.open(key, stored));
  }

  /** Whether entries must carry the partition's hash tag (a cluster: one script, one slot). */
  get isCluster(): boolean {
    return this.client.isCluster;
  }

  /** The partition of a key (see {@link partitionOfKey}). */
  partitionOf(key: string): PartitionKeys {
    return partitionOfKey(this.partitions, key);
  }

  /** Creates the consumer group of every partition (and the streams), if missing. */
  ensureGroups(): Promise<void> {
    return this.group.ensure();
  }

  /**
   * Appends a write atomically with the cache write and the version. Resolves the version (and,
   * for an increment, the cached count when there is one; with `replicas`, whether they confirmed
   * it), or `'full'`. Concurrent appends to a partition share script calls.
   */
  append(key: string, request: AppendRequest): Promise<AppendResult> {
    return this.appends.append(this.partitionOf(key).index, request);
  }

  /** Connects what appends need beyond the stack's connection (rejects if Redis is unreachable). */
  connect(): Promise<void> {
    return this.appends.connect();
  }

  /** Waits for the appends in flight and releases what {@link RedisJournal.connect} opened. */
  close(): Promise<void> {
    return this.appends.close();
  }

  /** Records not yet delivered to any consumer, read for this one (non-blocking). */
  readNew(p: PartitionKeys, count: number): Promise<ParsedEntries> {
    return this.group.readNew(p, count);
  }

  /**
   * Records already delivered to this consumer and not acknowledged (its pending list), e.g.
   * those of a read whose reply was lost to a command timeout.
   */
  readOwn(p: PartitionKeys, count: number): Promise<ParsedEntries> {
    return this.group.readOwn(p, count);
  }

  /** Records another consumer left unacknowledged for `minIdleMs`, claimed for this one. */
  claim(p: PartitionKeys, minIdleMs: number, count: number): Promise<ParsedEntries> {
    return this.group.claim(p, minIdleMs, count);
  }

  /** Removes other consumers idle for `minIdleMs` that hold no records; resolves how many. */
  pruneConsumers(p: PartitionKeys, minIdleMs: number): Promise<number> {
    return this.group.prune(p, minIdleMs);
  }

  /**
   * Moves the pending records of `keys` in flight (or returns those already in flight), as
   * stored (`version|kind|payload`, untrusted: parse them); '' for a key with nothing unflushed.
   */
  take(p: PartitionKeys, keys: readonly string[]): Promise<string[]> {
    return this.client.strataJournalTake(p.pending, p.inflight, ...keys);
  }

  /** Drops delivered in-flight records (if still those versions) and acknowledges + deletes `ids`. */
  async ack(
    p: PartitionKeys,
    delivered: readonly { key: string; version: number }[],
    ids: readonly string[],
  ): Promise<void> {
    if (delivered.length === 0 && ids.length === 0) return;
    const pairs = delivered.flatMap((write) => [write.key, String(write.version)]);
    await this.client.strataJournalAck(
      p.stream,
      p.inflight,
      JOURNAL_GROUP,
      delivered.length,
      ...pairs,
      ...ids,
    );
  }

  /**
   * Moves a record to the dead-letter stream (dropping `taken` from the in-flight hash if it is
   * still there unchanged; '' for none) and acknowledges `ids`. Resolves the dead letter's id.
   */
  async deadLetter(
    p: PartitionKeys,
    letter: { key: string; version: number; taken: string; record: string; error: string },
    ids: readonly string[],
  ): Promise<string> {
    const streamId: unknown = await this.client.strataJournalDead(
      p.stream,
      p.inflight,
      p.dead,
      JOURNAL_GROUP,
      letter.key,
      String(letter.version),
      letter.taken,
      letter.record,
      letter.error,
      this.options.deadLetterCap,
      ...ids,
    );
    return `${p.index}:${String(streamId)}`;
  }

  /** Drops a key's unflushed set/delete older than `version` (written past the journal). */
  async supersede(key: string, version: number): Promise<void> {
    const p = this.partitionOf(key);
    await this.client.strataJournalSupersede(p.pending, p.inflight, key, String(version));
  }

  /** The latest unflushed record of a key (pending, else in flight). */
  async latest(key: string): Promise<JournalRecord | undefined> {
    const p = this.partitionOf(key);
    const pending = await this.client.hget(p.pending, key);
    const raw = pending ?? (await this.client.hget(p.inflight, key));
    return raw === null ? undefined : this.parse(key, raw);
  }

  /** Keys with unflushed writes, over all partitions. */
  async unflushed(): Promise<number> {
    let total = 0;
    for (const p of this.partitions)
      total += (await this.client.hlen(p.pending)) + (await this.client.hlen(p.inflight));
    return total;
  }

  /**
   * How long ago (ms) the oldest entry in the streams was appended, by the Redis server's clock
   * (the time part of its stream id against `TIME`); `undefined` when the streams are empty. An
   * unreadable entry counts until it is dead-lettered: it is unflushed as far as anyone knows.
   */
  async oldestPendingAge(): Promise<number | undefined> {
    let oldest: number | undefined;
    for (const p of this.partitions) {
      const id = firstId(await this.client.xrange(p.stream, '-', '+', 'COUNT', 1));
      const at = id === undefined ? Number.NaN : Number(id.slice(0, id.indexOf('-')));
      if (Number.isFinite(at) && (oldest === undefined || at < oldest)) oldest = at;
    }
    if (oldest === undefined) return undefined;
    const [seconds, micros] = await this.client.time();
    return Math.max(0, Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - oldest);
  }

  /** Records in the streams (unflushed ones only: flushed records are deleted). */
  async streamLength(): Promise<number> {
    let total = 0;
    for (const p of this.partitions) total += await this.client.xlen(p.stream);
    return total;
  }
}
