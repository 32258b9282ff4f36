import type { Tiers } from '../tiers/tiers.js';

/**
 * Runs `send`, the Redis side of a delete or an invalidation of `keys` and `tagKeys` (full keys),
 * with this instance's L1 dropping them first. With Redis, L1 also holds them back until `send`
 * settled (`MemoryLayer.holdBack`): meanwhile Redis still holds the old entries as valid, and a
 * read of this instance would put them back in L1, where no announcement drops them (an instance
 * skips its own).
 */
export async function heldBackWhile<T>(
  tiers: Tiers,
  keys: readonly string[],
  tagKeys: readonly string[],
  send: () => Promise<T>,
): Promise<T> {
  const { l1, guard } = tiers;
  if (guard === undefined) {
    if (keys.length > 0) l1?.delete(keys);
    if (tagKeys.length > 0) l1?.invalidate(tagKeys);
    return send();
  }
  l1?.holdBack(keys, tagKeys);
  try {
    return await send();
  } finally {
    l1?.letThrough(keys, tagKeys);
  }
}
