import { serializeEntryTail } from '../codec/entry.envelope.js';
import { bytesOver } from '../codec/value-size.js';
import { ValueTooLargeError } from '../errors/value-too-large.error.js';
import { deepFreeze, encodeValue, type EncodedValue } from '../codec/value.codec.js';
import { mergeDependencies } from '../dependencies/dependency-tracker.js';
import { cacheOfEntry } from '../events/entry-cache.js';
import type { StrataEventMap } from '../events/strata-event-map.js';
import type { RedisTimeBudget } from '../layers/redis-time-budget.js';
import type { Tiers } from '../tiers/tiers.js';
import { DEFAULT_NAMESPACE, KeyBuilder } from '../keys/key-builder.js';
import type { ReadOptions, WriteOptions, WriteTicket } from '../options/call-options.js';
import { callLifetimeMs } from '../ttl/ttl-policy.js';
import { AnnouncedDeletes } from './announced-deletes.js';
import { BatchedSets } from './batched-sets.js';
import { heldBackWhile } from './held-back.js';
import { type ConfirmedInvalidation, ConfirmedInvalidations } from './confirmed-invalidations.js';
import type { EntryWriter } from './entry-writer.js';
import { type ChangedUpTo, type KeyChanges, l2WriteToken } from './key-changes.js';

const NO_TAGS: readonly string[] = [];

/** The `value:too-large` event of a value refused by a set or a load. */
export function tooLarge(
  prefix: string,
  error: ValueTooLargeError,
  operation: 'set' | 'load',
): StrataEventMap['value:too-large'] {
  return {
    cache: cacheOfEntry(prefix, error.key),
    key: error.key,
    bytes: error.bytes,
    maxBytes: error.maxBytes,
    operation,
  };
}

/**
 * The writes of a `CacheStack` (sets, deletes, tag and namespace invalidations, write tickets),
 * each announced on the bus and, for sets and deletes, recorded as a key change
 * (docs/dependencies.md). The stack's public methods delegate here.
 */
export class WritePath {
  /** Sets on one Redis server, several to a script call. */
  private readonly sets: BatchedSets;
  /** Deletes, announced by their own script call on one Redis server. */
  private readonly deletes: AnnouncedDeletes;
  /** Invalidations that resolve only once Redis and the bus acknowledged them. */
  private readonly confirmed: ConfirmedInvalidations;

  constructor(
    private readonly tiers: Tiers,
    private readonly writer: EntryWriter,
    private readonly changes: KeyChanges,
  ) {
    this.sets = new BatchedSets(tiers, writer, changes);
    this.deletes = new AnnouncedDeletes(tiers, changes);
    this.confirmed = new ConfirmedInvalidations(tiers, () => this.sets.flush());
  }

  /** Waits for the script calls of sets still in flight (shutdown). */
  drain(): Promise<void> {
    return this.sets.drain();
  }

  /**
   * `CacheStack.set` of an encoded value. `budget`: the Redis time of the set's operation, which
   * the caller runs as an explicit one (`L2Guard.explicitOperation`); the usual set hands it to
   * its batched write, anything else runs in the operation's async context (`L2Guard.enter`).
   */
  async setEncoded(
    key: string,
    value: unknown,
    encoded: EncodedValue,
    options: WriteOptions,
    budget: RedisTimeBudget | undefined,
  ): Promise<void> {
    const { tiers } = this;
    const full = tiers.keys.entry(key, options.namespace);
    const seal = tiers.sealOf(options);
    const ttlMs = tiers.ttl.forValue(value, callLifetimeMs(options.ttl, 'ttl'), undefined);
    // Before any Redis call: a value this large would time out its write and its announcement,
    // and open the breaker for every other key. The key is evicted instead (a small command), so
    // an older value does not outlive a set the caller made.
    const bytes = bytesOver(encoded, tiers.options.maxValueBytes);
    if (bytes !== undefined) {
      const error = new ValueTooLargeError(full, bytes, tiers.options.maxValueBytes);
      if (tiers.events.has('value:too-large'))
        tiers.events.emit('value:too-large', tooLarge(tiers.keys.prefix, error, 'set'));
      await this.delete(key, options, budget);
      throw error;
    }
    const shared = tiers.options.shareReferences || options.share === true ? deepFreeze(value) : undefined;
    const own = tiers.keys.dependencies(options.namespace, options.tags);
    const dependsOn = options.dependsOn;
    const tags = dependsOn === undefined || dependsOn.length === 0 ? own : mergeDependencies(own, dependsOn);
    const write = {
      full,
      encoded,
      ttlMs,
      staleMs: tiers.options.reads.staleMs,
      tags,
      loadMs: undefined,
      shared,
      seal,
    };
    // With dependencies, the writer extends their times before it sends the entry (entry-writer.ts).
    const issued = tags === own;
    // Taken before the Redis write: a change another instance makes after it, announced before
    // this write reaches L1, keeps this (older) value out of L1.
    const l1Token = options.ticket?.l1 ?? tiers.l1?.missToken();
    if (issued && this.sets.enabled) await this.sets.set(write, l1Token, l2WriteToken(options), budget);
    else {
      await this.inOperation(() => {
        const written = this.writer
          .write(write, l1Token, l2WriteToken(options))
          .then((version): ChangedUpTo => (typeof version === 'number' ? [version - 1] : undefined));
        return this.changes.after([full], written, issued);
      }, budget);
    }
    if (tiers.events.has('set'))
      tiers.events.emit('set', { cache: cacheOfEntry(tiers.keys.prefix, full), key: full });
  }

