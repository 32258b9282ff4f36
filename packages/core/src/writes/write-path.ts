import { serializeEntryTail } from '../codec/entry.envelope.js';
import { bytesOver } from '../codec/value-size.js';
import { ValueTooLargeError } from '../errors/value-too-large.error.js';
import { deepFreeze, encodeValue, type EncodedValue } from '../codec/value.codec.js';
import type { InvalidationBus } from '../bus/invalidation-bus.js';
import { mergeDependencies } from '../dependencies/dependency-tracker.js';
import { cacheOfEntry } from '../events/entry-cache.js';
import type { StrataEventMap } from '../events/strata-event-map.js';
import type { StrataEvents } from '../events/strata-events.js';
import { DEFAULT_NAMESPACE, KeyBuilder } from '../keys/key-builder.js';
import type { MemoryLayer } from '../layers/memory.layer.js';
import type { ResolvedStackOptions } from '../options/resolve-options.js';
import type { TtlPolicy } from '../ttl/ttl-policy.js';
import type { ReadOptions, WriteOptions, WriteTicket } from '../stack/cache-stack.types.js';
import type { EntryWriter } from './entry-writer.js';
import { type ChangedUpTo, type KeyChanges, l2WriteToken } from './key-changes.js';
import type { L2Guard } from '../layers/l2-guard.js';

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

/** What the write path uses of its `CacheStack`. */
export interface WritePathDeps {
  readonly options: ResolvedStackOptions;
  readonly events: StrataEvents;
  readonly keys: KeyBuilder;
  readonly ttl: TtlPolicy;
  readonly l1: MemoryLayer | undefined;
  readonly guard: L2Guard | undefined;
  readonly bus: InvalidationBus | undefined;
  readonly writer: EntryWriter;
  readonly changes: KeyChanges;
}

/**
 * The writes of a `CacheStack` (sets, deletes, tag and namespace invalidations, write tickets),
 * each announced on the bus and, for sets and deletes, recorded as a key change
 * (docs/dependencies.md). The stack's public methods delegate here.
 */
export class WritePath {
  constructor(private readonly d: WritePathDeps) {}

  async setEncoded(key: string, value: unknown, encoded: EncodedValue, options: WriteOptions): Promise<void> {
    const { d } = this;
    const full = d.keys.entry(key, options.namespace);
    const ttlMs = d.ttl.forValue(value, options.ttl, undefined);
    // Before any Redis call: a value this large would time out its write and its announcement,
    // and open the breaker for every other key. The key is evicted instead (a small command), so
    // an older value does not outlive a set the caller made.
    const bytes = bytesOver(encoded, d.options.maxValueBytes);
    if (bytes !== undefined) {
      const error = new ValueTooLargeError(full, bytes, d.options.maxValueBytes);
      if (d.events.has('value:too-large'))
        d.events.emit('value:too-large', tooLarge(d.keys.prefix, error, 'set'));
      await this.delete(key, options);
      throw error;
    }
    const shared = d.options.shareReferences || options.share === true ? deepFreeze(value) : undefined;
    const own = d.keys.dependencies(options.namespace, options.tags);
    const dependsOn = options.dependsOn;
    const tags = dependsOn === undefined || dependsOn.length === 0 ? own : mergeDependencies(own, dependsOn);
    const write = { full, encoded, ttlMs, staleMs: d.options.reads.staleMs, tags, loadMs: undefined, shared };
    // With dependencies, the writer extends their times before it sends the entry (entry-writer.ts).
    const issued = tags === own;
    // Taken before the Redis write: a change another instance makes after it, announced before
    // this write reaches L1, keeps this (older) value out of L1.
    const l1Token = options.ticket?.l1 ?? d.l1?.missToken();
    const written = d.writer
      .write(write, l1Token, l2WriteToken(options))
      .then((version): ChangedUpTo => (version === undefined ? undefined : [version - 1]));
    await d.changes.after([full], written, issued);
    if (d.events.has('set')) d.events.emit('set', { cache: cacheOfEntry(d.keys.prefix, full), key: full });
  }

  /** See `CacheStack.encode`: the encoded value, checked against `maxValueBytes`. */
  encode(key: string, value: unknown, options: ReadOptions & { readonly target?: string }): EncodedValue {
    const encoded = encodeValue(value, options.target ?? key);
    const max = this.d.options.maxValueBytes;
    const bytes = bytesOver(encoded, max);
    if (bytes !== undefined)
      throw new ValueTooLargeError(this.d.keys.entry(key, options.namespace), bytes, max);
    return encoded;
  }

  async writeTicket(key: string, options: ReadOptions): Promise<WriteTicket> {
    const l1 = this.d.l1?.missToken();
    const l2 = await this.d.guard?.missToken(this.d.keys.entry(key, options.namespace));
    return { l1, l2 };
  }

  entryHead(
    key: string,
    value: unknown,
    options: WriteOptions,
  ): { full: string; ttlMs: number; head: string } {
    const { d } = this;
    const full = d.keys.entry(key, options.namespace);
    const freshMs = d.ttl.forValue(value, options.ttl, undefined);
    const ttlMs = freshMs + d.options.reads.staleMs;
    const now = Date.now();
    const head = serializeEntryTail({
      freshUntil: now + freshMs,
      staleUntil: now + ttlMs,
      tags: d.keys.dependencies(options.namespace, options.tags),
      value: '',
    });
    return { full, ttlMs, head };
  }

  async delete(keys: string | readonly string[], options: ReadOptions | undefined): Promise<void> {
    const { d } = this;
    const list = typeof keys === 'string' ? [keys] : keys;
    const full = list.map((key) => d.keys.entry(key, options?.namespace));
    d.l1?.delete(full);
    await d.changes.after(full, d.guard?.delete(full));
    if (d.events.has('delete'))
      d.events.emit('delete', { cache: options?.namespace ?? DEFAULT_NAMESPACE, keys: full });
  }

  async invalidateTags(tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    await this.invalidate(tags.map((tag) => this.d.keys.tag(tag)));
    if (this.d.events.has('invalidate:tags')) this.d.events.emit('invalidate:tags', { tags });
  }

  async invalidateNamespace(namespace: string): Promise<void> {
    KeyBuilder.assertNamespace(namespace);
    await this.invalidate([this.d.keys.namespace(namespace)]);
    if (this.d.events.has('invalidate:namespace'))
      this.d.events.emit('invalidate:namespace', { cache: namespace });
  }

  private async invalidate(tagKeys: readonly string[]): Promise<void> {
    this.d.l1?.invalidate(tagKeys);
    await this.d.guard?.invalidate(tagKeys);
    await this.d.bus?.announce(NO_TAGS, [], tagKeys);
  }
}
