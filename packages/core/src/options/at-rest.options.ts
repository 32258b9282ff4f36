/**
 * Options of values at rest: how entries are compressed and encrypted in Redis and in write-behind
 * journals (docs/security.md, docs/values-at-rest.md).
 *
 * @module
 */

/** `CacheStackOptions.compression`. */
export interface CompressionOptions {
  /**
   * Values whose encoded form (JSON) has at least this many characters are stored compressed (raw
   * DEFLATE at level 1, in base64), when that makes them shorter. L1 keeps them uncompressed.
   * @default 8192
   */
  readonly threshold?: number;
}

/**
 * `CacheStackOptions.encryption`: AES-256-GCM of sensitive entries in Redis and in write-behind
 * journals. An entry is sensitive when its namespace is listed here, when its call says
 * `sensitive: true` (`@Cacheable({ sensitive: true })`, `CacheService` options), for every entry of
 * a `forFeature` cache with `sensitive: true`, and for `private` HTTP pages.
 */
export interface EncryptionOptions {
  /**
   * Master keys by id (letters, digits, `_`, `-`; at most 32 characters): each 32 random bytes, as
   * a `Uint8Array` / `Buffer` or a base64 string (`openssl rand -base64 32`). Entries written under
   * any listed key stay readable; an entry under a key no longer listed reads as a miss. Keep
   * them in a secret store, not in code.
   */
  readonly keys: Readonly<Record<string, Uint8Array | string>>;
  /** The id of the key new writes use; one of `keys`. */
  readonly current: string;
  /**
   * Namespaces (and `forFeature` cache names) all of whose entries are sensitive.
   * @default []
   */
  readonly namespaces?: readonly string[];
  /**
   * Compress sensitive values above `compression.threshold` before encrypting them. Off by
   * default: the length of a compressed value tells about its content (how repetitive it is), which
   * matters when a value mixes a secret with text an attacker chooses.
   * @default false
   */
  readonly compress?: boolean;
}
