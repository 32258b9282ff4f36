import type { RedisJournal } from './redis-journal.js';

/** Most fallback writes remembered (the oldest is forgotten first). */
const MAX_SUPERSEDED = 100_000;

/**
 * The keys a Redis write-behind cache wrote through its fallback while Redis was unreachable,
 * with the version of that write. The database holds that write, so journal records of those
 * keys below it are stale: reads skip the journal for them, and once Redis answers again the
 * journal drops them before anyone delivers them.
 */
export class SupersededWrites {
  private readonly versions = new Map<string, number>();

  /** Whether `key` was written through the fallback and its older journal records not yet dropped. */
  has(key: string): boolean {
    return this.versions.has(key);
  }

  /** Remembers a fallback write of `key` at `version`. */
  remember(key: string, version: number): void {
    this.versions.set(key, version);
    if (this.versions.size > MAX_SUPERSEDED) this.versions.delete(this.versions.keys().next().value ?? '');
  }

  /**
   * Drops the journal's records older than each remembered write; a key is forgotten once done,
   * unless a newer fallback write of it came meanwhile.
   */
  async replay(journal: RedisJournal): Promise<void> {
    for (const [key, version] of this.versions) {
      await journal.supersede(key, version);
      if (this.versions.get(key) === version) this.versions.delete(key);
    }
  }
}
