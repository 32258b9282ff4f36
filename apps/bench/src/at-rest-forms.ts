/**
 * The forms a value takes at rest in Redis, for the values-at-rest scenario: the Redis-only stacks
 * that write each form, and how to check and size what they wrote.
 */
import { CacheStack, type CacheStackOptions } from '@strata/core';
import { engineOf } from '@strata/core/internal';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BenchRedis } from './redis.js';

/** What the first character of a stored value says it is. */
export type StoredKind = 'plain' | 'compressed' | 'encrypted';

/** One way of storing a value: a stack and whether its calls are sensitive. */
export interface AtRestForm {
  readonly name: string;
  readonly stack: CacheStack;
  readonly sensitive: boolean;
  /** What the entry holds once a value of the given encoded length is written. */
  readonly expect: (encodedLength: number) => StoredKind;
}

/** The stacks the forms write through, closed together. */
export interface AtRestStacks {
  /** `compression: false`; sensitive values encrypted without compression. */
  readonly clear: CacheStack;
  /** `compression: { threshold: 64 }` (every measured size); sensitive values compressed, then encrypted. */
  readonly eager: CacheStack;
  /** The default compression threshold; sensitive values compressed, then encrypted. */
  readonly defaults: CacheStack;
  connect(): Promise<void>;
  close(): Promise<void>;
  /** L2 errors seen so far on any of the stacks (operation and message). */
  errors(): readonly string[];
}

/** The smallest `compression.threshold` the stack accepts: the eager stack compresses every measured size. */
export const EAGER_THRESHOLD = 64;
/** The default `compression.threshold` (encoded characters), as documented on the option. */
export const DEFAULT_THRESHOLD = 8192;

/** Three Redis-only stacks (`l1: false, bus: false`) sharing one master key, under `<prefix>-var-*`. */
export function atRestStacks(redis: BenchRedis): AtRestStacks {
  const keys = { k1: randomBytes(32) };
  // One-letter tags: the entry's header holds the prefix (in its namespace tag), so prefixes of
  // one length keep the byte counts of the stacks comparable.
  const make = (tag: string, options: Pick<CacheStackOptions, 'compression' | 'encryption'>) =>
    new CacheStack({
      prefix: `${redis.prefix}-var-${tag}`,
      l1: false,
      bus: false,
      // 1 MB values 8 at a time on a shared 2-core machine can pass the default 250 ms: a slow
      // write is measured, not given up on.
      redis: { url: redis.url, failOnUnavailable: true, commandTimeout: '2s' },
      ...options,
    });
  const clear = make('c', { compression: false, encryption: { keys, current: 'k1' } });
  const eager = make('e', {
    compression: { threshold: EAGER_THRESHOLD },
    encryption: { keys, current: 'k1', compress: true },
  });
  const defaults = make('d', { encryption: { keys, current: 'k1', compress: true } });
  const all = [clear, eager, defaults];
  const errors: string[] = [];
  for (const stack of all)
    stack.events.on('l2:error', ({ operation, error }) => errors.push(`${operation}: ${error.message}`));
  return {
    clear,
    eager,
    defaults,
    async connect() {
      await Promise.all(all.map((s) => s.connect()));
      if (all.some((s) => engineOf(s).l1 !== undefined)) throw new Error('the stacks must have no L1');
    },
    async close() {
      await Promise.allSettled(all.map((s) => s.close()));
    },
    errors: () => errors,
  };
}

/** Plain (`compression: false`), compressed (threshold 64) and encrypted (not compressed). */
export function measuredForms(stacks: AtRestStacks): readonly AtRestForm[] {
  return [
    { name: 'plain (compression: false)', stack: stacks.clear, sensitive: false, expect: () => 'plain' },
    {
      name: `compressed (threshold ${EAGER_THRESHOLD})`,
      stack: stacks.eager,
      sensitive: false,
      expect: () => 'compressed',
    },
    { name: 'encrypted (sensitive)', stack: stacks.clear, sensitive: true, expect: () => 'encrypted' },
  ];
}

/** The four forms of the byte counts, compressed ones with the default threshold. */
export function storedForms(stacks: AtRestStacks): readonly AtRestForm[] {
  const [plain, , encrypted] = measuredForms(stacks) as [AtRestForm, AtRestForm, AtRestForm];
  return [
    plain,
    {
      name: 'compressed (default)',
      stack: stacks.defaults,
      sensitive: false,
      expect: (n) => (n >= DEFAULT_THRESHOLD ? 'compressed' : 'plain'),
    },
    encrypted,
    {
      name: 'encrypted + compressed (encryption.compress)',
      stack: stacks.defaults,
      sensitive: true,
      expect: () => 'encrypted',
    },
  ];
}

/** The full Redis key of `key`'s entry on `stack`. */
export function entryKeyOf(stack: CacheStack, key: string): string {
  return engineOf(stack).keys.entry(key);
}

/**
 * What `key`'s entry holds: its header is a first line `S1|<created>|<fresh>|<stale>|<tag count>`
 * (then `|<load ms>` when known), then one line per tag (the namespace's, at least); the value's
 * first character names its form.
 */
export async function storedKind(raw: Redis, entryKey: string): Promise<StoredKind> {
  const start = await raw.getrange(entryKey, 0, 1023);
  const lines = start.split('\n');
  const tags = Number(lines[0]?.split('|')[4]);
  if (!start.startsWith('S1|') || !Number.isInteger(tags) || lines.length < tags + 2)
    throw new Error(`${entryKey}: not an entry of the known format`);
  const kind = lines[tags + 1]?.[0];
  return kind === 'Z' ? 'compressed' : kind === 'E' ? 'encrypted' : 'plain';
}

/**
 * Writes `value` under `key` in `form`, checks the entry holds that form and reads back equal, and
 * returns the entry's size in Redis (`STRLEN`: header and stored value, in bytes).
 */
export async function storeChecked(
  raw: Redis,
  form: AtRestForm,
  key: string,
  value: unknown,
  equal: (read: unknown) => boolean,
): Promise<number> {
  await form.stack.set(key, value, { ttl: '10m', sensitive: form.sensitive });
  const entryKey = entryKeyOf(form.stack, key);
  const kind = await storedKind(raw, entryKey);
  const expected = form.expect(JSON.stringify(value).length);
  if (kind !== expected) throw new Error(`${form.name}: stored ${kind}, expected ${expected}`);
  if (!equal(await form.stack.get(key, { sensitive: form.sensitive })))
    throw new Error(`${form.name}: the value read back differs`);
  return raw.strlen(entryKey);
}
