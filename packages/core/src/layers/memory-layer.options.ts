/** Options of a `MemoryLayer` (layers/memory.layer.ts). */
export interface MemoryLayerOptions {
  /** Most entries kept (least recently used go first). */
  readonly maxEntries: number;
  /** Most bytes kept, estimated from the encoded value and key sizes. */
  readonly maxBytes: number;
  /**
   * How long a delete keeps loads that began before it from writing, in ms. It is also how long
   * the newest entry version seen for a key is remembered after a delete or an announcement:
   * give at least L1's longest entry lifetime.
   */
  readonly tombstoneTtlMs: number;
  /**
   * Prefix of key dependency times (`KeyBuilder.keyDependencyPrefix`): their changes are kept
   * only for keys an entry may depend on (see `KeyDependencyWatch`). Absent: no key
   * dependencies (every invalidated key is a tag).
   */
  readonly keyDependencyPrefix?: string;
}
