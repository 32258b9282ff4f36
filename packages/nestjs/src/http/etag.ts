/**
 * Entity tags (RFC 9110 §8.8.3) and `If-None-Match` (§13.1.2): the strong `ETag` a cached
 * response carries, and the weak comparison that decides a 304.
 *
 * @module
 */
import { hash } from 'node:crypto';

/** A parsed entity tag. */
export interface EntityTag {
  /** `W/` prefix: the representation is only semantically equivalent, not byte-identical. */
  readonly weak: boolean;
  /** The opaque tag with its double quotes, e.g. `"abc"`. */
  readonly opaque: string;
}

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text.
const ETAG_PATTERN = /^(W\/)?("[\x21\x23-\x7e\x80-\xff]*")$/;

/** Parses one entity tag; `undefined` when `value` is not one. */
export function parseEntityTag(value: string): EntityTag | undefined {
  const match = ETAG_PATTERN.exec(value.trim());
  if (match === null || match[2] === undefined) return undefined;
  return { weak: match[1] !== undefined, opaque: match[2] };
}

/**
 * A strong entity tag over the body bytes: the base64url SHA-256 of the bytes, quoted. Equal
 * bytes give equal tags on every instance; the full digest keeps collisions out of reach. A
 * string body stands for its UTF-8 bytes (hashed without building a `Buffer`).
 */
export function strongEtag(body: string | Uint8Array): string {
  return `"${hash('sha256', body, 'base64url')}"`;
}

/**
 * The `ETag` a stored response carries: the handler's own when it set a valid one (weak or
 * strong: it knows its representation better than we do), otherwise {@link strongEtag} of the body.
 * An invalid handler value (unquoted, say) is replaced, since `If-None-Match` could never match it.
 *
 * Note: Express's `res.send` sets a weak `ETag` by default; a caller that wants the body hash
 * must pass only the `ETag` the handler itself set.
 */
export function responseEtag(handlerEtag: string | undefined, body: string | Uint8Array): string {
  if (handlerEtag !== undefined && parseEntityTag(handlerEtag) !== undefined) return handlerEtag.trim();
  return strongEtag(body);
}

/** A parsed `If-None-Match`: `*`, or its entity tags (invalid members skipped). */
export type IfNoneMatch = '*' | readonly EntityTag[];

/**
 * Parses `If-None-Match`. Members are read with a scanner, not split on commas: an opaque tag may
 * itself contain a comma (`"a,b"`). Members that are not entity tags are skipped, so a malformed
 * header matches less, never more.
 */
export function parseIfNoneMatch(value: string | undefined): IfNoneMatch {
  if (value === undefined) return [];
  if (value.trim() === '*') return '*';
  const tags: EntityTag[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && (value[i] === ',' || value[i] === ' ' || value[i] === '\t')) i++;
    if (i >= n) break;
    const start = i;
    if (value.startsWith('W/', i)) i += 2;
    if (value[i] === '"') {
      const close = value.indexOf('"', i + 1);
      if (close === -1) break;
      i = close + 1;
      const tag = parseEntityTag(value.slice(start, i));
      // Only a tag followed by a separator (or the end) counts: `"a"x` is not a member.
      if (tag !== undefined && (i >= n || /[\s,]/.test(value.charAt(i)))) tags.push(tag);
    }
    // Skip the rest of this member up to the next comma.
    while (i < n && value[i] !== ',') i++;
  }
  return tags;
}

/** The weak comparison of RFC 9110 §8.8.3.2: equal opaque tags, whether either is weak or not. */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

/** The strong comparison of RFC 9110 §8.8.3.2: both strong and equal opaque tags. */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/**
 * True when `If-None-Match` matches the current representation's `etag` (RFC 9110 §13.1.2): `*`
 * matches any existing representation, a list matches when one member compares weakly equal.
 * `false` when the header is absent or `etag` is not an entity tag.
 *
 * @example
 * ```ts
 * ifNoneMatchMatches('W/"x", "y"', '"x"'); // true
 * ```
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  const condition = parseIfNoneMatch(header);
  if (condition === '*') return true;
  // Most requests carry no If-None-Match: no need to parse the stored tag for them.
  if (condition.length === 0) return false;
  const current = parseEntityTag(etag);
  if (current === undefined) return false;
  return condition.some((tag) => weakMatch(tag, current));
}
