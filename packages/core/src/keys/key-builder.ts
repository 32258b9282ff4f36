import { hash } from 'node:crypto';
import { InvalidKeyError } from '../errors/invalid-key.error.js';

/** Namespace of entries stored without an explicit one. */
export const DEFAULT_NAMESPACE = 'default';

const NAMESPACE_PATTERN = /^[A-Za-z0-9_.-]+$/;

/**
 * Builds every Redis key Strata uses, so the layout lives in one place.
 *
 * Layout (prefix `shop`):
 * - entry: `shop:<namespace>:<key>`: no hash tag, so entries spread over a Redis Cluster's slots;
 * - tag time: `shop:{shop:tags}:t:<tag>` and namespace time `shop:{shop:tags}:n:<namespace>`:
 *   all in ONE slot (the `{shop:tags}` hash tag), so invalidating many tags, or reading the tag
 *   times of an entry, is one command on one node even on a cluster.
 *
 * Keys longer than `maxKeyLength` keep a readable head and end in a SHA-256 of the whole key. A
 * hash tag in the key (`{…}`, which picks the Redis Cluster slot: a write-behind cache's keys carry
 * their journal partition's) is kept whole, so a long key keeps its slot; only a tag that itself
 * ends past the room left by the hash makes the key longer than `maxKeyLength`.
 */
export class KeyBuilder {
  private readonly tagPrefix: string;
  private readonly namespacePrefix: string;
  /** Prefix of key dependency times (see {@link KeyBuilder.keyDependency}). */
  readonly keyDependencyPrefix: string;
  private readonly heads = new Map<string, string>();
  private readonly namespaceOnly = new Map<string, readonly string[]>();

  constructor(
    /** Global prefix, e.g. the app name. */
    readonly prefix: string,
    /** Longest entry key, in characters, before hashing. */
    readonly maxKeyLength: number,
  ) {
    this.tagPrefix = `${prefix}:{${prefix}:tags}:t:`;
    this.namespacePrefix = `${prefix}:{${prefix}:tags}:n:`;
    this.keyDependencyPrefix = `${prefix}:{${prefix}:tags}:k:`;
  }

  /** The full key of an entry. Throws {@link InvalidKeyError} on an empty key or a bad namespace. */
  entry(key: string, namespace: string = DEFAULT_NAMESPACE): string {
    if (key.length === 0) throw new InvalidKeyError('key', key, 'a key must not be empty');
    // `shop:default:` is built once per namespace; a hit then costs one concatenation.
    let head = this.heads.get(namespace);
    if (head === undefined) {
      KeyBuilder.assertNamespace(namespace);
      head = `${this.prefix}:${namespace}:`;
      if (this.heads.size < 1_000) this.heads.set(namespace, head);
    }
    const full = head + key;
    if (full.length <= this.maxKeyLength) return full;
    // Keep a readable head for debugging; the hash makes the key unique. A hash tag stays whole,
    // so that the short key lives in the long one's Redis Cluster slot.
    const digest = hash('sha256', key, 'base64url');
    const room = Math.max(hashTagEnd(key), this.maxKeyLength - head.length - digest.length - 1);
    return `${head}${key.slice(0, room)}#${digest}`;
  }

  /** The key holding the last invalidation time of a tag. */
  tag(tag: string): string {
    if (tag.length === 0 || tag.includes('\n')) {
      throw new InvalidKeyError('tag', tag, 'a tag must be non-empty and contain no newline');
    }
    return this.tagPrefix + tag;
  }

  /**
   * The time keys an entry depends on: its namespace's, then its tags'. The namespace-only list
   * is built once per namespace (most entries carry no other tag).
   */
  dependencies(namespace: string = DEFAULT_NAMESPACE, tags?: readonly string[]): readonly string[] {
    let namespaceOnly = this.namespaceOnly.get(namespace);
    if (namespaceOnly === undefined) {
      KeyBuilder.assertNamespace(namespace);
      namespaceOnly = Object.freeze([this.namespace(namespace)]);
      if (this.namespaceOnly.size < 1_000) this.namespaceOnly.set(namespace, namespaceOnly);
    }
    if (!tags || tags.length === 0) return namespaceOnly;
    return [...namespaceOnly, ...tags.map((tag) => this.tag(tag))];
  }

  /**
   * The key holding the last time the entry `full` (a full entry key) was set or deleted: an
   * entry whose value was computed from `full`'s (an HTTP page, a cached method that called
   * another) carries it like a tag, so changing `full` drops it too (docs/dependencies.md). It
   * lives in the tags slot, so a set's dependency time and the tag times of a read share a node.
   */
  keyDependency(full: string): string {
    return this.keyDependencyPrefix + full;
  }

  /** Whether a dependency key (from an entry's tags) is a key dependency rather than a tag or namespace. */
  isKeyDependency(dependency: string): boolean {
    return dependency.startsWith(this.keyDependencyPrefix);
  }

  /** The key holding the last invalidation time of a namespace. */
  namespace(namespace: string): string {
    return this.namespacePrefix + namespace;
  }

  /** Validates a namespace name: letters, digits, `_`, `.`, `-`. */
  static assertNamespace(namespace: string): void {
    if (!NAMESPACE_PATTERN.test(namespace)) {
      throw new InvalidKeyError('namespace', namespace, 'use letters, digits, "_", "." or "-"');
    }
  }
}

/**
 * Where the hash tag of `key` ends (the index after its `}`), or 0 without one. Redis hashes the
 * part between the first `{` and the next `}` when it is non-empty, else the whole key. Entry
 * heads (prefix, namespace) hold no braces, so the key's tag is the full key's.
 */
function hashTagEnd(key: string): number {
  const open = key.indexOf('{');
  if (open < 0) return 0;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? close + 1 : 0;
}
