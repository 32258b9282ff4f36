/**
 * Tag headers for a CDN in front of the app (`HttpCacheModuleOptions.cdnTagHeaders`), so that
 * purging a tag there can follow an invalidation here.
 *
 * @module
 */
import { StrataConfigError } from '@strata/core';
import type { CdnTagHeader } from './http-cache.options.js';

/** How each header lists tags: Fastly's `Surrogate-Key` with spaces, `Cache-Tag` with commas. */
const SEPARATORS: Readonly<Record<CdnTagHeader, string>> = { 'Surrogate-Key': ' ', 'Cache-Tag': ',' };

/** A tag that would split or break a header list: whitespace, a comma or a control character. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\s,\u0000-\u001f\u007f]/;

/** Checks `cdnTagHeaders` at boot; throws {@link StrataConfigError} naming the option. */
export function resolveCdnTagHeaders(value: unknown): readonly CdnTagHeader[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((name) => name === 'Surrogate-Key' || name === 'Cache-Tag')) {
    throw new StrataConfigError('cdnTagHeaders', value, 'expected a list of "Surrogate-Key" and "Cache-Tag"');
  }
  return value as CdnTagHeader[];
}

/**
 * The headers carrying `tags` (lowercase names, as stored); none when there is no usable tag.
 *
 * @example cdnTagHeaders(['Surrogate-Key'], ['product:42', 'product-list']) // { 'surrogate-key': 'product:42 product-list' }
 */
export function cdnTagHeaders(
  headers: readonly CdnTagHeader[],
  tags: readonly string[],
): Readonly<Record<string, string>> {
  if (headers.length === 0) return {};
  const usable = tags.filter((tag) => tag.length > 0 && !UNSAFE.test(tag));
  if (usable.length === 0) return {};
  const result: Record<string, string> = {};
  for (const header of headers) result[header.toLowerCase()] = usable.join(SEPARATORS[header]);
  return result;
}
