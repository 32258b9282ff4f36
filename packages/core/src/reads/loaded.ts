import type { CacheEntry } from '../codec/entry.envelope.js';
import { decodeValue } from '../codec/value.codec.js';
import type { Tiers } from '../tiers/tiers.js';
import type { Loaded } from './read-path.types.js';

/** A load's result from a stored entry: its value, and what it depends on for the caller to record. */
export function loadedFrom(tiers: Tiers, entry: CacheEntry, shared: unknown): Loaded {
  return { value: tiers.materialize(entry.value, shared), encoded: entry.value, tags: entry.tags };
}

/** A refresh's result may reach several callers: each gets its own copy. */
export function ownCopy(tiers: Tiers, loaded: Loaded): Loaded {
  if (loaded.encoded === undefined || tiers.options.shareReferences) return loaded;
  return { value: decodeValue(loaded.encoded), encoded: loaded.encoded, tags: loaded.tags };
}
