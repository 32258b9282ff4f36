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

/**
 * {@link cacheOfEntry} for the hit path: remembers the last namespace seen, so a run of hits in
 * one cache costs a `startsWith` and hands listeners the same string each time (whose hash a
 * `Map` keyed by cache name has already computed), instead of a new slice per hit.
 */
export class EntryCacheNames {
  private head = '';
  private name = '';

  constructor(private readonly prefix: string) {}

  /** The cache of `full`. */
  of(full: string): string {
    if (this.head.length > 0 && full.startsWith(this.head)) return this.name;
    const name = cacheOfEntry(this.prefix, full);
    this.head = `${this.prefix}:${name}:`;
    this.name = name;
    return name;
  }
}
