import { createHash, hash } from 'node:crypto';
import { InvalidKeyError } from '../errors/invalid-key.error.js';

/** Namespace of entries stored without an explicit one. */
export const DEFAULT_NAMESPACE = 'default';

const NAMESPACE_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** Length of the base64url SHA-256 that ends a shortened key. */
const DIGEST_LENGTH = 43;
/** The end of a shortened key: `#` and the digest. A key kept as it is never ends so. */
const SHORTENED_END = /#[A-Za-z0-9_-]{43}$/;
/** Whether the key part of an entry key was shortened (its original cannot be read back from it). */
export function isShortenedKey(key: string): boolean {
  return SHORTENED_END.test(key);
}

/** A byte that never occurs in UTF-8: it keeps the two digest inputs below apart. */
const NOT_UTF8 = Buffer.from([0xff]);

/**
 * The segment after the prefix of every write-behind journal key (`shop:wb:{shop:wb:orders:0}:stream`).
 * It is also a valid namespace: entry keys that could spell a journal key are shortened (see
 * {@link KeyBuilder}).
 */
export const JOURNAL_KEY_SEGMENT = 'wb';

/**
 * Builds every Redis key Strata uses, so the layout lives in one place.
 *
 * Layout (prefix `shop`):
 * - entry: `shop:<namespace>:<key>`: no hash tag, so entries spread over a Redis Cluster's slots;
 * - tag time: `shop:{shop:tags}:t:<tag>` and namespace time `shop:{shop:tags}:n:<namespace>`:
 *   all in ONE slot (the `{shop:tags}` hash tag), so invalidating many tags, or reading the tag
 *   times of an entry, is one command on one node even on a cluster.
 *
 * Keys longer than `maxKeyLength` keep a readable head and end in `#` and a SHA-256 of the whole
 * key. A hash tag in the key (`{…}`, which picks the Redis Cluster slot: a write-behind cache's keys
 * carry their journal partition's) is kept whole, so a long key keeps its slot; only a tag that
 * itself ends past the room left by the hash makes the key longer than `maxKeyLength`.
 *
 * The layout is injective: distinct (namespace, key) pairs never share a Redis key, whatever the
 * key holds (keys often carry user input). The prefix and namespace contain no `:`, so the head
 * splits one way; a key that already ends like a shortened one (`#` + 43 base64url characters),
 * or holds a lone surrogate or a newline, is shortened too, whatever its length, so a short key can
 * never spell another key's shortened form.
 *
 * Entries never name an internal key either: leases (`shop:~lease:…`) and tag times
 * (`shop:{shop:tags}:…`) have heads no namespace can spell; write-behind journals
 * (`shop:wb:{shop:wb:<cache>:<n>}:stream`, …) share the head of namespace `wb`, so a key of that
 * namespace starting with `{shop:wb:` is shortened, whatever its length: its `#` + digest end is
 * never a journal key's, and its hash tag, kept whole, keeps its slot.
 */
export class KeyBuilder {
  private readonly tagPrefix: string;
  private readonly namespacePrefix: string;
  /** Prefix of key dependency times (see {@link KeyBuilder.keyDependency}). */
  readonly keyDependencyPrefix: string;
  private readonly heads = new Map<string, string>();
  private readonly namespaceOnly = new Map<string, readonly string[]>();
  /** How a key of namespace `wb` that could spell a journal key starts (`{shop:wb:`). */
  private readonly journalTagStart: string;

  constructor(
    /** Global prefix, e.g. the app name. */
    readonly prefix: string,
    /** Longest entry key, in characters, before hashing. */
    readonly maxKeyLength: number,
  ) {
    this.tagPrefix = `${prefix}:{${prefix}:tags}:t:`;
    this.namespacePrefix = `${prefix}:{${prefix}:tags}:n:`;
    this.keyDependencyPrefix = `${prefix}:{${prefix}:tags}:k:`;
    this.journalTagStart = `{${prefix}:${JOURNAL_KEY_SEGMENT}:`;
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
    if (full.length <= this.maxKeyLength && !mustShorten(key) && !this.spellsJournalKey(key, namespace))
      return full;
    return this.shortened(head, key);
  }

  /** Whether `key` in `namespace` could build a write-behind journal key (see {@link KeyBuilder}). */
  private spellsJournalKey(key: string, namespace: string): boolean {
    return namespace === JOURNAL_KEY_SEGMENT && key.startsWith(this.journalTagStart);
  }

  /**
   * `<head><readable part of key>#<digest of key>`. The readable part keeps a hash tag whole (so
   * the short key lives in the long one's Redis Cluster slot) and shows lone surrogates and
   * newlines as U+FFFD: the digest, not the readable part, tells keys apart.
   */
  private shortened(head: string, key: string): string {
    const digest = keyDigest(key);
    let room = Math.max(hashTagEnd(key), this.maxKeyLength - head.length - DIGEST_LENGTH - 1);
    // Do not cut a surrogate pair in two (outside the hash tag, which stays whole).
    if (room > hashTagEnd(key) && room < key.length && isHighSurrogate(key.charCodeAt(room - 1))) room -= 1;
    return `${head}${key.slice(0, room).replace(UNSAFE_READABLE, '\uFFFD')}#${digest}`;
  }

  /** The key holding the last invalidation time of a tag. */
  tag(tag: string): string {
    // A lone surrogate reaches Redis as U+FFFD, like every other one: two tags would share a key.
    if (tag.length === 0 || hasUnsafeCharacter(tag)) {
      throw new InvalidKeyError(
        'tag',
        tag,
        'a tag must be non-empty, contain no newline and be well-formed Unicode (no lone surrogate)',
      );
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

const UNSAFE_READABLE = /[\p{Cs}\n]/gu;

/** Whether `key` cannot be kept as it is, however short (see {@link KeyBuilder}). */
function mustShorten(key: string): boolean {
  return (
    (key.length > DIGEST_LENGTH &&
      key.charCodeAt(key.length - DIGEST_LENGTH - 1) === 0x23 /* # */ &&
      SHORTENED_END.test(key)) ||
    hasUnsafeCharacter(key)
  );
}

/**
 * Whether `text` holds what a key kept as it is must not: a lone surrogate (Redis gets UTF-8, where
 * every lone surrogate becomes the same U+FFFD, so `a\uD800` and `a\uDBFF` would share a key) or a
 * newline (entries list the keys they depend on one per line). Native checks: this runs on every
 * key, L1 hits included.
 */
function hasUnsafeCharacter(text: string): boolean {
  return !isWellFormed(text) || text.includes('\n');
}

/** `String.prototype.isWellFormed`: in every Node Strata supports, not in the ES2023 typings. */
function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/**
 * The base64url SHA-256 of a key: of its UTF-8 when it is well-formed (so long keys keep the names
 * they had), else of a byte that UTF-8 never holds followed by its UTF-16 code units, which keeps
 * lone surrogates apart.
 */
function keyDigest(key: string): string {
  if (isWellFormed(key)) return hash('sha256', key, 'base64url');
  return createHash('sha256').update(NOT_UTF8).update(Buffer.from(key, 'utf16le')).digest('base64url');
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
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
