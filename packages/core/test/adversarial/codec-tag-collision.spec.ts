import { Redis } from 'ioredis';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheStack, UncacheableValueError, type CacheStackOptions } from '../../src/index.js';
import { decodeValue, encodeValue } from '../../src/internal.js';
import { useRedisStacks } from '../redis-stacks.support.js';
import { uniquePrefix } from '../support.js';
import { engineOf } from '../../src/internal.js';

const roundTrip = (value: unknown): unknown => decodeValue(encodeValue(value));

/** An object whose `toJSON` hands JSON.stringify `inner` (a class with a custom JSON form). */
class Wrapped {
  constructor(private readonly inner: unknown) {}
  toJSON(): unknown {
    return this.inner;
  }
}

const hasToJson = (value: object): value is { toJSON(): unknown } =>
  typeof (value as { toJSON?: unknown }).toJSON === 'function' && !(value instanceof Date);

/**
 * What a value must decode to: the documented types as they are, everything else as JSON gives it
 * (properties JSON leaves out are gone, `toJSON` applied), with `undefined` array items and `-0` kept.
 */
function expected(value: unknown): unknown {
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [expected(k), expected(v)]));
  if (value instanceof Set) return new Set([...value].map(expected));
  if (Array.isArray(value)) {
    return Array.from(value, (item: unknown) =>
      typeof item === 'function' || typeof item === 'symbol' ? null : expected(item),
    );
  }
  if (hasToJson(value)) return expected(value.toJSON());
  const kept = Object.entries(value).filter(
    ([, item]) => item !== undefined && typeof item !== 'function' && typeof item !== 'symbol',
  );
  return Object.fromEntries(kept.map(([key, item]) => [key, expected(item)]));
}

/** Keys that look like the codec's own, or like prototype tricks. */
const TRICKY_KEY = fc.constantFrom('$t', 'v', '$', '$$t', '$v', '$O', '__proto__', 'constructor', 'toJSON');
const KEY = fc.oneof(TRICKY_KEY, fc.string({ maxLength: 4 }));
/** What a tag looks like in the encoding, as user data. */
const TAG_LOOKALIKE = fc
  .tuple(fc.constantFrom('D', 'M', 'S', 'B', 'N', 'U', 'O', 'x'), fc.jsonValue({ maxDepth: 2 }))
  .map(([code, v]) => ({ $t: code, v }));
/** JSON values without -0 (JSON would turn it into 0, the typed path keeps it). */
const JSON_LEAF = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('{"$t":"D","v":"2020-01-01"}', '$t', 'T{"$t":"M"}', 'j1'),
);

const { value: VALUE } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    JSON_LEAF,
    TAG_LOOKALIKE,
    fc.date({ noInvalidDate: false }),
    fc.bigInt(),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0),
    fc.array(fc.oneof(tie('value'), fc.constant(undefined)), { maxLength: 4 }),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => new Set(items)),
    fc
      .array(
        fc.tuple(
          KEY,
          fc.oneof(
            tie('value'),
            fc.constantFrom(undefined, () => 1, Symbol('s')),
          ),
        ),
        {
          maxLength: 5,
        },
      )
      .map((entries) => Object.fromEntries(entries)),
    fc.oneof(TAG_LOOKALIKE, fc.jsonValue({ maxDepth: 2 })).map((inner) => new Wrapped(inner)),
  ),
}));

