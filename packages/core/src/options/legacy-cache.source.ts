/** An entry found in a legacy cache: its value and how long the legacy cache still keeps it. */
export interface LegacyEntry {
  readonly value: unknown;
  /** Remaining life in ms; `undefined` when the legacy entry never expires. */
  readonly remainingMs: number | undefined;
}

/**
 * A cache Strata migrates from: on an L2 miss of a stack configured with `migrateFrom`, the entry
 * this source returns is adopted (stored as a Strata entry, for at most its remaining life) instead
 * of running the loader. A source never throws for a bad entry: wrong type, garbage or a failed
 * read is `undefined` (a miss), since the legacy cache is untrusted input.
 *
 * Build one with {@link legacyCacheManagerSource} for cache-manager 5 + `cache-manager-ioredis-yet`.
 */
export interface LegacyCacheSource {
  /** Reads the legacy entry of a Strata key in `namespace`; `undefined` when there is none to adopt. */
  read(key: string, namespace: string): Promise<LegacyEntry | undefined>;
}

/** Whether `value` has the shape of a {@link LegacyCacheSource} (checked at boot). */
export function isLegacyCacheSource(value: unknown): value is LegacyCacheSource {
  return (
    typeof value === 'object' && value !== null && typeof (value as { read?: unknown }).read === 'function'
  );
}
