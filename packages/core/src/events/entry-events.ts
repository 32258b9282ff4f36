import type { CacheLayerName } from './strata-event-map.js';
import { EntryCacheNames } from './entry-cache.js';
import type { StrataEvents } from './strata-events.js';

/**
 * The entry events of a stack's read path (`hit`, `miss`, `stale`), with the cache name each
 * carries worked out only when someone listens. Callers on the L1 hit path check
 * `events.has('hit')` themselves first, so a hit without listeners costs one property read.
 */
export class EntryEvents {
  /** Made when someone first listens. */
  private names: EntryCacheNames | undefined;

  constructor(
    private readonly events: StrataEvents,
    private readonly prefix: string,
  ) {}

  /** The cache (namespace) of a full entry key. */
  cacheOf(full: string): string {
    this.names ??= new EntryCacheNames(this.prefix);
    return this.names.of(full);
  }

  // Out of line, so the L1 hit path stays small when nobody listens.
  hit(key: string, layer: CacheLayerName): void {
    this.events.emit('hit', { cache: this.cacheOf(key), key, layer });
  }

  miss(key: string): void {
    if (this.events.has('miss')) this.events.emit('miss', { cache: this.cacheOf(key), key });
  }

  stale(key: string, reason: 'swr' | 'error' | 'timeout', layer: CacheLayerName = 'l1'): void {
    if (this.events.has('stale')) this.events.emit('stale', { cache: this.cacheOf(key), key, layer, reason });
  }
}
