import { isShortenedKey } from '../keys/key-builder.js';
import type { LegacyCacheSource } from '../options/legacy-cache.source.js';

/**
 * What a loader wrapped by {@link adoptingLoader} returns for an adopted legacy entry: the value,
 * and the most the Strata entry may live (the legacy entry's remaining life).
 */
export class AdoptedValue {
  constructor(
    readonly value: unknown,
    /** `undefined`: the legacy entry never expires, so the call's TTL alone applies. */
    readonly remainingMs: number | undefined,
  ) {}
}

/**
 * The loader of a miss on a stack with `migrateFrom`: the legacy entry of the key when there is
 * one (as an {@link AdoptedValue}), else the real loader. It runs where the loader would, so the
 * adoption is stored with the miss's write tokens (an invalidation meanwhile keeps it out), under
 * the key's lease (one instance reads the legacy entry), and within the loader timeouts.
 */
export function adoptingLoader(
  source: LegacyCacheSource,
  prefix: string,
  full: string,
  loader: () => unknown,
): () => Promise<unknown> {
  return async () => {
    const parts = entryKeyParts(prefix, full);
    const legacy = parts === undefined ? undefined : await readQuietly(source, parts.key, parts.namespace);
    if (legacy === undefined || legacy.value === undefined || !isRemainingLife(legacy.remainingMs))
      return loader();
    return new AdoptedValue(
      legacy.value,
      legacy.remainingMs === undefined ? undefined : Math.ceil(legacy.remainingMs),
    );
  };
}

function isRemainingLife(ms: number | undefined): boolean {
  return ms === undefined || (typeof ms === 'number' && Number.isFinite(ms) && ms >= 1);
}

/** A legacy read that fails in any way is a miss: the legacy cache must never fail a call. */
async function readQuietly(
  source: LegacyCacheSource,
  key: string,
  namespace: string,
): ReturnType<LegacyCacheSource['read']> {
  try {
    return await source.read(key, namespace);
  } catch {
    return undefined;
  }
}

/**
 * The key and namespace an entry key was built from (`<prefix>:<namespace>:<key>`; neither prefix
 * nor namespace holds a `:`), or `undefined` for a shortened key, whose original is gone.
 */
export function entryKeyParts(prefix: string, full: string): { key: string; namespace: string } | undefined {
  const head = `${prefix}:`;
  if (!full.startsWith(head)) return undefined;
  const colon = full.indexOf(':', head.length);
  if (colon <= head.length) return undefined;
  const key = full.slice(colon + 1);
  if (key.length === 0 || isShortenedKey(key)) return undefined;
  return { key, namespace: full.slice(head.length, colon) };
}
