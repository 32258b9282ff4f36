import { describe, expect, it } from 'vitest';
import { encodeValue } from './value.codec.js';
import { ENTRY_FORMAT_VERSION, parseEntry, serializeEntryTail, type CacheEntry } from './entry.envelope.js';

const entry: Omit<CacheEntry, 'created'> = {
  freshUntil: 1_700_000_060_000,
  staleUntil: 1_700_000_120_000,
  tags: ['shop:{shop:tags}:n:default', 'shop:{shop:tags}:t:product:1'],
  value: encodeValue({ name: 'kettle', at: new Date(0) }),
};

describe('entry envelope', () => {
  it('is at format version 1', () => {
    expect(ENTRY_FORMAT_VERSION).toBe(1);
  });

  it('parses what serializeEntryTail produced, with the created time the script prepends', () => {
    const raw = `S1|1700000000000123|${serializeEntryTail(entry)}`;
    expect(parseEntry(raw)).toStrictEqual({ ...entry, created: 1_700_000_000_000_123 });
  });

  it('keeps an entry without tags and a value containing separators', () => {
    const value = encodeValue({ text: 'a|b\nc' });
    const raw = `S1|7|${serializeEntryTail({ freshUntil: 10, staleUntil: 20, tags: [], value })}`;
    expect(parseEntry(raw)).toStrictEqual({ created: 7, freshUntil: 10, staleUntil: 20, tags: [], value });
  });

  it('carries the load time (ms, rounded up) after the tag count, for early refresh', () => {
    const tail = serializeEntryTail({ ...entry, loadMs: 12.2 });
    expect(tail.split('\n')[0]).toBe('1700000060000|1700000120000|2|13');
    expect(parseEntry(`S1|5|${tail}`)).toStrictEqual({ ...entry, loadMs: 13, created: 5 });
    // No load time (a set, or a zero): the layout older releases read.
    expect(serializeEntryTail({ ...entry, loadMs: 0 })).toBe(serializeEntryTail(entry));
  });

  it('rounds fractional times', () => {
    const tail = serializeEntryTail({ freshUntil: 10.6, staleUntil: 20.2, tags: [], value: 'j1' });
    expect(tail).toBe('11|20|0\nj1');
  });

  it.each([
    ['an unknown format version', `S2|1|${serializeEntryTail(entry)}`],
    ['an older unversioned layout', `{"value":1,"expires":2}`],
    ['a delete marker', 'X|1700000000000000'],
    ['garbage', 'not an entry at all'],
    ['an empty string', ''],
    ['a header without a newline', 'S1|1|2|3|0'],
    ['a header with too few fields', 'S1|1|2|0\nj1'],
    ['a non-numeric created time', 'S1|abc|2|3|0\nj1'],
    ['a non-integer tag count', 'S1|1|2|3|x\nj1'],
    ['fewer tag lines than announced', 'S1|1|2|3|2\nonly-one-tag'],
    ['a non-numeric load time', 'S1|1|2|3|0|x\nj1'],
    ['an empty load time', 'S1|1|2|3|0|\nj1'],
  ])('returns undefined for %s', (_label, raw) => {
    expect(parseEntry(raw)).toBeUndefined();
  });
});
