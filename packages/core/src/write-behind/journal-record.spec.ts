import { describe, expect, it } from 'vitest';
import { addDelta, formatJournalRecord, parseJournalRecord, type JournalRecord } from './journal-record.js';

describe('journal records', () => {
  it.each<[string, JournalRecord]>([
    ['17|s|j{"a":1}', { kind: 'set', version: 17, value: 'j{"a":1}' }],
    ['17|s|j"x|y"', { kind: 'set', version: 17, value: 'j"x|y"' }],
    ['18|d|', { kind: 'delete', version: 18 }],
    ['19|i|-4', { kind: 'increment', version: 19, delta: -4 }],
  ])('parses %s and formats it back', (raw, record) => {
    expect(parseJournalRecord(raw)).toEqual(record);
    expect(`${record.version}|${formatJournalRecord(record)}`).toBe(raw);
  });

  it.each(['', 'x|s|j1', '17|q|', '17|i|1.5', '17s|j1', '|s|j1'])('rejects the malformed %j', (raw) => {
    expect(parseJournalRecord(raw)).toBeUndefined();
  });

  it('folds deltas as the Redis script does: sum, move an integer value, restart after a delete', () => {
    expect(addDelta(undefined, 3, 5)).toEqual({ kind: 'increment', version: 5, delta: 3 });
    expect(addDelta({ kind: 'increment', version: 5, delta: 3 }, -1, 6)).toEqual({
      kind: 'increment',
      version: 6,
      delta: 2,
    });
    expect(addDelta({ kind: 'set', version: 5, value: 'j40' }, 2, 6)).toEqual({
      kind: 'set',
      version: 6,
      value: 'j42',
    });
    expect(addDelta({ kind: 'delete', version: 5 }, 2, 6)).toEqual({ kind: 'set', version: 6, value: 'j2' });
    expect(addDelta({ kind: 'set', version: 5, value: 'j"forty"' }, 2, 6)).toBeUndefined();
    expect(addDelta({ kind: 'set', version: 5, value: 'j4.5' }, 2, 6)).toBeUndefined();
  });
});
