import { UncacheableValueError } from '../errors/uncacheable-value.error.js';

/**
 * An encoded value: one kind character followed by JSON. `j` is plain JSON, decoded with a bare
 * `JSON.parse`; `T` is typed JSON whose special values (`Date`, `Map`, `Set`, `BigInt`,
 * non-finite numbers and `-0`, `undefined` array items) are `{"$t": code, "v": …}` objects revived
 * on decode, and whose own objects that hold a `$t` key (after `toJSON`) are escaped as
 * `{"$t": "O", "v": [[key, value], …]}`, so no user data is ever read as a tag. Most values are
 * plain, so most reads cost one `JSON.parse` and nothing more.
 *
 * `t` is the typed kind of earlier releases, same layout: {@link decodeValue} still reads it (a
 * write-behind journal may hold such values), but an entry read from Redis with it is a miss
 * ({@link isLegacyEncoding}): those releases could read an object's own `$t` data as a tag.
 */
export type EncodedValue = string;

/** Kind of a value that plain JSON carries. */
const PLAIN = 'j';
/** Kind of typed JSON. */
const TYPED = 'T';
/** Typed JSON written by earlier releases (see {@link EncodedValue}). */
const LEGACY_TYPED = 0x74; /* t */

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
    return needsTyping(value, 0)
      ? TYPED + JSON.stringify(value, typedReplacer)
      : PLAIN + JSON.stringify(value);
  } catch (error) {
    if (error instanceof UncacheableValueError) throw error;
    throw new UncacheableValueError(target, error instanceof Error ? error.message : String(error));
  }
}

/**
 * Decodes what {@link encodeValue} produced (or an earlier release's `t` kind, same layout). Every
 * call returns a fresh copy. Throws a `SyntaxError` for any other kind: readers of Redis never
 * get here with one (an entry of an unknown kind is a miss, a journal record of one a dead letter).
 */
export function decodeValue(encoded: EncodedValue): unknown {
  const kind = encoded.charCodeAt(0);
  const body = encoded.slice(1);
  if (kind === 0x6a /* j */) return JSON.parse(body);
  // `T`, or `t` from an earlier release (write-behind journals).
  if (kind === 0x54 /* T */ || kind === LEGACY_TYPED) return JSON.parse(body, typedReviver);
  // Compressed and encrypted forms are opened before (StoredValueCodec); anything else is not ours.
  throw new SyntaxError(`not an encoded value (kind ${JSON.stringify(encoded.slice(0, 1))})`);
}

/**
 * Whether a value is in this release's encoding (`j` or `T`), as {@link encodeValue} makes it: not
 * an earlier release's typed `t` (see {@link isLegacyEncoding}), nor a stored form (compressed,
 * encrypted: `StoredValueCodec`), nor anything else.
 */
export function isCurrentEncoding(encoded: EncodedValue): boolean {
  const kind = encoded.charCodeAt(0);
  return kind === 0x6a /* j */ || kind === 0x54; /* T */
}

/**
 * Whether a value is in an earlier release's typed encoding (`t`). An entry holding one is read as
 * a miss (such a value could hold user data read back as a tag); a write-behind journal may still
 * hold one, and {@link decodeValue} reads it.
 */
export function isLegacyEncoding(encoded: EncodedValue): boolean {
  return encoded.charCodeAt(0) === LEGACY_TYPED;
}

const MAX_DEPTH = 1000;

/**
 * True when plain JSON would lose something: then the slower typed form is used. Runs on every
 * encode, before `JSON.stringify`.
 */
function needsTyping(value: unknown, depth: number): boolean {
  if (typeof value === 'number') return lossyNumber(value);
  if (typeof value !== 'object') return typeof value === 'bigint';
  return value !== null && objectNeedsTyping(value, depth);
}

/** `NaN`, the infinities and `-0`, which JSON would write as `null` or `0`. */
function lossyNumber(n: number): boolean {
  // `n - n` is 0 for every finite number and NaN otherwise.
  return n - n !== 0 || (n === 0 && 1 / n < 0);
}

