import type { Cluster, Redis } from 'ioredis';
import type { PartitionKeys } from './journal-partition.keys.js';
import { PRUNE_SCRIPT } from './redis-journal.scripts.js';
import { parseEntries, type ParsedEntries } from './stream-entries.js';

/** The consumer group every instance reads the journal through. */
export const JOURNAL_GROUP = 'strata';

interface PruneScript {
  strataJournalPrune(...args: (string | number)[]): Promise<number>;
}

/**
 * The read side of a Redis journal: this instance as one consumer of the group on every
 * partition's stream. Reads create the groups (and streams) when they are missing, so a Redis
 * that restarted without persistence, or was down at boot, is read again without a restart.
 */
export class JournalConsumerGroup {
  private readonly client: (Redis | Cluster) & PruneScript;
  private groupsReady = false;

  constructor(
    client: Redis | Cluster,
    private readonly partitions: readonly PartitionKeys[],
    /** This instance's consumer name in the group. */
    readonly consumer: string,
  ) {
    client.defineCommand('strataJournalPrune', { numberOfKeys: 1, lua: PRUNE_SCRIPT });
    this.client = client as (Redis | Cluster) & PruneScript;
  }

  /** Creates the consumer group of every partition (and the streams), if missing. */
  async ensure(): Promise<void> {
    this.groupsReady = true;
    for (const p of this.partitions) {
      try {
        await this.client.xgroup('CREATE', p.stream, JOURNAL_GROUP, '0', 'MKSTREAM');
      } catch (error) {
        if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) {
          this.groupsReady = false;
          throw error;
        }
      }
    }
  }

  /** Records not yet delivered to any consumer, read for this one (non-blocking). */
  readNew(p: PartitionKeys, count: number): Promise<ParsedEntries> {
    return this.read(p, count, '>');
  }

  /**
   * Records already delivered to this consumer and not acknowledged (its pending list), e.g.
   * those of a read whose reply was lost to a command timeout.
   */
  readOwn(p: PartitionKeys, count: number): Promise<ParsedEntries> {
    return this.read(p, count, '0');
  }

  /** Records another consumer left unacknowledged for `minIdleMs`, claimed for this one. */
  async claim(p: PartitionKeys, minIdleMs: number, count: number): Promise<ParsedEntries> {
    const found: ParsedEntries = { records: [], poison: [], gone: [] };
    let cursor = '0-0';
    do {
      const start = cursor;
      const reply: unknown = await this.withGroup(() =>
        this.client.xautoclaim(p.stream, JOURNAL_GROUP, this.consumer, minIdleMs, start, 'COUNT', count),
      );
      if (!Array.isArray(reply)) break;
      cursor = typeof reply[0] === 'string' ? reply[0] : '0-0';
      const parsed = parseEntries(reply[1]);
      found.records.push(...parsed.records);
      found.poison.push(...parsed.poison);
      found.gone.push(...parsed.gone);
    } while (cursor !== '0-0' && found.records.length + found.poison.length < count);
    return found;
  }

  /** Removes other consumers idle for `minIdleMs` that hold no records; resolves how many. */
  prune(p: PartitionKeys, minIdleMs: number): Promise<number> {
    return this.withGroup(() =>
      this.client.strataJournalPrune(p.stream, JOURNAL_GROUP, minIdleMs, this.consumer),
    );
  }

  /** `XREADGROUP` from `>` (undelivered records) or `0` (this consumer's pending list). */
  private async read(p: PartitionKeys, count: number, from: '>' | '0'): Promise<ParsedEntries> {
    const reply: unknown = await this.withGroup(() =>
      this.client.xreadgroup(
        'GROUP',
        JOURNAL_GROUP,
        this.consumer,
        'COUNT',
        count,
        'STREAMS',
        p.stream,
        from,
      ),
    );
    const stream: unknown = Array.isArray(reply) ? reply[0] : undefined;
    return parseEntries(Array.isArray(stream) ? stream[1] : undefined);
  }

  /**
   * Runs a group command, creating the groups first if needed, and again once if Redis lost them
   * (a restart without persistence).
   */
  private async withGroup<R>(command: () => Promise<R>): Promise<R> {
    if (!this.groupsReady) await this.ensure();
    try {
      return await command();
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOGROUP'))) throw error;
      await this.ensure();
      return command();
    }
  }
}
