import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_POISON_TEXT, parseEntries } from './stream-entries.js';

describe('parseEntries', () => {
  it('reads records, flags re-driven ones, and lists deleted entries to acknowledge', () => {
    const parsed = parseEntries([
      ['1-0', ['k', 'a', 'v', '17']],
      ['1-1', ['v', '18', 'k', 'b', 'x', '1']],
      ['1-2', null],
    ]);
    expect(parsed.records).toEqual([
      { id: '1-0', key: 'a', version: 17, evict: false },
      { id: '1-1', key: 'b', version: 18, evict: true },
    ]);
    expect(parsed.gone).toEqual(['1-2']);
    expect(parsed.poison).toEqual([]);
  });

  it('refuses anything else as poison, naming the key when there is one, abridged', () => {
    const huge = 'k'.repeat(50_000);
    const parsed = parseEntries([
      ['1-0', ['k', 'a', 'v', '17', 'c', 'other']],
      ['1-1', ['k', huge, 'v', '007']],
      ['1-2', [1, 2]],
      ['1-3', 'text'],
    ]);
    expect(parsed.records).toEqual([]);
    expect(parsed.poison.map((p) => [p.id, p.key, p.reason])).toEqual([
      ['1-0', 'a', 'unknown field "c"'],
      ['1-1', expect.stringMatching(/^k+…$/), 'version (v) is not a positive integer'],
      ['1-2', '', 'a field is not a string'],
      ['1-3', '', 'fields are not a list'],
    ]);
    for (const p of parsed.poison) expect(p.raw.length).toBeLessThanOrEqual(MAX_POISON_TEXT);
  });

  it('skips what has no id (nothing to acknowledge) and survives a reply that is not a list', () => {
    expect(parseEntries([[17, ['k', 'a']], 'junk'])).toEqual({ records: [], poison: [], gone: [] });
    expect(parseEntries(undefined)).toEqual({ records: [], poison: [], gone: [] });
  });
});

describe('parseEntries on arbitrary replies', () => {
  const field = fc.oneof(
    fc.constantFrom('k', 'v', 'x', 'f', 'c', ''),
    fc.string({ maxLength: 3_000 }),
    fc.integer().map(String),
    fc.constant('1'),
  );
  const value = fc.oneof(field, fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }));
  const entry = fc.oneof(
    fc.tuple(
      fc.string({ maxLength: 20 }),
      fc.oneof(fc.array(field, { maxLength: 8 }), fc.array(value, { maxLength: 8 }), fc.constant(null)),
    ),
    value,
  );

  it('never throws, puts each entry with an id in exactly one bucket, and abridges poison', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 20 }), (raw) => {
        const parsed = parseEntries(raw);
        const withId = raw.filter((item) => Array.isArray(item) && typeof item[0] === 'string').length;
        expect(parsed.records.length + parsed.poison.length + parsed.gone.length).toBe(withId);
        for (const record of parsed.records) {
          expect(record.key.length).toBeGreaterThan(0);
          expect(Number.isSafeInteger(record.version) && record.version > 0).toBe(true);
        }
        for (const poison of parsed.poison) {
          expect(poison.raw.length).toBeLessThanOrEqual(MAX_POISON_TEXT);
          expect(poison.key.length).toBeLessThanOrEqual(MAX_POISON_TEXT);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads back exactly the records the append script writes', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        (key, version) => {
          const parsed = parseEntries([['1-0', ['k', key, 'v', String(version)]]]);
          expect(parsed.records).toEqual([{ id: '1-0', key, version, evict: false }]);
        },
      ),
    );
  });
});
