import { decodeValue, deepFreeze } from '../codec/value.codec.js';
import { SEAL_ENCRYPT, type SealFlags } from '../codec/stored-value.codec.js';
import type { LayerRead } from '../layers/cache-layer.interface.js';
import type { Tiers } from '../tiers/tiers.js';
import type { L2Lookup, L2ReadMode } from './read-path.types.js';

/**
 * What a load makes of a Redis read (`ReadPath.readL2`, or the record a miss's claim re-read): on
 * a fresh entry, a hit (`hit` event; L1 backfilled under `l1Token`, L1's miss token taken before
 * the read); else a miss with what the token for the write that follows compares against (when
 * `mode` asks for it) and the expired entry, if Redis still holds one. With `SEAL_ENCRYPT` in
 * `seal` (a sensitive call), an entry that was not stored encrypted is a miss.
 */
export function l2LookupOf(
  tiers: Tiers,
  full: string,
  read: LayerRead,
  l1Token: number | undefined,
  mode: L2ReadMode,
  seal: SealFlags,
): L2Lookup {
  const { clock, options } = tiers;
  let entry = read.entry;
  // A sensitive key's entry stored in clear (before the key was made sensitive, or by someone
  // else): a miss, whose load stores it encrypted.
  if (entry !== undefined && (seal & SEAL_ENCRYPT) !== 0 && ((entry.seal ?? 0) & SEAL_ENCRYPT) === 0) {
    tiers.l2?.values?.unreadable(full, 'unencrypted');
    entry = undefined;
  }
  if (entry === undefined || entry.freshUntil <= clock.now()) {
    // The token refuses the write if the key changes after this read, not only after the token.
    const token = mode.wantToken ? { seen: read.version ?? null } : undefined;
    return { hit: false, token, stale: entry };
  }
  if (tiers.events.has('hit')) tiers.entryEvents.hit(full, 'l2');
  const shared =
    options.shareReferences || mode.share === true ? deepFreeze(decodeValue(entry.value)) : undefined;
  const l1 = tiers.l1;
  if (l1 !== undefined && options.l1) {
    const lifeMs = Math.min(entry.staleUntil - clock.now(), options.l1.ttlMs);
    l1.write(full, entry, lifeMs, l1Token, shared, entry.created);
  }
  return { hit: true, entry, shared };
}
