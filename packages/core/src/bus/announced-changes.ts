/**
 * Keys to announce on the bus, each with the entry version up to which copies are outdated
 * (`undefined`: unknown, every copy goes).
 */
export type AnnouncedChanges = Map<string, number | undefined>;

/** Adds a key's change to `changes`: the higher of two versions, unknown if either is. */
export function addChange(changes: AnnouncedChanges, key: string, upTo: number | undefined): void {
  if (!changes.has(key)) {
    changes.set(key, upTo);
    return;
  }
  const known = changes.get(key);
  changes.set(key, known === undefined || upTo === undefined ? undefined : Math.max(known, upTo));
}
