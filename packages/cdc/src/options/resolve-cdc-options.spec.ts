import { StrataConfigError } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { resolveCdcOptions } from './resolve-cdc-options.js';
import type { CdcOptions } from './cdc.options.js';

const base: CdcOptions = { connection: 'postgres://db/app', tables: { products: () => undefined } };

describe('resolveCdcOptions', () => {
  it('applies the defaults', () => {
    const resolved = resolveCdcOptions(base);
    expect(resolved).toMatchObject({
      publication: 'strata_cdc',
      slot: 'strata_cdc',
      maxInvalidations: 10_000,
      required: true,
    });
    expect(resolved.tables.get('public.products')?.fallback).toEqual({ namespaces: ['default'] });
  });

  it.each<[string, CdcOptions]>([
    ['cdc.connection', { ...base, connection: '' }],
    ['cdc.slot', { ...base, slot: 'Bad-Slot' }],
    ['cdc.publication', { ...base, publication: 'x; drop table y' }],
    ['cdc.tables', { ...base, tables: {} }],
    ['cdc.tables.a.b.c', { ...base, tables: { 'a.b.c': () => undefined } }],
    ['cdc.onTruncate.orders', { ...base, onTruncate: { orders: { namespaces: ['o'] } } }],
    ['cdc.maxInvalidations', { ...base, maxInvalidations: 0 }],
    ['cdc.leaseTtl', { ...base, leaseTtl: 'soon' }],
  ])('names %s when it is invalid', (option, options) => {
    let error: unknown;
    try {
      resolveCdcOptions(options);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StrataConfigError);
    expect((error as StrataConfigError).option).toBe(option);
  });

  it('never echoes the connection string (it may hold a password)', () => {
    expect(() => resolveCdcOptions({ ...base, connection: '' })).toThrow(/<hidden>/);
  });
});
