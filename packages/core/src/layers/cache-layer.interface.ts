import type { CacheEntry } from '../codec/entry.envelope.js';
import type { CacheLayerName } from '../events/strata-events.js';

/** What a layer returns for a read. */
export interface LayerRead {
  /**
   * The entry, when one exists that no delete, tag or namespace invalidation has superseded.
   * It may be past `freshUntil`: freshness is the stack's decision.
   */
  readonly entry: CacheEntry | undefined;
  /**
   * The read's time on the layer's clock, when the layer has it at no cost (memory); else ask
   * {@link CacheLayer.missToken}. Passed back to {@link CacheLayer.write} for a value loaded
   * after this read, it makes the write a no-op if the key was deleted, written, or its tags or
   * namespace invalidated since (no stale sets: the memcache lease idea).
   */
  readonly token?: number;
  /** For the memory layer with `shareReferences`: the frozen stored value. */
  readonly shared?: unknown;
  /**
   * For the Redis layer: the version of the record the read found (an entry's `created`, even
   * one a tag invalidated, or a delete marker's time); absent when it found none.
   */
  readonly version?: number;
}

/** An entry to write; the layer assigns `created` from the token or its clock. */
export type EntryToWrite = Omit<CacheEntry, 'created'>;

/**
 * One layer of a `CacheStack` (memory, Redis). Every layer passes the shared store suite in
 * `packages/core/test/store-compliance.suite.ts`.
 */
export interface CacheLayer {
  /** `l1` (memory) or `l2` (Redis). */
  readonly name: CacheLayerName;
  /**
   * Reads a key (full key from `KeyBuilder.entry`). `tagHint`: the tag keys the caller expects
   * the entry to carry, which a layer may fetch along with it.
   */
  read(key: string, tagHint?: readonly string[]): LayerRead | Promise<LayerRead>;
  /** A token for a write that follows a miss, taken before the loader runs. */
  missToken(key: string): number | Promise<number>;
  /**
   * Writes an entry that lives `ttlMs` in the store. With a `token` from an earlier read, the write
   * is skipped (returns false) if the key was deleted or written since that read.
   * `shared` is the value itself, kept by the memory layer when references are shared.
   */
  write(
    key: string,
    entry: EntryToWrite,
    ttlMs: number,
    token?: number,
    shared?: unknown,
  ): boolean | Promise<boolean>;
  /** Deletes keys; loads that began before are kept from writing their result. */
  delete(keys: readonly string[]): void | Promise<void>;
  /** Marks tag or namespace keys (from `KeyBuilder.tag`/`namespace`) invalidated now. */
  invalidate(tagKeys: readonly string[]): void | Promise<void>;
  /** Releases resources. */
  close(): Promise<void>;
}
