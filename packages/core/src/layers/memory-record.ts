import type { CacheEntry } from '../codec/entry.envelope.js';

/**
 * A held entry or a delete marker. `floor` is the highest Redis entry version known to be
 * outdated for the key (see `MemoryLayer.write`): an entry of version `v` implies `v - 1`;
 * `undefined` when not known (no Redis, a write that did not reach it, a local delete, or an
 * announcement without versions): writes are then ordered by the logical tokens alone.
 */
export type MemoryRecord =
  | {
      readonly entry: CacheEntry;
      readonly shared: unknown;
      readonly expiresAt: number;
      readonly floor: number | undefined;
    }
  | {
      readonly entry: undefined;
      readonly deletedAt: number;
      readonly expiresAt: number;
      readonly floor: number | undefined;
    };

/** A change announced by another instance for a key this layer did not hold. */
export interface RemoteDelete {
  /** When it arrived, on the logical clock. */
  readonly at: number;
  /** Redis entry versions at most this are outdated; `undefined`: not known. */
  readonly floor: number | undefined;
}

/**
 * The floor of a marker that replaces a record of floor `previous` on news of a change outdating
 * versions up to `next`: the higher of the two; unknown if the news is, or if the record stood for
 * a change of unknown version (`unknown`).
 */
export function mergeFloor(
  unknown: boolean,
  previous: number | undefined,
  next: number | undefined,
): number | undefined {
  if (next === undefined || unknown) return undefined;
  return previous !== undefined && previous > next ? previous : next;
}
