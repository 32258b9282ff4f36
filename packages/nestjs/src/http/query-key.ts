/**
 * The query part of the HTTP cache key, read from the query the adapter parsed (`req.query`), not
 * from the raw string: whatever the parser (Express's `simple` or `extended`/qs, Fastify's
 * fast-querystring, a custom one), two requests share it only if their handlers receive equal
 * queries.
 *
 * @module
 */

/** Deepest nesting of a parsed query that is keyed (qs nests to 5 by default); deeper bypasses. */
const MAX_DEPTH = 16;
/** Most values (strings, arrays, objects) in a parsed query that is keyed; more bypasses. */
const MAX_NODES = 1_000;

/**
 * A canonical text of a parsed query, or `undefined` when it holds a value that cannot be keyed
 * (then the request bypasses the cache). Equal texts mean equal queries, and the converse:
 *
 * - object members are sorted by name (code unit order): `?b=2&a=1` and `?a=1&b=2` share a key.
 *   The one thing the order changed is the order of `Object.keys(req.query)`;
 * - arrays keep their order: `?q=a&q=b` and `?q=b&q=a` are two keys, and so are
 *   `?q=evil&%71=good` and `?%71=good&q=evil`, which parse to different arrays;
 * - types stay apart (`'1'`, `1`, `['1']`, `{ 0: '1' }`); a string is written `<length>'<text>`
 *   (JSON-escaped instead when it holds `{` or `}`, so a key never contains a Redis Cluster hash tag);
 * - an object is `(…)`, an array `[…]`: `{}` (no query) is `()`.
 *
 * Accepted values: strings, finite numbers, booleans, `null`, `undefined`, arrays, and objects
 * whose prototype is `Object.prototype` or `null`. Anything else (a `Date` or class instance from a
 * custom parser, a getter that throws) returns `undefined`.
 *
 * @example
 * ```ts
 * queryKey({ b: '2', a: ['1', 'x'] }); // "(1'a:[1'1,1'x],1'b:1'2)"
 * ```
 */
export function queryKey(query: unknown): string | undefined {
  const budget = { nodes: 0 };
  try {
    return encode(query, 0, budget);
  } catch {
    // A throwing getter or proxy in a parsed query: nothing to key it on.
    return undefined;
  }
}

function encode(value: unknown, depth: number, budget: { nodes: number }): string | undefined {
  if (++budget.nodes > MAX_NODES || depth > MAX_DEPTH) return undefined;
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? String(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'undefined';
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? encodeArray(value, depth, budget) : encodeObject(value, depth, budget);
    default:
      return undefined;
  }
}

function encodeArray(
  items: readonly unknown[],
  depth: number,
  budget: { nodes: number },
): string | undefined {
  const parts: string[] = [];
  for (const item of items) {
    const part = encode(item, depth + 1, budget);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  return `[${parts.join(',')}]`;
}

function encodeObject(object: object, depth: number, budget: { nodes: number }): string | undefined {
  if (!isRecord(object)) return undefined;
  const names = Object.keys(object).sort();
  // The usual query: none (`{}`).
  if (names.length === 0) return '()';
  const record = object as Record<string, unknown>;
  const parts: string[] = [];
  for (const name of names) {
    const part = encode(record[name], depth + 1, budget);
    if (part === undefined) return undefined;
    parts.push(`${quote(name)}:${part}`);
  }
  return `(${parts.join(',')})`;
}

/**
 * A plain record: prototype `Object.prototype` or `null`, or an empty prototype-less one
 * (fast-querystring's `new Empty()`, whose prototype is `Object.create(null)`).
 */
function isRecord(object: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype === Object.prototype || prototype === null) return true;
  return (
    typeof prototype === 'object' &&
    Object.getPrototypeOf(prototype) === null &&
    Reflect.ownKeys(prototype).length === 0
  );
}

/**
 * A string as `<length>'<text>`, which reads back one way whatever the text holds; one holding a
 * brace as a JSON string with `{` and `}` escaped instead (it starts with `"`, not a digit), so that
 * the key never contains a hash tag.
 */
function quote(text: string): string {
  if (!text.includes('{') && !text.includes('}')) return `${text.length}'${text}`;
  return JSON.stringify(text).replace(/[{}]/g, (brace) => (brace === '{' ? '\\u007b' : '\\u007d'));
}
