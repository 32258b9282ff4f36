/**
 * The cache (namespace) of a full entry key `<prefix>:<namespace>:<key>`, for event payloads.
 * Namespaces hold no `:`, so the first one after the prefix ends it. Called only when someone
 * listens.
 *
 * @example cacheOfEntry('shop', 'shop:products:42') // 'products'
 */
export function cacheOfEntry(prefix: string, full: string): string {
  const start = prefix.length + 1;
  const end = full.indexOf(':', start);
  return end < 0 ? '' : full.slice(start, end);
}
