/**
 * Header access shared by the HTTP cache policy functions, so that they work on plain inputs on
 * any adapter: Node's `IncomingHttpHeaders` / `OutgoingHttpHeaders` records (lowercase names,
 * values that are strings, string arrays or numbers), or a lookup function such as
 * `(name) => reply.getHeader(name)`.
 *
 * @module
 */

/** One header as Node and the adapters expose it: absent, a string, repeated lines, or a number. */
export type HeaderValue = string | number | readonly string[] | undefined;

/**
 * Where a policy function reads headers: a record with lowercase names (Node's `req.headers`,
 * `res.getHeaders()`), or a function called with a lowercase name.
 */
export type HeaderSource = Readonly<Record<string, HeaderValue>> | ((name: string) => HeaderValue);

/** A header's raw value from a {@link HeaderSource}; `name` must be lowercase. */
export function readHeader(source: HeaderSource, name: string): HeaderValue {
  return typeof source === 'function' ? source(name) : source[name];
}

/**
 * A header as one string, repeated lines joined with `, ` (the list form of RFC 9110 §5.3), or
 * `undefined` when it is absent. An empty value is returned as `''`, not as absent.
 */
export function headerString(source: HeaderSource, name: string): string | undefined {
  const value = readHeader(source, name);
  if (value === undefined) return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  return value.length === 0 ? undefined : value.join(', ');
}

/** True when the header is present, even with an empty value. */
export function hasHeader(source: HeaderSource, name: string): boolean {
  return headerString(source, name) !== undefined;
}

/**
 * Splits a comma-separated list header into its trimmed, non-empty members. Only for fields
 * whose members cannot contain a comma (`Vary`, `Connection`): quoted lists need a real parser.
 */
export function splitList(value: string | undefined): string[] {
  if (value === undefined) return [];
  const members: string[] = [];
  for (const part of value.split(',')) {
    const member = part.trim();
    if (member.length > 0) members.push(member);
  }
  return members;
}
