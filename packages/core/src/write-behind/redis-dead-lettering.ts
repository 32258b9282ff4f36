import type { StrataEvents } from '../events/strata-events.js';
import { announceDeadLetter, deadLetterOf, errorText, type DeadLetter } from './dead-letter.js';
import { formatJournalRecord, type JournalRecord } from './journal-record.js';
import type { PartitionKeys } from './journal-partition.keys.js';
import type { RedisJournal } from './redis-journal.js';
import { abridge, MAX_POISON_TEXT, type PoisonEntry } from './stream-entries.js';

/** Most dead letters of this instance remembered in {@link RedisDeadLettering.recent}. */
const RECENT_DEAD_LETTERS = 1_000;

/**
 * How the Redis flusher sets writes aside: each goes to the partition's dead-letter stream with
 * its stream records acknowledged (one script), is announced (`write-behind:dead-letter`, which
 * the Nest module logs), and its cache entry is evicted (the cache may hold a value the database
 * never got). Error texts and unreadable payloads are abridged: a huge entry is not copied whole.
 */
export class RedisDeadLettering {
  private readonly recentLetters: DeadLetter[] = [];

  constructor(
    private readonly journal: RedisJournal,
    private readonly events: StrataEvents,
    private readonly cache: string,
    private readonly evict: (key: string) => Promise<void>,
  ) {}

  /** Dead letters this instance made, most recent 1 000 (re-driven or purged since, or not). */
  get recent(): readonly DeadLetter[] {
    return this.recentLetters;
  }

  /** A stream entry that is not a record: nothing to evict (its key, if any, is unverified). */
  async poison(p: PartitionKeys, entry: PoisonEntry): Promise<void> {
    const error = new Error(`unreadable journal entry: ${entry.reason}`);
    await this.unreadable(p, entry.key, '', entry.raw, error, [entry.id]);
  }

  /** A pending record of `key` that cannot be parsed or decoded, with its stream records `ids`. */
  async unreadableRecord(
    p: PartitionKeys,
    key: string,
    raw: string,
    reason: string,
    ids: string[],
  ): Promise<void> {
    const error = new Error(`unreadable journal record: ${reason}`);
    await this.unreadable(p, key, raw, abridge(raw, MAX_POISON_TEXT), error, ids);
    await this.evict(key);
  }

  /** A record that failed `maxAttempts` times, with its stream records `ids`. */
  async failed(
    p: PartitionKeys,
    key: string,
    record: JournalRecord,
    error: Error,
    ids: string[],
  ): Promise<void> {
    const message = abridge(errorText(error), MAX_POISON_TEXT);
    const id = await this.journal.deadLetter(
      p,
      {
        key,
        version: record.version,
        taken: `${record.version}|${formatJournalRecord(record)}`,
        record: formatJournalRecord(record),
        error: message,
      },
      ids,
    );
    this.remember(deadLetterOf(id, key, record, message, Date.now()), error);
    await this.evict(key);
  }

  private async unreadable(
    p: PartitionKeys,
    key: string,
    taken: string,
    text: string,
    error: Error,
    ids: string[],
  ): Promise<void> {
    const letter = { key, version: 0, taken, record: `?|${text}`, error: error.message };
    const id = await this.journal.deadLetter(p, letter, ids);
    const at = Date.now();
    this.remember(
      { id, key, version: 0, kind: 'unreadable', value: undefined, raw: text, error: error.message, at },
      error,
    );
  }

  private remember(letter: DeadLetter, error: Error): void {
    this.recentLetters.push(letter);
    if (this.recentLetters.length > RECENT_DEAD_LETTERS) this.recentLetters.shift();
    announceDeadLetter(this.events, this.cache, letter, error);
  }
}
