/** One record read from a journal stream: the write of `key` at `version`. */
export interface StreamRecord {
  readonly id: string;
  readonly key: string;
  readonly version: number;
  /**
   * The cache entry of the key is evicted once the record is delivered: set on a re-driven dead
   * letter, whose write may be older than what the cache holds.
   */
  readonly evict: boolean;
}

/** A stream entry that is not a journal record: acknowledged and dead-lettered, never delivered. */
export interface PoisonEntry {
  readonly id: string;
  /** The `k` field when it is a string (to name the dead letter), else ''. */
  readonly key: string;
  /** Why it was refused. */
  readonly reason: string;
  /** The entry's fields, abridged to {@link MAX_POISON_TEXT} characters. */
  readonly raw: string;
}

/** What a read of journal stream entries found. */
export interface ParsedEntries {
  readonly records: StreamRecord[];
  readonly poison: PoisonEntry[];
  /** Ids of entries deleted since they were delivered (nothing to deliver; acknowledge them). */
  readonly gone: string[];
}

/** Most characters of a poison entry kept in its dead letter (a huge field is not copied whole). */
export const MAX_POISON_TEXT = 1_024;

/** A positive decimal integer without sign, exponent or leading zeros, as the append script writes. */
const VERSION = /^[1-9]\d{0,15}$/;

/**
 * Parses `[[id, [field, value, …]], …]` stream entries. The stream is untrusted input (anyone
 * with the Redis password can `XADD` to it): an entry is a record only when its fields are
 * exactly `k` (a non-empty key) and `v` (a positive safe integer), plus `x` = `1` on a re-driven
 * record. Anything else (a missing, repeated or unknown field, a format this version does not
 * know) is poison: delivering it would mean guessing.
 */
export function parseEntries(raw: unknown): ParsedEntries {
  const parsed: ParsedEntries = { records: [], poison: [], gone: [] };
  if (!Array.isArray(raw)) return parsed;
  for (const item of raw as unknown[]) {
    if (!Array.isArray(item) || typeof item[0] !== 'string') continue; // no id: nothing to acknowledge
    const id = item[0];
    const fields: unknown = item[1];
    if (fields === null) parsed.gone.push(id);
    else {
      const result = parseFields(fields);
      if (typeof result === 'string') parsed.poison.push({ id, ...describe(fields), reason: result });
      else parsed.records.push({ id, ...result });
    }
  }
  return parsed;
}

/** The id of the first entry of an `XRANGE` reply, whatever its fields. */
export function firstId(raw: unknown): string | undefined {
  if (!Array.isArray(raw)) return undefined;
  const item: unknown = raw[0];
  return Array.isArray(item) && typeof item[0] === 'string' ? item[0] : undefined;
}

type Fields = Omit<StreamRecord, 'id'>;

/** The record the fields describe, or why they do not describe one. */
function parseFields(fields: unknown): Fields | string {
  if (!Array.isArray(fields)) return 'fields are not a list';
  if (!isStringList(fields)) return 'a field is not a string';
  if (fields.length % 2 !== 0) return 'odd number of fields';
  const seen = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] ?? '';
    const value = fields[i + 1] ?? '';
    if (name !== 'k' && name !== 'v' && name !== 'x') return `unknown field "${abridge(name, 64)}"`;
    if (seen.has(name)) return `field "${name}" repeated`;
    seen.set(name, value);
  }
  const key = seen.get('k');
  const version = seen.get('v');
  const evict = seen.get('x');
  if (key === undefined || key === '') return 'missing key (k)';
  if (version === undefined) return 'missing version (v)';
  if (!VERSION.test(version) || !Number.isSafeInteger(Number(version)))
    return 'version (v) is not a positive integer';
  if (evict !== undefined && evict !== '1') return 'flag (x) is not 1';
  return { key, version: Number(version), evict: evict === '1' };
}

/** Whether every element is a string (what the fields of an entry written by Strata are). */
function isStringList(list: readonly unknown[]): list is string[] {
  return list.every((item) => typeof item === 'string');
}

/** The key (when the `k` field is a string) and an abridged text of the fields. */
function describe(fields: unknown): { key: string; raw: string } {
  if (!Array.isArray(fields)) return { key: '', raw: abridge(String(fields), MAX_POISON_TEXT) };
  let key = '';
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; i < fields.length && length < MAX_POISON_TEXT; i++) {
    const text = typeof fields[i] === 'string' ? (fields[i] as string) : String(fields[i]);
    if (i % 2 === 0 && text === 'k' && typeof fields[i + 1] === 'string') key = fields[i + 1] as string;
    const part = abridge(text, MAX_POISON_TEXT - length);
    parts.push(part);
    length += part.length + 1;
  }
  return { key: abridge(key, MAX_POISON_TEXT), raw: abridge(parts.join(' '), MAX_POISON_TEXT) };
}

/** `text`, cut to `max` characters (marked with `…`). */
export function abridge(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
