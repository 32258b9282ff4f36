import { JOURNAL_KEY_SEGMENT } from '../keys/key-builder.js';

/** The Redis keys of one partition. */
export interface PartitionKeys {
  readonly index: number;
  /** `{prefix:wb:cache:index}`: the hash tag every key of the partition carries. */
  readonly tag: string;
  readonly stream: string;
  readonly pending: string;
  readonly inflight: string;
  readonly clock: string;
  readonly dead: string;
}

/**
 * The keys of every partition of a cache's journal. All keys of a partition share its hash tag,
 * so on a cluster each journal script touches one slot.
 */
export function journalPartitions(prefix: string, cache: string, count: number): PartitionKeys[] {
  return Array.from({ length: count }, (_, index) => {
    // KeyBuilder shortens entry keys that could spell these: keep the layout in step with it.
    const tag = `{${prefix}:${JOURNAL_KEY_SEGMENT}:${cache}:${index}}`;
    const base = `${prefix}:${JOURNAL_KEY_SEGMENT}:${tag}`;
    return {
      index,
      tag,
      stream: `${base}:stream`,
      pending: `${base}:pending`,
      inflight: `${base}:inflight`,
      clock: `${base}:clock`,
      dead: `${base}:dead`,
    };
  });
}

/**
 * The partition of a key: FNV-1a of the key, modulo the partition count. Every instance must
 * agree on it, so that the writes of a key always go to one stream (per-key order).
 */
export function partitionOfKey(partitions: readonly PartitionKeys[], key: string): PartitionKeys {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  const partition = partitions[(hash >>> 0) % partitions.length];
  if (partition === undefined) throw new Error('unreachable: no journal partition');
  return partition;
}
