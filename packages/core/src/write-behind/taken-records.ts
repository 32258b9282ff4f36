import { decodeValue } from '../codec/value.codec.js';
import type { KeyedRecord } from './journal-delivery.js';
import type { JournalRecord } from './journal-record.js';

/** A pending record that cannot be delivered, and why. */
export interface UnreadableRecord {
  readonly key: string;
  /** The record as stored (untrusted). */
  readonly raw: string;
  readonly reason: string;
}

/** The records a take moved in flight for the keys due, sorted by how the flusher handles them. */
export interface TakenRecords {
  /** First deliveries: they go to the writer together. */
  readonly fresh: KeyedRecord[];
  /** Deliveries that failed before: each goes alone, so one poison record cannot fail a batch again. */
  readonly retries: KeyedRecord[];
  /** Keys with nothing unflushed: someone delivered their writes already. */
  readonly nothing: string[];
  /** Records that cannot be parsed or decoded: no retry fixes them. */
  readonly unreadable: UnreadableRecord[];
}

/**
 * Sorts what a take returned (`taken[i]` for `due[i]`, as stored, '' for nothing) by how each is
 * handled. A set's value is decoded here, once: delivery does not decode it again.
 */
export function sortTaken(
  due: readonly string[],
  taken: readonly string[],
  isRetry: (key: string) => boolean,
  journal: { parse(key: string, raw: string): JournalRecord | undefined },
): TakenRecords {
  const sorted: TakenRecords = { fresh: [], retries: [], nothing: [], unreadable: [] };
  due.forEach((key, i) => {
    const raw = taken[i] ?? '';
    if (raw === '') return void sorted.nothing.push(key);
    const record = journal.parse(key, raw);
    const ready = decodeForDelivery(record);
    if ('reason' in ready || record === undefined)
      sorted.unreadable.push({ key, raw, reason: 'reason' in ready ? ready.reason : 'malformed record' });
    else if (isRetry(key)) sorted.retries.push({ key, record, ...ready });
    else sorted.fresh.push({ key, record, ...ready });
  });
  return sorted;
}

/**
 * A parsed pending record ready for delivery (a set's value decoded once, here), or why it cannot
 * be delivered.
 */
export function decodeForDelivery(
  record: JournalRecord | undefined,
): { readonly decoded?: { readonly value: unknown } } | { readonly reason: string } {
  if (record === undefined) return { reason: 'malformed record' };
  if (record.kind !== 'set') return {};
  try {
    return { decoded: { value: decodeValue(record.value) } };
  } catch (error) {
    return { reason: `value cannot be decoded (${error instanceof Error ? error.message : String(error)})` };
  }
}
