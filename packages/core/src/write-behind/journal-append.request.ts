import { StrataError } from '../errors/strata.error.js';
import type { JournalWrite } from './journal-record.js';
import type { PartitionKeys } from './journal-partition.keys.js';

/** The outcome of one journal append, or `'full'` when its partition had no room. */
export type AppendResult =
  | {
      readonly version: number;
      readonly count?: number;
      /** With `replicas`: whether enough replicas confirmed the write in time. */
      readonly replicated?: boolean;
    }
  | 'full';

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
  /** Encoded value in its stored form (`s`; compressed, encrypted), integer delta (`i`), '' (`d`). */
  readonly payload: string;
  /** A set's encoded value in clear, when `payload` is its stored form. */
  readonly value?: string;
  /** The entry tail without its value (`fresh|stale|n\ntags…`); '' for a delete. */
  readonly entryHead: string;
  /** PX of the entry. */
  readonly entryPx: number;
  /** Versions go above this (the caller's hybrid clock). */
  readonly floor: number;
}

/** The write an append request journals, for the paths that persist it without the journal. */
export function journalWriteOf(request: AppendRequest): JournalWrite {
  if (request.op === 's') return { kind: 'set', value: request.value ?? request.payload };
  if (request.op === 'd') return { kind: 'delete' };
  return { kind: 'increment', delta: Number(request.payload) };
}

/**
 * The arguments of one call of the append script (`journal-append.script.ts`) for a batch of
 * appends to partition `p`: the key count, the keys, then the arguments. Versions of the batch
 * go above the highest of its callers' clocks. Built in one array (numbers as strings, which the
 * client would otherwise convert one by one).
 */
export function appendArguments(
  p: PartitionKeys,
  requests: readonly AppendRequest[],
  tombstoneTtlMs: number,
  perPartitionLimit: number,
  bus: BusAddress | undefined,
): string[] {
  const args = [String(4 + requests.length), p.stream, p.pending, p.inflight, p.clock];
  let floor = 0;
  for (const r of requests) {
    args.push(r.entryKey);
    if (r.floor > floor) floor = r.floor;
  }
  args.push(String(floor), String(tombstoneTtlMs), String(perPartitionLimit), String(requests.length));
  // Two arguments per write, not five: the client copies the arguments of a call one by one, and
  // so does Redis, so each argument saved is work saved on both sides.
  for (const r of requests)
    args.push(`${r.op}${r.entryPx} ${Buffer.byteLength(r.key)} ${r.key}${r.entryHead}`, r.payload);
  args.push(bus?.channel ?? '', bus?.sender ?? '');
  return args;
}

/**
 * One result per request from the script's reply (one line per request): a version (and the
 * count after an increment), `'full'`, or its error.
 */
export function parseAppendReply(
  reply: string,
  requests: readonly AppendRequest[],
  cache: string,
): (AppendResult | Error)[] {
  const lines = reply.split('\n');
  return requests.map((r, i) => {
    const line = lines[i];
    if (line === 'FULL') return 'full';
    if (line === undefined || line === '') return new Error('journal append: the reply has too few results');
    if (line.startsWith('E_NOT_A_COUNTER')) {
      return new StrataError(
        'E_NOT_A_COUNTER',
        `Cannot increment "${r.key}" in cache "${cache}": ${line.slice(16)}`,
      );
    }
    const space = line.indexOf(' ');
    return space < 0
      ? { version: Number(line) }
      : { version: Number(line.slice(0, space)), count: Number(line.slice(space + 1)) };
  });
}
