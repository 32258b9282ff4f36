import { describe, expect, it } from 'vitest';
import { InvalidKeyError } from '../errors/invalid-key.error.js';
import { canonicalize, defaultKey } from './default-key.js';

const key = (...args: unknown[]): string => defaultKey('ProductService', 'findOne', args);

describe('defaultKey', () => {
  it('is Class.method: alone without arguments', () => {
    expect(defaultKey('ProductService', 'findAll', [])).toBe('ProductService.findAll:');
  });

  it('is Class.method: plus a 27-character base64url hash of the arguments', () => {
    expect(key('42')).toMatch(/^ProductService\.findOne:[A-Za-z0-9_-]{27}$/);
  });

  it('is stable across calls and object key order', () => {
    expect(key({ a: 1, b: { c: 2, d: [1, 2] } })).toBe(key({ b: { d: [1, 2], c: 2 }, a: 1 }));
    expect(key('42')).toBe(key('42'));
  });

  it('keeps types apart: 1 vs "1", null vs "null", 1n vs 1, true vs "true"', () => {
    expect(key(1)).not.toBe(key('1'));
    expect(key(null)).not.toBe(key('null'));
    expect(key(undefined)).not.toBe(key('undefined'));
    expect(key(1n)).not.toBe(key(1));
    expect(key(true)).not.toBe(key('true'));
    expect(key([1, 2])).not.toBe(key('[1,2]'));
  });

  it('differs by class, method, argument values, count and order', () => {
    expect(defaultKey('A', 'm', [1])).not.toBe(defaultKey('B', 'm', [1]));
    expect(defaultKey('A', 'm', [1])).not.toBe(defaultKey('A', 'n', [1]));
    expect(key(1)).not.toBe(key(2));
    expect(key(1, 2)).not.toBe(key(2, 1));
    expect(key(1)).not.toBe(key(1, undefined));
  });

  it('rejects function and symbol arguments with InvalidKeyError', () => {
    expect(() => key(() => 1)).toThrow(InvalidKeyError);
    expect(() => key({ callback: () => 1 })).toThrow(InvalidKeyError);
    expect(() => key(Symbol('s'))).toThrow(InvalidKeyError);
  });

  it('rejects cyclic arguments with InvalidKeyError instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => key(cyclic)).toThrow(InvalidKeyError);
  });
});

describe('canonicalize', () => {
  it('sorts object keys and drops undefined properties', () => {
    expect(canonicalize({ b: 1, a: 'x' }, 0)).toBe('{"a":"x","b":1}');
    expect(canonicalize({ a: 1, b: undefined }, 0)).toBe(canonicalize({ a: 1 }, 0));
  });

  it('handles Date by its time', () => {
    expect(canonicalize(new Date(5), 0)).toBe('Date(5)');
    expect(canonicalize(new Date(5), 0)).not.toBe(canonicalize(new Date(6), 0));
    expect(canonicalize(new Date(5), 0)).not.toBe(canonicalize(5, 0));
  });

  it('handles Map and Set independently of insertion order', () => {
    const m1 = new Map<unknown, unknown>([
      ['a', 1],
      [2, 'b'],
    ]);
    const m2 = new Map<unknown, unknown>([
      [2, 'b'],
      ['a', 1],
    ]);
    expect(canonicalize(m1, 0)).toBe(canonicalize(m2, 0));
    expect(canonicalize(new Set([1, 'x']), 0)).toBe(canonicalize(new Set(['x', 1]), 0));
    expect(canonicalize(new Set([1]), 0)).not.toBe(canonicalize(new Set(['1']), 0));
    expect(canonicalize(new Map([['a', 1]]), 0)).not.toBe(canonicalize({ a: 1 }, 0));
    expect(canonicalize(new Set([1, 2]), 0)).not.toBe(canonicalize([1, 2], 0));
  });

  it('distinguishes -0 from 0 and keeps primitives typed', () => {
    expect(canonicalize(-0, 0)).toBe('-0');
    expect(canonicalize(0, 0)).toBe('0');
    expect(canonicalize(10n, 0)).toBe('10n');
    expect(canonicalize('a"b', 0)).toBe('"a\\"b"');
    expect(canonicalize([true, null, undefined], 0)).toBe('[true,null,undefined]');
  });

  it('rejects functions with InvalidKeyError (E_INVALID_KEY)', () => {
    let caught: unknown;
    try {
      canonicalize(function named() {}, 0);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidKeyError);
    expect((caught as InvalidKeyError).code).toBe('E_INVALID_KEY');
    expect((caught as Error).message).toContain('function');
  });
});
