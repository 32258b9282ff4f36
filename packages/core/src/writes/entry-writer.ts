import type { Tiers } from '../tiers/tiers.js';
import type { EncodedValue } from '../codec/value.codec.js';
import type { SealFlags } from '../codec/stored-value.codec.js';
import type { EntryToWrite } from '../layers/cache-layer.interface.js';
import type { L2WriteVia } from '../layers/l2-write-via.js';

const NONE: readonly string[] = [];

/**
 * How a write may land in Redis: unconditionally (a set), if nothing changed the entry since a
 * token (a load's miss token, or `ifUnchangedSince`), or not at all (`undefined`: the load's Redis
 * read failed or was skipped).
 */
export type L2WriteToken = number | 'unconditional' | { readonly since: number } | undefined;

/** What a write stores besides its value. */
export interface EntryWrite {
  readonly full: string;
  readonly encoded: EncodedValue;
  /** Fresh for this long. */
  readonly ttlMs: number;
  /** Kept this much longer for grace / stale-while-revalidate (L1 and Redis expire it then). */
  readonly staleMs: number;
  readonly tags: readonly string[];
  /** The load's duration, for early refresh; `undefined` for a set. */
  readonly loadMs: number | undefined;
  /** The frozen value with `shareReferences`. */
  readonly shared: unknown;
  /** How the value is stored in Redis (`Tiers.sealOf`). */
  readonly seal: SealFlags;
}

/**
 * Writes an entry to Redis, then L1: the one write path of a `CacheStack`, for loads and sets.
 * L1 follows Redis: when Redis refuses the write (a newer write or a delete happened meanwhile),
 * L1 does not take it either.
 */
export class EntryWriter {
  constructor(private readonly tiers: Tiers) {}

  /**
   * Writes `w` to Redis (as `l2Token` allows; `via`: the set batches it joins, or the lease a
   * load holds, which the Redis write releases where it can, and the Redis time of the
   * operation), then to L1 under `l1Token` and the version Redis gave it.
   *
   * @returns The entry's version in Redis; `false` when Redis refused it (a newer write or a
   * delete won); `undefined` when it did not reach Redis (no token, Redis skipped or failed).
   */
  async write(
    w: EntryWrite,
    l1Token: number | undefined,
    l2Token: L2WriteToken,
    via: L2WriteVia = {},
  ): Promise<number | false | undefined> {
    const { guard, keys } = this.tiers;
    const now = this.tiers.clock.now();
    const lifeMs = w.ttlMs + w.staleMs;
    const entry: EntryToWrite = {
      freshUntil: now + w.ttlMs,
      staleUntil: now + lifeMs,
      loadMs: w.loadMs,
      tags: w.tags,
      value: w.encoded,
      seal: w.seal,
    };
    // A load whose Redis read failed or was skipped has no token: writing it to Redis unguarded
    // could put its (possibly older) value over a delete made meanwhile, so only L1 gets it.
    // It also spares a second command timeout when Redis is frozen.
    if (guard && l2Token !== undefined) {
      const token =
        l2Token === 'unconditional' ? undefined : typeof l2Token === 'number' ? l2Token : l2Token.since;
      // Before the entry: a key dependency time that expired before its dependent would let it
      // pass its check again. If Redis did not confirm, the entry stays out of Redis (L1 only).
      // (Filtered only when there are some: most writes carry none, and allocate nothing here.)
      const keyDependencies = w.tags.some((tag) => keys.isKeyDependency(tag))
        ? w.tags.filter((tag) => keys.isKeyDependency(tag))
        : NONE;
      if (
        keyDependencies.length > 0 &&
        !(await guard.extendDependencies(keyDependencies, lifeMs, via.budget))
      ) {
        // A set replaces what Redis holds: evict that (now, or once Redis is back).
        if (typeof l2Token !== 'number') await guard.delete([w.full], via.budget);
        this.writeL1(w, entry, lifeMs, l1Token, undefined);
        return undefined;
      }
      // A set (conditional or not) replaces what Redis holds: if it fails, evict after the outage.
      const written = await guard.write(w.full, entry, lifeMs, token, typeof l2Token !== 'number', via);
      // A newer write or a delete happened in Redis while we loaded: keep L1 out of it too.
      if (written === false) return false;
      this.writeL1(w, entry, lifeMs, l1Token, written);
      return written;
    }
    this.writeL1(w, entry, lifeMs, l1Token, undefined);
    return undefined;
  }

  private writeL1(
    w: EntryWrite,
    entry: EntryToWrite,
    lifeMs: number,
    l1Token: number | undefined,
    version: number | undefined,
  ): void {
    const { l1, guard, options } = this.tiers;
    if (l1 === undefined || options.l1 === undefined) return;
    let ttlMs = Math.min(lifeMs, options.l1.ttlMs);
    // With the bus, a value whose Redis write failed or was skipped lives in L1 at most
    // `bus.outageTtl` (`0`: not kept): Redis may hold something else, and no announcement can
    // order this copy (it has no version), so it lives as briefly as during a bus outage.
    const unconfirmedTtlMs = options.bus?.outageTtlMs;
    if (version === undefined && guard !== undefined && unconfirmedTtlMs !== undefined) {
      if (unconfirmedTtlMs === 0) return;
      ttlMs = Math.min(ttlMs, unconfirmedTtlMs);
    }
    l1.write(w.full, entry, ttlMs, l1Token, w.shared, version);
  }
}
