import { describe, expect, it } from 'vitest';
import { UncacheableValueError } from '../errors/uncacheable-value.error.js';
import { decodeValue, deepFreeze, encodeValue } from './value.codec.js';

const roundTrip = <T>(value: T): T => decodeValue(encodeValue(value)) as T;

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('encodeValue / decodeValue', () => {
  it('encodes plain JSON values with kind "j" and decodes them with JSON.parse', () => {
    for (const value of [0, '', false, null, 'text', 42, { a: 1, b: [true, 'x', null] }, [1, 2, 3]]) {
      const encoded = encodeValue(value);
      expect(encoded[0]).toBe('j');
      expect(encoded.slice(1)).toBe(JSON.stringify(value));
      expect(decodeValue(encoded)).toStrictEqual(value);
    }
  });

  it('uses the typed kind "T" only when plain JSON would lose something', () => {
    expect(encodeValue(new Date(0))[0]).toBe('T');
    expect(encodeValue({ deep: { deeper: [1, 2n] } })[0]).toBe('T');
    expect(encodeValue({ deep: { deeper: [1, 2] } })[0]).toBe('j');
  });

  it('finds every lossy value wherever it sits: arrays, class instances, null-prototype objects', () => {
    class Holder {
      constructor(readonly inner: unknown) {}
    }
    const bare = (inner: unknown): object => Object.assign(Object.create(null) as object, { inner });
    const lossy: unknown[] = [NaN, Infinity, -Infinity, -0, 5n, new Date(0), new Map(), new Set()];
    for (const value of lossy) {
      for (const wrapped of [
        [value],
        [1, [value]],
        { a: value },
        new Holder(value),
        bare(value),
        [bare([value])],
      ]) {
        expect(encodeValue(wrapped)[0], String(value)).toBe('T');
      }
      expect(roundTrip([value])).toStrictEqual([value]);
      expect(roundTrip({ a: value })).toStrictEqual({ a: value });
    }
    expect(encodeValue([1, undefined])[0]).toBe('T');
    expect(encodeValue({ a: 0, b: -1.5, c: 'x', d: true, e: null, f: [0, ''] })[0]).toBe('j');
  });

  it('ignores inherited properties, as JSON does', () => {
    class WithDefault {
      own = 1;
    }
    Object.defineProperty(WithDefault.prototype, 'inherited', { value: new Date(0), enumerable: true });
    expect(encodeValue(new WithDefault())).toBe('j{"own":1}');
  });

  it('round-trips Date, keeping the instant and the type', () => {
    const date = new Date('2024-02-29T12:34:56.789Z');
    const decoded = roundTrip(date);
    expect(decoded).toBeInstanceOf(Date);
    expect(decoded.getTime()).toBe(date.getTime());
    const invalid = roundTrip(new Date(Number.NaN));
    expect(invalid).toBeInstanceOf(Date);
    expect(Number.isNaN(invalid.getTime())).toBe(true);
  });

  it('round-trips Map and Set with typed contents', () => {
    const map = new Map<unknown, unknown>([
      ['a', 1],
      [2, new Date(5)],
      ['big', 10n],
      ['set', new Set([1, 'two'])],
    ]);
    const decoded = roundTrip(map);
    expect(decoded).toBeInstanceOf(Map);
    expect([...decoded.keys()]).toStrictEqual(['a', 2, 'big', 'set']);
    expect(decoded.get('a')).toBe(1);
    expect(decoded.get(2)).toStrictEqual(new Date(5));
    expect(decoded.get('big')).toBe(10n);
    expect(decoded.get('set')).toStrictEqual(new Set([1, 'two']));

    const set = roundTrip(new Set(['x', 3, null]));
    expect(set).toBeInstanceOf(Set);
    expect([...set]).toStrictEqual(['x', 3, null]);
  });

  it('round-trips BigInt, including values beyond Number precision', () => {
    const big = 2n ** 80n + 7n;
    expect(roundTrip(big)).toBe(big);
    expect(roundTrip(-5n)).toBe(-5n);
    expect(roundTrip({ id: 9007199254740993n }).id).toBe(9007199254740993n);
  });

  it('round-trips NaN, Infinity and -Infinity', () => {
    expect(roundTrip(Number.NaN)).toBeNaN();
    expect(roundTrip(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(roundTrip(Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
    expect(roundTrip([Number.NaN, 1, Number.POSITIVE_INFINITY])).toStrictEqual([
      Number.NaN,
      1,
      Number.POSITIVE_INFINITY,
    ]);
  });

  it('round-trips undefined array items as real (not sparse) undefined slots', () => {
    const decoded = roundTrip([1, undefined, 3]);
    expect(decoded).toHaveLength(3);
    expect(1 in decoded).toBe(true);
    expect(decoded).toStrictEqual([1, undefined, 3]);
    expect(decoded.map((item) => item ?? 0)).toStrictEqual([1, 0, 3]);
    expect(roundTrip({ list: [undefined] }).list).toStrictEqual([undefined]);
    const map = roundTrip(new Map([['k', undefined]]));
    expect(map.has('k')).toBe(true);
    expect(map.get('k')).toBeUndefined();
  });

  it('drops undefined object properties and functions inside objects, as JSON does', () => {
    const decoded = roundTrip({ a: 1, b: undefined, c: () => 1 });
    expect(decoded).toStrictEqual({ a: 1 });
  });

  it('round-trips a nested mix of every special type', () => {
    const value = {
      name: 'order',
      at: new Date(1_700_000_000_000),
      lines: [
        { sku: 'a', qty: 1n, seen: new Set([new Date(1)]) },
        { sku: 'b', qty: 2n, meta: new Map([['k', { ratio: Number.NaN, list: [undefined, null] }]]) },
      ],
      empty: {},
      nothing: null,
    };
    expect(roundTrip(value)).toStrictEqual(value);
  });

  it('keeps user objects that contain a "$t" key as they are', () => {
    const lookalikes = [
      { $t: 'D', v: '2020-01-01T00:00:00.000Z' },
      { $t: 'M', v: [['a', 1]] },
      { $t: 'U' },
      { $t: 'O', v: [] },
      { $t: 5 },
      { $t: 'x', nested: { $t: 'B', v: '12' } },
    ];
    for (const value of lookalikes) {
      const encoded = encodeValue(value);
      expect(encoded[0]).toBe('T');
      expect(decodeValue(encoded)).toStrictEqual(value);
    }
    const mixed = { at: new Date(3), user: { $t: 'S', v: [1] } };
    expect(roundTrip(mixed)).toStrictEqual(mixed);
  });

  it('returns a fresh copy on every decode', () => {
    const encoded = encodeValue({ list: [1], at: new Date(1) });
    const first = decodeValue(encoded) as { list: number[] };
    first.list.push(2);
    expect(decodeValue(encoded)).toStrictEqual({ list: [1], at: new Date(1) });
  });

  it.each([
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a top-level undefined', undefined],
  ])('throws UncacheableValueError for %s', (_label, value) => {
    const error = catchError(() => encodeValue(value, 'ProductService.findOne'));
    expect(error).toBeInstanceOf(UncacheableValueError);
    expect((error as UncacheableValueError).code).toBe('E_UNCACHEABLE_VALUE');
    expect((error as UncacheableValueError).target).toBe('ProductService.findOne');
    expect((error as Error).message).toContain('ProductService.findOne');
  });

  it('throws UncacheableValueError for cycles, naming the target', () => {
    const plain: Record<string, unknown> = { a: 1 };
    plain.self = plain;
    const typed: Record<string, unknown> = { at: new Date(0) };
    typed.self = typed;
    const map = new Map<string, unknown>();
    map.set('self', map);
    const array: unknown[] = [1];
    array.push(array);
    for (const value of [plain, typed, map, array]) {
      const error = catchError(() => encodeValue(value, 'cycle-key'));
      expect(error).toBeInstanceOf(UncacheableValueError);
      expect((error as UncacheableValueError).target).toBe('cycle-key');
    }
  });

  it('turns class instances into plain objects with their data', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    expect(roundTrip(new Point(1, 2))).toStrictEqual({ x: 1, y: 2 });
  });
});

describe('deepFreeze', () => {
  it('freezes nested objects and arrays and returns the same reference', () => {
    const value = { a: { b: [1, { c: 2 }] }, m: new Map([['k', { v: 1 }]]), s: new Set([{ w: 1 }]) };
    const frozen = deepFreeze(value);
    expect(frozen).toBe(value);
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a.b)).toBe(true);
    expect(Object.isFrozen(value.a.b[1])).toBe(true);
    expect(Object.isFrozen(value.m.get('k'))).toBe(true);
    expect(Object.isFrozen([...value.s][0])).toBe(true);
    expect(() => {
      (value.a.b as unknown[]).push(3);
    }).toThrow(TypeError);
  });

  it('leaves primitives alone', () => {
    expect(deepFreeze(5)).toBe(5);
    expect(deepFreeze(null)).toBe(null);
    expect(deepFreeze('s')).toBe('s');
  });
});
