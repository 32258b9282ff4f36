import { StrataError } from '../errors/strata.error.js';
import type { AppendResult } from './journal-append.batcher.js';
import type { PartitionKeys } from './redis-journal.js';

/** Where the append script announces the entries it changed: the bus channel and this instance's id. */
export interface BusAddress {
  readonly channel: string;
  readonly sender: string;
}

/** What an append asks of the script. */
export interface AppendRequest {
  readonly op: 's' | 'd' | 'i';
  /** The key of the write (the field of the journal's hashes). */
  readonly key: string;
  /** The full key of the cache entry (same partition slot on a cluster). */
  readonly entryKey: string;
  /** Encoded value (`s`), integer delta (`i`), '' (`d`). */
  readonly payload: string;
  /** The entry tail without its value (`fresh|stale|n\ntags…`); '' for a delete. */
  readonly entryHead: string;
  /** PX of the entry. */
  readonly entryPx: number;
  /** Versions go above this (the caller's hybrid clock). */
  readonly floor: number;
}

/**
 * The arguments of one call of the append script (`journal-append.script.ts`) for a batch of
 * appends to partition `p`: the key count, the keys, then the arguments. Versions of the batch
 * go above the highest of its callers' clocks.
 */
export function appendArguments(
  p: PartitionKeys,
  requests: readonly AppendRequest[],
  tombstoneTtlMs: number,
  perPartitionLimit: number,
  bus: BusAddress | undefined,
): (string | number)[] {
  let floor = 0;
  const perWrite: (string | number)[] = [];
  for (const r of requests) {
    floor = Math.max(floor, r.floor);
    perWrite.push(r.op, r.key, r.payload, r.entryHead, r.entryPx);
  }
  return [
    4 + requests.length,
    p.stream,
    p.pending,
    p.inflight,
    p.clock,
    ...requests.map((r) => r.entryKey),
    floor,
    tombstoneTtlMs,
    perPartitionLimit,
    requests.length,
    ...perWrite,
    bus?.channel ?? '',
    bus?.sender ?? '',
  ];
}

/** One result per request from the script's reply: a version (and count), `'full'`, or its error. */
export function parseAppendReply(
  reply: readonly string[],
  requests: readonly AppendRequest[],
  cache: string,
): (AppendResult | Error)[] {
  return requests.map((r, i) => {
    const result = reply[2 * i];
    const count = reply[2 * i + 1];
    if (result === 'FULL') return 'full';
    if (result === undefined) return new Error('journal append: the reply has too few results');
    if (result.startsWith('E_NOT_A_COUNTER')) {
      return new StrataError(
        'E_NOT_A_COUNTER',
        `Cannot increment "${r.key}" in cache "${cache}": ${result.slice(16)}`,
      );
    }
    const version = Number(result);
    return count === undefined || count === '' ? { version } : { version, count: Number(count) };
  });
}
