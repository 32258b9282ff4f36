import { decodeValue } from '../codec/value.codec.js';
import { StrataConfigError } from '../errors/strata-config.error.js';
import type {
  CacheWriter,
  DeleteRecord,
  IncrementRecord,
  WriteRecord,
} from '../strategies/cache-writer.interface.js';
import type { JournalRecord } from './journal-record.js';

/** A journal record and the key it belongs to. */
export interface KeyedRecord {
  readonly key: string;
  readonly record: JournalRecord;
  /** A set's value, decoded already (by a reader that checked it decodes): not decoded again. */
  readonly decoded?: { readonly value: unknown };
}

/**
 * Hands records to a writer: the sets in one `writeMany`, the deletes in one `deleteMany`, the
 * counter deltas in one `incrementMany`. Throws what the writer throws.
 */
export async function deliverRecords<T>(
  writer: CacheWriter<T>,
  cache: string,
  records: readonly KeyedRecord[],
): Promise<void> {
  const sets: WriteRecord<T>[] = [];
  const deletes: DeleteRecord[] = [];
  const increments: IncrementRecord[] = [];
  for (const { key, record, decoded } of records) {
    if (record.kind === 'set')
      sets.push({
        key,
        version: record.version,
        value: (decoded ? decoded.value : decodeValue(record.value)) as T,
      });
    else if (record.kind === 'delete') deletes.push({ key, version: record.version });
    else increments.push({ key, version: record.version, delta: record.delta });
  }
  if (sets.length > 0) await writer.writeMany(sets);
  if (deletes.length > 0) await writer.deleteMany(deletes);
  if (increments.length > 0) {
    if (writer.incrementMany === undefined) throw missingIncrementMany(cache);
    await writer.incrementMany(increments);
  }
}

/** The error of an `increment` on a cache whose writer cannot apply deltas, or whose values are encrypted. */
export function missingIncrementMany(cache: string, sensitive = false): StrataConfigError {
  if (sensitive)
    return new StrataConfigError(
      `caches[${cache}].sensitive`,
      true,
      'a sensitive write-behind cache on the Redis journal cannot count: Redis cannot add to ciphertext',
    );
  return new StrataConfigError(
    `caches[${cache}].writer`,
    undefined,
    'increment needs a writer with incrementMany(records)',
  );
}

/** Delay before retry `attempt` (1-based): base × 2^(attempt-1), at most 30 s, ±50 % jitter. */
export function retryDelay(baseMs: number, attempt: number): number {
  return Math.min(baseMs * 2 ** (attempt - 1), 30_000) * (0.5 + Math.random());
}
