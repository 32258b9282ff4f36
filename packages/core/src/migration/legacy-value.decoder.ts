/**
 * The value a legacy entry decoded to, or `undefined` when it is not one Strata adopts.
 * (`{ value }` so that a decoded `null` is told apart from a refusal.)
 */
export type LegacyDecoded = { readonly value: unknown } | undefined;

/** `_date_<ISO string>`, as telejson writes a `Date` (and any string shaped like an ISO date). */
const DATE_MARKER = '_date_';
/** `_bigint_<digits>`, as telejson writes a `BigInt`. */
const BIGINT = /^_bigint_(-?\d{1,4096})$/;
/** What telejson writes for non-finite numbers. */
const NUMBER_MARKERS: ReadonlyMap<string, number> = new Map([
  ['_NaN_', Number.NaN],
  ['_Infinity_', Number.POSITIVE_INFINITY],
  ['_-Infinity_', Number.NEGATIVE_INFINITY],
]);
/**
 * Markers whose telejson revival runs code (`_function_` is `eval`ed, a `_constructor-name_`
 * builds a `new Function`), compiles an attacker's pattern (`_regexp_`), follows a path through
 * the value (`_duplicate_`, which can reach `__proto__`), or makes a value Strata cannot store
 * (`_symbol_`, `_gsymbol_`, errors). A legacy entry holding one is not adopted.
 */
const REFUSED_STRING = /^_(?:function|regexp|duplicate|symbol|gsymbol)_/;
const REFUSED_KEYS: ReadonlySet<string> = new Set([
  '__isConvertedError__',
  '_constructor-name_',
  // Copying it onto an ordinary object would set that object's prototype.
  '__proto__',
]);
/** Deeper than telejson writes by default and than any cached DTO needs; deeper is refused. */
const MAX_DEPTH = 64;

class Refused extends Error {}

/**
 * Decodes the body of a `cache-manager-ioredis-yet` entry (its `telejson` stringify of the value)
 * as untrusted input. telejson's own `parse` is not used: with its defaults it `eval`s functions
 * and follows reference paths, so an entry anyone with write access to Redis planted could run
 * code in the reader. This decoder is plain `JSON.parse` plus the revivals that only make data:
 * `Date` (`_date_…`, which telejson also writes for strings shaped like ISO dates, so legacy
 * readers got a `Date` there too), `BigInt`, `NaN`/`±Infinity`, and `_undefined_` (an absent
 * property, an `undefined` array item). Anything else telejson can write (functions, RegExps,
 * symbols, errors, class instances, shared references) makes the entry a miss, as does text that
 * is not JSON.
 */
export function decodeLegacyValue(raw: string): LegacyDecoded {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  try {
    const value = revive(parsed, 0);
    // `undefined` is what the store refuses to write: a planted one is no entry.
    return value === undefined ? undefined : { value };
  } catch (error) {
    if (error instanceof Refused) return undefined;
    throw error;
  }
}

function revive(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Refused();
  if (typeof value === 'string') return reviveString(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item: unknown) => revive(item, depth + 1));
  // A null-prototype copy: no key of the entry can reach a prototype while it is built.
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, item] of Object.entries(value)) {
    if (REFUSED_KEYS.has(key)) throw new Refused();
    const revived = revive(item, depth + 1);
    if (revived !== undefined) out[key] = revived;
  }
  // Callers get ordinary objects, as from any other entry.
  return Object.assign({}, out);
}

function reviveString(text: string): unknown {
  if (text.charCodeAt(0) !== 0x5f /* _ */) return text;
  if (text === '_undefined_') return undefined;
  const number = NUMBER_MARKERS.get(text);
  if (number !== undefined) return number;
  if (text.startsWith(DATE_MARKER)) {
    const date = new Date(text.slice(DATE_MARKER.length));
    if (Number.isNaN(date.getTime())) throw new Refused();
    return date;
  }
  const bigint = BIGINT.exec(text);
  if (bigint !== null) return BigInt(bigint[1] ?? '0');
  if (text.startsWith('_bigint_') || REFUSED_STRING.test(text)) throw new Refused();
  return text;
}
