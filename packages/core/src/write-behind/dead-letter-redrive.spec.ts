import { describe, expect, it } from 'vitest';
import { planRedrive } from './dead-letter-redrive.js';
import type { JournalRecord } from './journal-record.js';

const set = (version: number, value = 'j"A"'): JournalRecord => ({ kind: 'set', version, value });
const del = (version: number): JournalRecord => ({ kind: 'delete', version });
const inc = (version: number, delta: number): JournalRecord => ({ kind: 'increment', version, delta });
const fresh = () => 99;

describe('planRedrive', () => {
  it('re-queues a set or delete at its own version when the key has nothing unflushed', () => {
    expect(planRedrive(set(5), undefined, undefined, fresh)).toEqual({ outcome: 'requeued', record: set(5) });
    expect(planRedrive(del(5), undefined, undefined, fresh)).toEqual({ outcome: 'requeued', record: del(5) });
  });

  it('treats a set or delete as moot when a newer set or delete is pending or in flight', () => {
    expect(planRedrive(set(5), set(9), undefined, fresh)).toEqual({ outcome: 'superseded' });
    expect(planRedrive(set(5), undefined, del(9), fresh)).toEqual({ outcome: 'superseded' });
    expect(planRedrive(del(5), del(9), inc(8, 1), fresh)).toEqual({ outcome: 'superseded' });
  });

  it('folds pending increments over a dead integer or delete, and refuses what cannot be folded', () => {
    expect(planRedrive(set(5, 'j40'), inc(9, 2), undefined, fresh)).toEqual({
      outcome: 'requeued',
      record: set(9, 'j42'),
    });
    expect(planRedrive(del(5), inc(9, 2), undefined, fresh)).toEqual({
      outcome: 'requeued',
      record: set(9, 'j2'),
    });
    expect(planRedrive(set(5, 'j"x"'), inc(9, 2), undefined, fresh).outcome).toBe('conflict');
    expect(planRedrive(set(5, 'j40'), undefined, inc(9, 2), fresh).outcome).toBe('conflict');
  });

  it('gives an increment a new version, or adds it to the pending sum; a pending set makes it moot', () => {
    expect(planRedrive(inc(5, 3), undefined, inc(8, 1), fresh)).toEqual({
      outcome: 'requeued',
      record: inc(99, 3),
    });
    expect(planRedrive(inc(5, 3), inc(9, 2), undefined, fresh)).toEqual({
      outcome: 'requeued',
      record: inc(9, 5),
    });
    expect(planRedrive(inc(5, 3), set(9), undefined, fresh)).toEqual({ outcome: 'superseded' });
  });
});