  /** Runs `fn` in the async context of the operation of `budget` (none without Redis). */
  private inOperation(fn: () => Promise<void>, budget: RedisTimeBudget | undefined): Promise<void> {
    const guard = this.tiers.guard;
    return guard === undefined || budget === undefined ? fn() : guard.enter(fn, budget);
  }

  /** See `CacheStack.encode`: the encoded value, checked against `maxValueBytes`. */
  encode(key: string, value: unknown, options: ReadOptions & { readonly target?: string }): EncodedValue {
    const encoded = encodeValue(value, options.target ?? key);
    const max = this.tiers.options.maxValueBytes;
    const bytes = bytesOver(encoded, max);
    if (bytes !== undefined)
      throw new ValueTooLargeError(this.tiers.keys.entry(key, options.namespace), bytes, max);
    return encoded;
  }

  async writeTicket(key: string, options: ReadOptions): Promise<WriteTicket> {
    const l1 = this.tiers.l1?.missToken();
    const l2 = await this.tiers.guard?.missToken(this.tiers.keys.entry(key, options.namespace));
    return { l1, l2 };
  }

  entryHead(
    key: string,
    value: unknown,
    options: WriteOptions,
  ): { full: string; ttlMs: number; head: string } {
    const { tiers } = this;
    const full = tiers.keys.entry(key, options.namespace);
    const freshMs = tiers.ttl.forValue(value, callLifetimeMs(options.ttl, 'ttl'), undefined);
    const ttlMs = freshMs + tiers.options.reads.staleMs;
    const now = tiers.clock.now();
    const head = serializeEntryTail({
      freshUntil: now + freshMs,
      staleUntil: now + ttlMs,
      tags: tiers.keys.dependencies(options.namespace, options.tags),
      value: '',
    });
    return { full, ttlMs, head };
  }

  /**
   * `CacheStack.delete`. `budget`: the Redis time of the delete's operation, which the caller runs
   * as an explicit one (`L2Guard.explicitOperation`); `undefined` without Redis.
   */
  async delete(
    keys: string | readonly string[],
    options: ReadOptions | undefined,
    budget: RedisTimeBudget | undefined,
  ): Promise<void> {
    const { tiers } = this;
    const list = typeof keys === 'string' ? [keys] : keys;
    const full = list.map((key) => tiers.keys.entry(key, options?.namespace));
    await heldBackWhile(tiers, full, NO_TAGS, () => {
      // In Redis too, after the sets made before it (they may wait for a call) and before later ones.
      this.sets.flush();
      return this.deletes.delete(full, budget);
    });
    if (tiers.events.has('delete'))
      tiers.events.emit('delete', { cache: options?.namespace ?? DEFAULT_NAMESPACE, keys: full });
  }

  async invalidateTags(tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    await this.invalidate(tags.map((tag) => this.tiers.keys.tag(tag)));
    if (this.tiers.events.has('invalidate:tags')) this.tiers.events.emit('invalidate:tags', { tags });
  }

  async invalidateNamespace(namespace: string): Promise<void> {
    KeyBuilder.assertNamespace(namespace);
    await this.invalidate([this.tiers.keys.namespace(namespace)]);
    if (this.tiers.events.has('invalidate:namespace'))
      this.tiers.events.emit('invalidate:namespace', { cache: namespace });
  }

  /** See {@link ConfirmedInvalidations}: throws `InvalidationUnconfirmedError` unless it landed. */
  invalidateConfirmed(request: ConfirmedInvalidation): Promise<void> {
    return this.confirmed.apply(request);
  }

  private async invalidate(tagKeys: readonly string[]): Promise<void> {
    const { tiers } = this;
    await heldBackWhile(tiers, NO_TAGS, tagKeys, async () => {
      this.sets.flush();
      await tiers.guard?.invalidate(tagKeys);
    });
    await tiers.bus?.announce(NO_TAGS, [], tagKeys);
  }
}