/**
 * {@link needsTyping} of an object. Its items are told apart by `typeof` inline (strings and
 * booleans, most leaves, cost one comparison and no call), arrays are walked by index, and the
 * own-property check `for…in` needs is skipped for plain objects, whose prototype adds no keys.
 */
function objectNeedsTyping(value: object, depth: number): boolean {
  // encodeValue turns this into an UncacheableValueError naming its target.
  if (depth > MAX_DEPTH) throw new RangeError('nested too deeply (or cyclic)');
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object') {
        if (item !== null && objectNeedsTyping(item, depth + 1)) return true;
      } else if (typeof item === 'number') {
        if (lossyNumber(item)) return true;
      } else if (item === undefined || typeof item === 'bigint') return true;
    }
    return false;
  }
  if (value instanceof Date || value instanceof Map || value instanceof Set) return true;
  // A user object with our marker key must be escaped, or decode would misread it.
  if (Object.hasOwn(value, TYPE_KEY)) return true;
  const plain = Object.getPrototypeOf(value) === Object.prototype;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === 'object') {
      if (item !== null && (plain || Object.hasOwn(value, key)) && objectNeedsTyping(item, depth + 1))
        return true;
    } else if (typeof item === 'number') {
      if (lossyNumber(item) && (plain || Object.hasOwn(value, key))) return true;
    } else if (typeof item === 'bigint' && (plain || Object.hasOwn(value, key))) return true;
  }
  return false;
}

interface Tagged {
  [TYPE_KEY]: string;
  v?: unknown;
}

/**
 * Replaces what plain JSON would lose. `this[key]` is the raw value, `value` what JSON.stringify
 * is about to write (after `toJSON`): the documented types are recognized on the raw value (a
 * `Date` has already become a string in `value`), everything else on `value`, since that is what
 * would be written, and read back.
 */
function typedReplacer(this: unknown, key: string, value: unknown): unknown {
  const raw: unknown = (this as Record<string, unknown>)[key];
  const tagged = typeTag(raw) ?? (value === raw ? undefined : typeTag(value));
  if (tagged !== undefined) return tagged;
  if (value === undefined && raw === undefined && Array.isArray(this)) return { [TYPE_KEY]: 'U' };
  if (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.hasOwn(value, TYPE_KEY)
  ) {
    return { [TYPE_KEY]: 'O', v: ownEntries(value as Record<string, unknown>) };
  }
  return value;
}

/** The tag of a value of a documented type, or `undefined`. */
function typeTag(value: unknown): Tagged | undefined {
  switch (typeof value) {
    case 'bigint':
      return { [TYPE_KEY]: 'B', v: value.toString() };
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
        ? undefined
        : { [TYPE_KEY]: 'N', v: Object.is(value, -0) ? '-0' : String(value) };
    case 'object':
      if (value instanceof Date)
        return { [TYPE_KEY]: 'D', v: Number.isNaN(value.getTime()) ? null : value.toISOString() };
      if (value instanceof Map) return { [TYPE_KEY]: 'M', v: [...value.entries()] };
      if (value instanceof Set) return { [TYPE_KEY]: 'S', v: [...value.values()] };
      return undefined;
    default:
      return undefined;
  }
}

/**
 * The properties JSON would write for an escaped object, as `[key, value]` pairs: `toJSON` is
 * called with the property's own key (a documented type keeps its raw value, as above), and
 * what JSON leaves out (`undefined`, functions, symbols) is left out, not written as `null`.
 */
function ownEntries(object: Record<string, unknown>): [string, unknown][] {
  const entries: [string, unknown][] = [];
  for (const key of Object.keys(object)) {
    let item: unknown = object[key];
    if (typeTag(item) === undefined && hasToJson(item)) item = item.toJSON(key);
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    entries.push([key, item]);
  }
  return entries;
}

function hasToJson(value: unknown): value is { toJSON(key: string): unknown } {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  );
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