describe('the codec never reads user data as one of its tags', () => {
  it('drops the functions and symbols of an object with its own "$t" key, as JSON does', () => {
    const value = { $t: 'mine', keep: 1, fn: () => 1, sym: Symbol('s'), gone: undefined };
    expect(roundTrip(value)).toStrictEqual({ $t: 'mine', keep: 1 });
    expect(roundTrip({ at: new Date(1), user: value })).toStrictEqual({
      at: new Date(1),
      user: { $t: 'mine', keep: 1 },
    });
  });

  it.each([
    ['a Date', new Date(7)],
    ['a BigInt', 7n],
    ['NaN', Number.NaN],
  ])('keeps a toJSON() that returns a tag-shaped object as that object beside %s', (_name, sibling) => {
    const value = { sibling, custom: new Wrapped({ $t: 'M', v: [[1, 2]] }) };
    const decoded = roundTrip(value) as { custom: unknown };
    expect(decoded.custom).not.toBeInstanceOf(Map);
    expect(decoded).toStrictEqual({ sibling, custom: { $t: 'M', v: [[1, 2]] } });
    // And alone (plain JSON), the same.
    expect(roundTrip(new Wrapped({ $t: 'M', v: [[1, 2]] }))).toStrictEqual({ $t: 'M', v: [[1, 2]] });
  });

  it('round-trips every JSON value as JSON would, with -0 kept', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const decoded = roundTrip(value);
        expect(JSON.stringify(decoded)).toBe(JSON.stringify(value));
        expect(decoded).toStrictEqual(expected(value));
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips tag lookalikes, "$" keys and toJSON results beside Maps, Sets, Dates and BigInts', () => {
    fc.assert(
      fc.property(VALUE, (value) => {
        if (value === undefined) return;
        // toEqual: an own `constructor` key defeats toStrictEqual's type check, not the codec.
        expect(roundTrip(value)).toEqual(expected(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps -0, NaN, infinities and sparse array holes (as undefined items)', () => {
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
    expect(Object.is((roundTrip({ x: [-0] }) as { x: number[] }).x[0], -0)).toBe(true);
    expect(roundTrip([Number.NaN, Number.POSITIVE_INFINITY, -0, 0])).toStrictEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      -0,
      0,
    ]);
    // eslint-disable-next-line no-sparse-arrays
    expect(roundTrip([1, , 3])).toStrictEqual([1, undefined, 3]);
  });

  it('round-trips strings that look like encodings or tags', () => {
    for (const text of [
      '{"$t":"D","v":"2020-01-01T00:00:00.000Z"}',
      '$t',
      'T{"$t":"M","v":[]}',
      'j1',
      't{}',
    ]) {
      expect(roundTrip(text)).toBe(text);
      expect(roundTrip({ text, at: new Date(0) })).toStrictEqual({ text, at: new Date(0) });
    }
  });

  it('never pollutes a prototype: "__proto__" keys come back as own data', () => {
    const hostile = [
      'j{"__proto__":{"polluted":true}}',
      'T{"$t":"O","v":[["__proto__",{"polluted":true}],["$t",1]]}',
      'T{"a":{"__proto__":{"polluted":true}},"d":{"$t":"D","v":null}}',
      'T{"$t":"M","v":[["__proto__",{"polluted":true}]]}',
    ];
    for (const encoded of hostile) {
      const decoded = decodeValue(encoded) as Record<string, unknown>;
      const objects = decoded instanceof Map ? [...decoded.values()] : [decoded, decoded.a];
      for (const object of objects) {
        if (object === undefined) continue;
        expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
    const own = JSON.parse('{"__proto__":{"x":1},"constructor":{"prototype":{"y":2}}}') as object;
    const decoded = roundTrip({ own, at: new Date(0) }) as { own: object };
    expect(Object.hasOwn(decoded.own, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(decoded.own)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('refuses values nested past the bound with UncacheableValueError, not a stack overflow', () => {
    const nest = (depth: number, leaf: unknown): unknown => {
      let value: unknown = leaf;
      for (let i = 0; i < depth; i++) value = { v: value };
      return value;
    };
    expect(roundTrip(nest(900, new Date(1)))).toStrictEqual(nest(900, new Date(1)));
    expect(() => encodeValue(nest(5_000, 1))).toThrow(UncacheableValueError);
    expect(() => encodeValue(nest(5_000, new Date(1)))).toThrow(UncacheableValueError);
    const cyclic: Record<string, unknown> = { at: new Date(0) };
    cyclic.self = cyclic;
    expect(() => encodeValue(cyclic)).toThrow(UncacheableValueError);
  });
});

describe('entries stored by earlier releases', () => {
  const redis = useRedisStacks();
  let raw: Redis;

  beforeAll(() => {
    raw = new Redis(redis.url, { lazyConnect: false });
  });
  afterAll(() => {
    raw.disconnect();
  });

  const write = async (key: string, value: string): Promise<void> => {
    const now = Date.now();
    await raw.set(key, `S1|1|${now + 60_000}|${now + 60_000}|0\n${value}`, 'PX', 60_000);
  };

  it.each([
    ['Redis only (L1 off)', (url: string): CacheStackOptions => ({ l1: false, redis: { url } })],
    ['L1 + Redis', (url: string): CacheStackOptions => ({ l1: {}, redis: { url } })],
  ])(
    '%s: a typed value in the earlier encoding is a miss, never a wrong value; plain JSON still reads',
    async (_name, shape) => {
      const stack = new CacheStack({ prefix: uniquePrefix(), ...shape(redis.url) });
      redis.open.push(stack);
      expect(await stack.connect()).toBe(true);
      // What the earlier codec wrote for { at: Date, custom: Wrapped({ $t: 'M', … }) }: read back
      // then, `custom` came out as a Map.
      await write(
        engineOf(stack).keys.entry('legacy-typed'),
        't{"at":{"$t":"D","v":"1970-01-01T00:00:00.007Z"},"custom":{"$t":"M","v":[[1,2]]}}',
      );
      await write(engineOf(stack).keys.entry('legacy-plain'), 'j{"n":1,"$t":"looks like a tag"}');
      expect(await stack.get('legacy-typed')).toBeUndefined();
      expect(await stack.getOrLoad('legacy-typed', () => ({ reloaded: new Date(8) }))).toStrictEqual({
        reloaded: new Date(8),
      });
      expect(await stack.get('legacy-typed')).toStrictEqual({ reloaded: new Date(8) });
      expect(await stack.get('legacy-plain')).toStrictEqual({ n: 1, $t: 'looks like a tag' });
    },
  );

  it('decodeValue still reads the earlier typed kind (write-behind journals may hold it)', () => {
    expect(
      decodeValue('t{"at":{"$t":"D","v":"1970-01-01T00:00:00.007Z"},"n":{"$t":"B","v":"5"}}'),
    ).toStrictEqual({
      at: new Date(7),
      n: 5n,
    });
  });
});
