import { SEAL_ENCRYPT } from '../codec/stored-value.codec.js';
import type { EncodedValue } from '../codec/value.codec.js';
import { type CacheStack, engineOf } from '../stack/cache-stack.js';

/**
 * The stored form of the values a write-behind cache journals in Redis: compressed above the
 * stack's threshold, encrypted for a sensitive cache. One payload is both the stream record and
 * the cache entry the append script writes, so an encrypted one is bound to the entry's key only
 * (not to the entry header, which its journal record does not carry).
 */
export interface JournalValues {
  /** Whether the cache's values are encrypted (no `increment` then: Redis cannot add to ciphertext). */
  readonly encrypts: boolean;
  /** The stored form of a set's encoded value for the write key `key`. */
  seal(key: string, encoded: EncodedValue): string;
  /** The encoded value of a stored one; `undefined` when it cannot be read (reported as `entry:unreadable`). */
  open(key: string, stored: string): EncodedValue | undefined;
}

/** Values as they are: a stack without Redis (the memory journal never leaves the process). */
export const PLAIN_JOURNAL_VALUES: JournalValues = {
  encrypts: false,
  seal: (_key, encoded) => encoded,
  open: (_key, stored) => stored,
};

/**
 * The {@link JournalValues} of the named cache `name` on `stack`.
 *
 * @param cacheKey - the key a write key's entry is stored under (with its partition's hash tag on a Cluster).
 */
export function journalValuesOf(
  stack: CacheStack,
  name: string,
  cacheKey: (key: string) => string,
): JournalValues {
  const engine = engineOf(stack);
  const values = engine.l2?.values;
  if (values === undefined) return PLAIN_JOURNAL_VALUES;
  const flags = engine.tiers.sealOf({ namespace: name });
  const entryKey = (key: string): string => engine.keys.entry(cacheKey(key), name);
  return {
    encrypts: (flags & SEAL_ENCRYPT) !== 0,
    seal: (key, encoded) => values.seal(entryKey(key), '', encoded, flags, 'k'),
    open: (key, stored) => values.open(entryKey(key), '', stored),
  };
}
