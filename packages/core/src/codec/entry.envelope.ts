import { isEncrypted, SEAL_ENCRYPT, type SealFlags, type StoredValueCodec } from './stored-value.codec.js';
import { isCurrentEncoding, isLegacyEncoding, type EncodedValue } from './value.codec.js';

/**
 * Version of the stored entry layout. An entry whose version Strata does not know (written by an
 * older or newer, incompatible release) is read as a miss, never a crash.
 *
 * The optional load time (`|loadMs` after the tag count) did not change it: this release reads
 * entries without it, and releases before it read entries with it as misses (their parser
 * rejects the extra field), which is what a new version would have given them.
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
  /**
   * How long the loader that produced the value took, in whole ms (rounded up), for early
   * refresh (XFetch). Absent for values that were set rather than loaded.
   */
  readonly loadMs?: number;
  /** Full tag keys (namespace tag included) the entry depends on. */
  readonly tags: readonly string[];
  /** The encoded value (in clear: L1 and callers never see a compressed or encrypted form). */
  readonly value: EncodedValue;
  /**
   * How the value is stored in Redis (`SealFlags`): encrypted (a sensitive entry), or never
   * compressed. Not part of the stored header: a read sets `SEAL_ENCRYPT` on an entry it found
   * encrypted. Absent: `0`.
   */
  readonly seal?: SealFlags;
}

/**
 * Everything of the Redis form of an entry but its `created` time, which the write script fills
 * in (from the miss token, or Redis `TIME`): `freshUntil|staleUntil|tagCount\n` (or
 * `freshUntil|staleUntil|tagCount|loadMs\n` for a loaded value) + one tag key per line + the
 * encoded value. The full form is `S1|created|` + this. The layout keeps the tag
 * check in Lua down to `string.find`, without JSON decoding.
 */
export function serializeEntryTail(entry: Omit<CacheEntry, 'created'>): string {
  return serializeEntryHead(entry) + entry.value;
}

/**
 * {@link serializeEntryTail} without the value: what the write scripts put between the `created`
 * time and the value. A caller that sends the value as an argument of its own spares the client a
 * copy of it (a string joined to a large value must be flattened before it is sent).
 */
export function serializeEntryHead(entry: Omit<CacheEntry, 'created' | 'value'>): string {
  const loadMs = entry.loadMs;
  let head = `${Math.round(entry.freshUntil)}|${Math.round(entry.staleUntil)}|${entry.tags.length}`;
  head += loadMs !== undefined && loadMs > 0 ? `|${Math.ceil(loadMs)}\n` : '\n';
  for (const tag of entry.tags) head += tag + '\n';
  return head;
}

/**
 * {@link serializeEntryTail} with the value in its stored form (compressed or encrypted as
 * `values` and the entry's `seal` say, see `StoredValueCodec.seal`).
 *
 * @param key - the entry's full key: an encrypted value is bound to it.
 */
export function storedEntryTail(
  key: string,
  entry: Omit<CacheEntry, 'created'>,
  values: StoredValueCodec | undefined,
): string {
  const head = serializeEntryHead(entry);
  return head + (values === undefined ? entry.value : values.seal(key, head, entry.value, entry.seal ?? 0));
}

const HEADER_PREFIX = `S${ENTRY_FORMAT_VERSION}|`;

/**
 * Parses the Redis form of an entry; `undefined` for delete markers, unknown formats, values
 * in an earlier release's typed encoding (see `isLegacyEncoding`), and values `values` cannot
 * open (of an unknown kind, encrypted under an unknown key or tampered with: see
 * `StoredValueCodec.open`; without `values`, every compressed or encrypted value).
 *
 * @param key - the entry's full key: an encrypted value is bound to it.
 */
export function parseEntry(raw: string, key = '', values?: StoredValueCodec): CacheEntry | undefined {
  // Hand-rolled: on the L2 hit path, split('|') + Number() cost three times as much.
  if (!raw.startsWith(HEADER_PREFIX)) return undefined;
  const cursor = { at: HEADER_PREFIX.length };
  const created = readInt(raw, cursor, 0x7c /* | */);
  const headStart = cursor.at;
  const freshUntil = readInt(raw, cursor, 0x7c);
  const staleUntil = readInt(raw, cursor, 0x7c);
  const tagCount = readInt(raw, cursor, 0x0a /* \n */, 0x7c);
  const loadMs = raw.charCodeAt(cursor.at - 1) === 0x7c ? readInt(raw, cursor, 0x0a) : 0;
  if (created < 0 || freshUntil < 0 || staleUntil < 0 || tagCount < 0 || loadMs < 0) return undefined;
  const tags: string[] = [];
  let position = cursor.at;
  for (let i = 0; i < tagCount; i++) {
    const end = raw.indexOf('\n', position);
    if (end < 0) return undefined;
    tags.push(raw.slice(position, end));
    position = end + 1;
  }
  let value = raw.slice(position);
  let seal: SealFlags | undefined;
  if (!isCurrentEncoding(value)) {
    // A typed value of an earlier release could hold user data that reads back as a tag: a miss.
    if (isLegacyEncoding(value) || values === undefined) return undefined;
    const opened = values.open(key, raw.slice(headStart, position), value);
    if (opened === undefined) return undefined;
    if (isEncrypted(value)) seal = SEAL_ENCRYPT;
    value = opened;
  }
  const entry: CacheEntry =
    loadMs > 0
      ? { created, freshUntil, staleUntil, loadMs, tags, value }
      : { created, freshUntil, staleUntil, tags, value };
  return seal === undefined ? entry : { ...entry, seal };
}

/**
 * Reads decimal digits up to `terminator` (or `alternative`), moving the cursor past it; -1 when
 * malformed.
 */
function readInt(raw: string, cursor: { at: number }, terminator: number, alternative = terminator): number {
  let value = 0;
  let i = cursor.at;
  const start = i;
  for (; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === terminator || code === alternative) break;
    if (code < 0x30 || code > 0x39) return -1;
    value = value * 10 + (code - 0x30);
  }
  if (i === start || i >= raw.length) return -1;
  cursor.at = i + 1;
  return value;
}
