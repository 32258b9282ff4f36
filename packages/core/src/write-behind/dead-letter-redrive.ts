import { addDelta, type JournalRecord } from './journal-record.js';

/** What re-driving a dead record does, given the key's unflushed records. */
export type RedrivePlan =
  | { readonly outcome: 'requeued'; readonly record: JournalRecord }
  | { readonly outcome: 'superseded' }
  | { readonly outcome: 'conflict'; readonly reason: string };

/**
 * The memory journal's re-drive rule (the Redis journal's script applies the same one):
 * - a set or delete keeps its version (a versioned writer ignores it when the database holds
 *   something newer); a newer unflushed set or delete of the key makes it moot; a pending
 *   increment is folded into it at the pending version (a delete restarts the count, an integer
 *   value moves); an increment in flight, or a value that is not an integer, is a conflict;
 * - an increment is added to a pending increment, or gets `newVersion` (a versioned writer
 *   applies a delta once per version, and its old version may be below one applied since); a
 *   pending set or delete is newer and makes it moot.
 */
export function planRedrive(
  dead: JournalRecord,
  pending: JournalRecord | undefined,
  inFlight: JournalRecord | undefined,
  newVersion: () => number,
): RedrivePlan {
  if (dead.kind === 'increment') {
    if (pending === undefined)
      return { outcome: 'requeued', record: { kind: 'increment', version: newVersion(), delta: dead.delta } };
    if (pending.kind !== 'increment') return { outcome: 'superseded' };
    return {
      outcome: 'requeued',
      record: { kind: 'increment', version: pending.version, delta: pending.delta + dead.delta },
    };
  }
  const newer = pending ?? inFlight;
  if (newer !== undefined && newer.kind !== 'increment') return { outcome: 'superseded' };
  if (inFlight?.kind === 'increment')
    return { outcome: 'conflict', reason: 'increments of the key are being delivered' };
  if (pending?.kind !== 'increment') return { outcome: 'requeued', record: dead };
  const folded = addDelta(dead, pending.delta, pending.version);
  return folded === undefined
    ? { outcome: 'conflict', reason: 'the key has pending increments and the value is not an integer' }
    : { outcome: 'requeued', record: folded };
}
