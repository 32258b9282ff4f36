import type { Tiers } from '../tiers/tiers.js';
import type { WriteOptions } from '../options/call-options.js';
import type { L2WriteToken } from './entry-writer.js';

const NO_TAGS: readonly string[] = [];

/**
 * What a set or delete did in Redis, per key: entry versions at most this are outdated (a set of
 * version `v` gives `v - 1`, a delete its marker's time); `undefined` for all when not known.
 */
export type ChangedUpTo = readonly (number | undefined)[] | undefined;

/**
 * The end of every set and delete of a `CacheStack`: records when each key changed (its key
 * dependency time, docs/dependencies.md), so entries computed from the old value are dropped, and
 * announces the change on the bus.
 */
export class KeyChanges {
  constructor(private readonly tiers: Tiers) {}

  /**
   * After a set or delete of `full` whose Redis command was started as `write`. The dependency
   * time must land after the write (a reader in between would compute from the old value under a
   * later ticket): on one server it is pipelined right behind it (Redis runs a connection's
   * commands in order); on a Cluster, the keys live on other nodes, so it waits for the write.
   * `issued`: whether the write's command was sent when `write` was created (a write that first
   * extends its own dependencies' times sends it later, so it is waited for too).
   */
  async after(
    full: readonly string[],
    write: Promise<ChangedUpTo> | undefined,
    issued = true,
  ): Promise<void> {
    const { keys, l1, l2, guard, bus } = this.tiers;
    if (!this.tiers.options.dependencies) {
      await bus?.announce(full, (await write) ?? [], NO_TAGS);
      return;
    }
    const dependencies = full.map((key) => keys.keyDependency(key));
    let upTo: ChangedUpTo;
    if (l2?.ordered === true && issued) [upTo] = await Promise.all([write, guard?.invalidate(dependencies)]);
    else {
      upTo = await write;
      await guard?.invalidate(dependencies);
    }
    l1?.invalidate(dependencies);
    await bus?.announce(full, upTo ?? [], dependencies);
  }
}

/** How a set lands in Redis: under its ticket, if unchanged since a token, or unconditionally. */
export function l2WriteToken(options: WriteOptions): L2WriteToken {
  const ticket = options.ticket;
  if (ticket !== undefined) return ticket.l2 === undefined ? undefined : { since: ticket.l2 };
  const since = options.ifUnchangedSince;
  return since === undefined ? 'unconditional' : { since };
}
