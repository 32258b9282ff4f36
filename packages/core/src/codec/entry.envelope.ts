import type { EncodedValue } from './value.codec.js';

/**
 * Version of the stored entry layout. An entry whose version Strata does not know (written by an
 * older or newer, incompatible release) is read as a miss, never a crash.
 */
export const ENTRY_FORMAT_VERSION = 1;

/**
 * A cache entry as the layers store it.
 *
 * `created` is on the store's own clock (a logical counter in memory, Redis `TIME` in
 * microseconds in Redis): it is compared with tag, namespace and delete times on that same clock,
 * so clock skew between app instances cannot resurrect an invalidated entry.
 * `freshUntil` and `staleUntil` are wall-clock milliseconds of the writer.
 */
export interface CacheEntry {
  /** When the entry's data was read from the source, on the store's clock. */
  readonly created: number;
  /** Wall-clock ms until which the entry is fresh. */
  readonly freshUntil: number;
  /** Wall-clock ms until which the entry may be served stale (grace); `>= freshUntil`. */
  readonly staleUntil: number;
  /** Full tag keys (namespace tag included) the entry depends on. */
  readonly tags: readonly string[];
  /** The encoded value. */
  readonly value: EncodedValue;
}

/**
 * Everything of the Redis form of an entry but its `created` time, which the write script fills
 * in (from the miss token, or Redis `TIME`): `freshUntil|staleUntil|tagCount\n` + one tag key per
 * line + the encoded value. The full form is `S1|created|` + this. The layout keeps the tag
 * check in Lua down to `string.find`, without JSON decoding.
 */
export function serializeEntryTail(entry: Omit<CacheEntry, 'created'>): string {
  let tail = `${Math.round(entry.freshUntil)}|${Math.round(entry.staleUntil)}|${entry.tags.length}\n`;
  for (const tag of entry.tags) tail += tag + '\n';
  return tail + entry.value;
}

const HEADER_PREFIX = `S${ENTRY_FORMAT_VERSION}|`;

/** Parses the Redis form of an entry; `undefined` for tombstones and unknown formats. */
export function parseEntry(raw: string): CacheEntry | undefined {
  if (!raw.startsWith(HEADER_PREFIX)) return undefined;
  const headerEnd = raw.indexOf('\n');
  if (headerEnd < 0) return undefined;
  const fields = raw.slice(HEADER_PREFIX.length, headerEnd).split('|');
  if (fields.length !== 4) return undefined;
  const created = Number(fields[0]);
  const freshUntil = Number(fields[1]);
  const staleUntil = Number(fields[2]);
  const tagCount = Number(fields[3]);
  if (!Number.isFinite(created) || !Number.isFinite(freshUntil) || !Number.isInteger(tagCount))
    return undefined;
  const tags: string[] = [];
  let position = headerEnd + 1;
  for (let i = 0; i < tagCount; i++) {
    const end = raw.indexOf('\n', position);
    if (end < 0) return undefined;
    tags.push(raw.slice(position, end));
    position = end + 1;
  }
  return { created, freshUntil, staleUntil, tags, value: raw.slice(position) };
}
