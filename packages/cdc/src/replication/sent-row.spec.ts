import { describe, expect, it } from 'vitest';
import { CdcError } from '../errors/cdc.error.js';
import { formatLsn, laterLsn, parseLsn } from './lsn.js';
import { sentRow } from './sent-row.js';

describe('sentRow: the row a mapping reads', () => {
  const columns = new Set(['id', 'product_id', 'body']);

  it('reads what the change carried, and throws on a column it did not carry or a name that is no column', () => {
    const row = sentRow({ id: 1, body: undefined }, columns, 'public.reviews', 'old');
    expect(row['id']).toBe(1);
    expect(() => row['product_id']).toThrow(CdcError);
    expect(() => row['product_id']).toThrow(/old\.product_id of public\.reviews was not sent/);
    expect(() => row['body']).toThrow(/was not sent/);
    expect(() => row['prodct_id']).toThrow(/old\.prodct_id is not a column of public\.reviews/);
    expect(JSON.stringify(sentRow({ id: 2 }, columns, 'public.reviews', 'new'))).toBe('{"id":2}');
    expect(Object.prototype.hasOwnProperty.call(row, 'id')).toBe(true);
  });
});

describe('log sequence numbers', () => {
  it('parse, format and compare', () => {
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(formatLsn(parseLsn('0/1A'))).toBe('0/1A');
    expect(laterLsn('1/0', '0/FFFFFFFF')).toBe('1/0');
    expect(() => parseLsn('nope')).toThrow(TypeError);
  });
});
