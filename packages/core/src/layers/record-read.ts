import { parseEntry, type CacheEntry } from '../codec/entry.envelope.js';
import type { StoredValueCodec } from '../codec/stored-value.codec.js';
import type { LayerRead } from './cache-layer.interface.js';

/** A read that found no record. */
export const MISS: LayerRead = { entry: undefined };

/** The version in the header of a record this release does not read as an entry. */
const RECORD_VERSION = /^(?:X|S1)\|(\d+)/;

/**
 * A read that found no readable entry: a delete marker (`X|<time>`), or an entry this release
 * does not read (an earlier release's value encoding, `S1|<created>|…`), still gives the version
 * the write token compares against, so the load that follows may replace it. The pattern is the
 * token script's (`^[SX]1?|(%d+)`).
 */
export function markerRead(raw: string): LayerRead {
  const match = RECORD_VERSION.exec(raw);
  if (match === null) return MISS;
  const version = Number(match[1]);
  return Number.isSafeInteger(version) && version > 0 ? { entry: undefined, version } : MISS;
}

/** Whether an invalidation time read from Redis supersedes an entry created at `created`. */
export function isAtOrAfter(time: string | null | undefined, created: number): boolean {
  return time !== null && time !== undefined && Number(time) >= created;
}

/**
 * The read of a record, checked against its tag and namespace times: those of `hinted` come in
 * `times` (`hinted[i]`'s at `times[first + i]`); the others are read with `readTimes` (all tag
 * times share a slot). Reading a time after the record can only find it newer, so the check is
 * never weaker than an atomic one. Answers at once (no promise) when every time came with the
 * record: the L2 hit path. `key` and `values` open a compressed or encrypted value (see
 * `parseEntry`).
 */
export function checkedRecord(
  key: string,
  values: StoredValueCodec | undefined,
  raw: string,
  hinted: readonly string[],
  times: readonly (string | null)[],
  first: number,
  readTimes: (keys: string[]) => Promise<(string | null)[]>,
): LayerRead | Promise<LayerRead> {
  const entry = parseEntry(raw, key, values);
  if (entry === undefined) return markerRead(raw);
  let unknown: string[] | undefined;
  for (const tag of entry.tags) {
    const at = hinted.indexOf(tag);
    if (at < 0) (unknown ??= []).push(tag);
    else if (isAtOrAfter(times[first + at], entry.created))
      return { entry: undefined, version: entry.created };
  }
  return unknown === undefined ? { entry, version: entry.created } : checkedLater(entry, unknown, readTimes);
}

/** {@link checkedRecord} for the tags whose times did not come with the record: read now. */
async function checkedLater(
  entry: CacheEntry,
  tagKeys: string[],
  readTimes: (keys: string[]) => Promise<(string | null)[]>,
): Promise<LayerRead> {
  for (const time of await readTimes(tagKeys))
    if (isAtOrAfter(time, entry.created)) return { entry: undefined, version: entry.created };
  return { entry, version: entry.created };
}
