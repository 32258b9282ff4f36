import type { EncodedValue } from '../codec/value.codec.js';

/**
 * The latest unflushed write of a key, as a journal holds it: a value (encoded), a delete, or a
 * counter delta (the sum of the increments not yet flushed).
 */
export type JournalRecord =
  | { readonly kind: 'set'; readonly version: number; readonly value: EncodedValue }
  | { readonly kind: 'delete'; readonly version: number }
  | { readonly kind: 'increment'; readonly version: number; readonly delta: number };

/** What a write asks a journal to record (before it has a version). */
export type JournalWrite =
  | { readonly kind: 'set'; readonly value: EncodedValue }
  | { readonly kind: 'delete' }
  | { readonly kind: 'increment'; readonly delta: number };

/**
 * The record a write becomes at `version`; a delta is folded into `previous` (see
 * {@link addDelta}). `undefined` when a delta meets a value that is not an integer.
 */
export function recordFor(
  write: JournalWrite,
  version: number,
  previous?: JournalRecord,
): JournalRecord | undefined {
  if (write.kind === 'set') return { kind: 'set', version, value: write.value };
  if (write.kind === 'delete') return { kind: 'delete', version };
  return addDelta(previous, write.delta, version);
}

/**
 * The Redis form of a record: `version|s|<encoded>`, `version|d|`, `version|i|<delta>`.
 * `open` turns a set's stored value (compressed, encrypted) into its encoded value; a value it
 * cannot open makes the record unreadable (`undefined`).
 */
export function parseJournalRecord(
  raw: string,
  open: (stored: string) => EncodedValue | undefined = (stored) => stored,
): JournalRecord | undefined {
  const bar = raw.indexOf('|');
  if (bar < 1 || raw.charCodeAt(bar + 2) !== 0x7c /* | */) return undefined;
  const version = Number(raw.slice(0, bar));
  const payload = raw.slice(bar + 3);
  if (!Number.isSafeInteger(version)) return undefined;
  switch (raw[bar + 1]) {
    case 's': {
      const value = open(payload);
      return value === undefined ? undefined : { kind: 'set', version, value };
    }
    case 'd':
      return { kind: 'delete', version };
    case 'i': {
      const delta = Number(payload);
      return Number.isSafeInteger(delta) ? { kind: 'increment', version, delta } : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Folds an increment into the record it follows, as the journals coalesce: deltas add up, a
 * pending integer value moves by the delta, a pending delete restarts the count from zero.
 * `undefined` when the pending value is not an integer.
 */
export function addDelta(
  previous: JournalRecord | undefined,
  delta: number,
  version: number,
): JournalRecord | undefined {
  if (previous === undefined) return { kind: 'increment', version, delta };
  if (previous.kind === 'increment') return { kind: 'increment', version, delta: previous.delta + delta };
  if (previous.kind === 'delete') return { kind: 'set', version, value: `j${delta}` };
  const match = /^j(-?\d+)$/.exec(previous.value);
  if (match?.[1] === undefined) return undefined;
  return { kind: 'set', version, value: `j${Number(match[1]) + delta}` };
}

/** The Redis form of a record without its version (`s|…`, `d|`, `i|…`), for the dead-letter stream. */
export function formatJournalRecord(record: JournalRecord): string {
  if (record.kind === 'set') return `s|${record.value}`;
  if (record.kind === 'delete') return 'd|';
  return `i|${record.delta}`;
}

/** Throws `RangeError` unless `delta` is a safe integer. */
export function assertDelta(delta: number): void {
  if (!Number.isSafeInteger(delta))
    throw new RangeError(`increment delta must be a safe integer, got ${delta}`);
}
