import { type ConfirmedInvalidation, DEFAULT_NAMESPACE, type InvalidatedKey } from '@strata/core/internal';
import type { CdcInvalidation } from '../options/row-change.js';

/**
 * The invalidations of committed transactions not yet applied, de-duplicated: keys per namespace,
 * tags, namespaces, and the tables that fall back. Past `max` distinct keys and tags, the keys and
 * tags are dropped and every table that contributed falls back instead (so does every table added
 * later): the set stays bounded whatever a transaction's size.
 */
export class InvalidationSet {
  private readonly keys = new Map<string, Set<string>>();
  private readonly tags = new Set<string>();
  private readonly namespaces = new Set<string>();
  /** Tables whose one-by-one invalidations are in `keys`/`tags`: they fall back on overflow. */
  private readonly mappedTables = new Set<string>();
  /** Tables that fell back (a truncate, a mapping that threw, an overflow). */
  private readonly fallenBack = new Set<string>();
  private size = 0;
  private overflowed = false;

  constructor(
    private readonly max: number,
    private readonly fallbackOf: (table: string) => CdcInvalidation,
  ) {}

  /** Whether nothing is to be invalidated. */
  get empty(): boolean {
    return this.size === 0 && this.namespaces.size === 0 && this.fallenBack.size === 0;
  }

  /** Whether the one-by-one invalidations overflowed into table fallbacks. */
  get overflow(): boolean {
    return this.overflowed;
  }

  /**
   * Adds what a change of `table` invalidates (or its fallback, once the set overflowed).
   *
   * @returns The tables that fell back now because the set passed its bound.
   */
  add(table: string, invalidation: CdcInvalidation): readonly string[] {
    if (this.overflowed) return this.fallBackForSize([table]);
    this.mappedTables.add(table);
    this.addKeys(invalidation.namespace ?? DEFAULT_NAMESPACE, invalidation.keys ?? []);
    this.addTags(invalidation.tags ?? []);
    for (const namespace of invalidation.namespaces ?? []) this.namespaces.add(namespace);
    return this.checkSize();
  }

  /** Makes `table` fall back. */
  fallBack(table: string): void {
    this.fallenBack.add(table);
  }

  /**
   * Adds everything of `other` (a later transaction), keeping the bound.
   *
   * @returns The tables that fell back now because the merged set passed its bound.
   */
  merge(other: InvalidationSet): readonly string[] {
    for (const table of other.fallenBack) this.fallenBack.add(table);
    for (const table of other.mappedTables) this.mappedTables.add(table);
    for (const namespace of other.namespaces) this.namespaces.add(namespace);
    if (other.overflowed) this.overflowNow();
    if (this.overflowed) {
      const fallen = this.fallBackForSize(this.mappedTables);
      this.mappedTables.clear();
      return fallen;
    }
    for (const [namespace, keys] of other.keys) this.addKeys(namespace, keys);
    this.addTags(other.tags);
    return this.checkSize();
  }

  /** The set as the call that applies it takes it, with the fallbacks of the tables that fell back. */
  toRequest(): ConfirmedInvalidation {
    const keys: InvalidatedKey[] = [];
    const tags = new Set(this.tags);
    const namespaces = new Set(this.namespaces);
    const seen = new Set<string>();
    const addKey = (key: string, namespace: string): void => {
      const id = JSON.stringify([namespace, key]);
      if (seen.has(id)) return;
      seen.add(id);
      keys.push({ key, namespace });
    };
    for (const [namespace, set] of this.keys) for (const key of set) addKey(key, namespace);
    for (const table of this.fallenBack) {
      const fallback = this.fallbackOf(table);
      for (const key of fallback.keys ?? []) addKey(key, fallback.namespace ?? DEFAULT_NAMESPACE);
      for (const tag of fallback.tags ?? []) tags.add(tag);
      for (const namespace of fallback.namespaces ?? []) namespaces.add(namespace);
    }
    return { keys, tags: [...tags], namespaces: [...namespaces] };
  }

  /** The tables that fell back. */
  get fallbacks(): readonly string[] {
    return [...this.fallenBack];
  }

  private addKeys(namespace: string, keys: Iterable<string>): void {
    let set = this.keys.get(namespace);
    for (const key of keys) {
      if (set === undefined) this.keys.set(namespace, (set = new Set()));
      if (set.has(key)) continue;
      set.add(key);
      this.size++;
    }
  }

  private addTags(tags: Iterable<string>): void {
    for (const tag of tags) {
      if (this.tags.has(tag)) continue;
      this.tags.add(tag);
      this.size++;
    }
  }

  private checkSize(): readonly string[] {
    if (this.size <= this.max) return [];
    this.overflowNow();
    const fallen = this.fallBackForSize(this.mappedTables);
    this.mappedTables.clear();
    return fallen;
  }

  /** Makes `tables` fall back for the bound; returns those that had not fallen back already. */
  private fallBackForSize(tables: Iterable<string>): string[] {
    const fallen: string[] = [];
    for (const table of tables) {
      if (this.fallenBack.has(table)) continue;
      this.fallenBack.add(table);
      fallen.push(table);
    }
    return fallen;
  }

  private overflowNow(): void {
    this.overflowed = true;
    this.keys.clear();
    this.tags.clear();
    this.size = 0;
  }
}
