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
