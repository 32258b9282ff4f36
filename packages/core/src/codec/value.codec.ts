import { UncacheableValueError } from '../errors/uncacheable-value.error.js';

/**
 * An encoded value: one kind character followed by JSON. `j` is plain JSON, decoded with a bare
 * `JSON.parse`; `t` is typed JSON whose special values (`Date`, `Map`, `Set`, `BigInt`,
 * non-finite numbers, `undefined` array items) are `{"$t": code, "v": …}` objects revived on
 * decode. Most values are plain, so most reads cost one `JSON.parse` and nothing more.
 */
export type EncodedValue = string;

const TYPE_KEY = '$t';

/**
 * Encodes a value for storage. Throws {@link UncacheableValueError} for functions and symbols
 * at the top level (inside objects they are dropped, as `JSON.stringify` does) and for cycles.
 *
 * @param value - what to encode; `null` is valid, `undefined` is not (it means "do not cache").
 * @param target - named in the error message when the value cannot be encoded.
 */
export function encodeValue(value: unknown, target = 'value'): EncodedValue {
  if (typeof value === 'function' || typeof value === 'symbol' || value === undefined) {
    throw new UncacheableValueError(
      target,
      `a ${value === undefined ? 'undefined value' : typeof value} is not cacheable`,
    );
  }
  try {
    return needsTyping(value, 0) ? 't' + JSON.stringify(value, typedReplacer) : 'j' + JSON.stringify(value);
  } catch (error) {
    if (error instanceof UncacheableValueError) throw error;
    throw new UncacheableValueError(target, error instanceof Error ? error.message : String(error));
  }
}

/** Decodes what {@link encodeValue} produced. Every call returns a fresh copy. */
export function decodeValue(encoded: EncodedValue): unknown {
  const body = encoded.slice(1);
  return encoded.charCodeAt(0) === 0x6a /* j */ ? JSON.parse(body) : JSON.parse(body, typedReviver);
}

const MAX_DEPTH = 1000;

/** True when plain JSON would lose something: then the slower typed form is used. */
function needsTyping(value: unknown, depth: number): boolean {
  // encodeValue turns this into an UncacheableValueError naming its target.
  if (depth > MAX_DEPTH) throw new RangeError('nested too deeply (or cyclic)');
  switch (typeof value) {
    case 'bigint':
      return true;
    case 'number':
      return !Number.isFinite(value);
    case 'object': {
      if (value === null) return false;
      if (value instanceof Date || value instanceof Map || value instanceof Set) return true;
      if (Array.isArray(value)) {
        for (const item of value) if (item === undefined || needsTyping(item, depth + 1)) return true;
        return false;
      }
      // A user object with our marker key must be escaped, or decode would misread it.
      if (Object.hasOwn(value, TYPE_KEY)) return true;
      for (const key in value) {
        if (Object.hasOwn(value, key) && needsTyping((value as Record<string, unknown>)[key], depth + 1))
          return true;
      }
      return false;
    }
    default:
      return false;
  }
}

interface Tagged {
  [TYPE_KEY]: string;
  v?: unknown;
}

// `this[key]` is the raw value: by the time `value` arrives, Date#toJSON has already run.
function typedReplacer(this: unknown, key: string, value: unknown): unknown {
  const raw: unknown = (this as Record<string, unknown>)[key];
  if (raw instanceof Date)
    return { [TYPE_KEY]: 'D', v: Number.isNaN(raw.getTime()) ? null : raw.toISOString() };
  if (raw instanceof Map) return { [TYPE_KEY]: 'M', v: [...raw.entries()] };
  if (raw instanceof Set) return { [TYPE_KEY]: 'S', v: [...raw.values()] };
  if (typeof raw === 'bigint') return { [TYPE_KEY]: 'B', v: raw.toString() };
  if (typeof raw === 'number' && !Number.isFinite(raw)) return { [TYPE_KEY]: 'N', v: String(raw) };
  if (raw === undefined && Array.isArray(this)) return { [TYPE_KEY]: 'U' };
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && Object.hasOwn(raw, TYPE_KEY)) {
    return { [TYPE_KEY]: 'O', v: Object.entries(raw) };
  }
  return value;
}

// JSON.parse deletes an array item whose reviver returns undefined, leaving a hole: 'U' items
// revive as this marker, replaced by a real undefined when their array is revived.
const UNDEFINED_ITEM = Symbol('undefined item');

function typedReviver(_key: string, value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (value[i] === UNDEFINED_ITEM) value[i] = undefined;
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  const tagged = value as Tagged;
  const code = tagged[TYPE_KEY];
  if (typeof code !== 'string') return value;
  const v = tagged.v;
  switch (code) {
    case 'D':
      return new Date(typeof v === 'string' ? v : Number.NaN);
    case 'M':
      return new Map(v as Iterable<[unknown, unknown]>);
    case 'S':
      return new Set(v as Iterable<unknown>);
    case 'B':
      return BigInt(v as string);
    case 'N':
      return Number(v);
    case 'U':
      return UNDEFINED_ITEM;
    case 'O':
      return Object.fromEntries(v as Iterable<[string, unknown]>);
    default:
      return value;
  }
}

/**
 * Deep-freezes plain objects and arrays (used by `shareReferences`). `Map` and `Set` contents
 * cannot be frozen by the language; they are frozen as objects only.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (value instanceof Map) {
    for (const [k, v] of value) {
      deepFreeze(k);
      deepFreeze(v);
    }
  } else if (value instanceof Set) {
    for (const v of value) deepFreeze(v);
  } else {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
