import type { Cluster, Redis } from 'ioredis';
import { DeadLetterNotRedrivableError } from '../errors/dead-letter-not-redrivable.error.js';
import { UnknownDeadLetterError } from '../errors/unknown-dead-letter.error.js';
import { deadLetterOf, type DeadLetter, type RedriveOutcome } from './dead-letter.js';
import type { JournalRecord } from './journal-record.js';
import { REDRIVE_SCRIPT } from './redis-dead-letter.scripts.js';
import type { PartitionKeys } from './journal-partition.keys.js';

interface RedriveScript {
  strataJournalRedrive(...args: string[]): Promise<string>;
}

/** A stream id as Redis issues them (`ms-seq`). */
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/**
 * The dead letters of a Redis journal: its partitions' dead-letter streams, shared by every
 * instance on the journal, so every instance lists and counts the same ones. A dead letter's id
 * is `<partition>:<stream id>`.
 */
export class RedisDeadLetters {
  private readonly client: (Redis | Cluster) & RedriveScript;

  constructor(
    client: Redis | Cluster,
    private readonly partitions: readonly PartitionKeys[],
    private readonly cache: string,
    /** Parses a record of a key and opens its value (`RedisJournal.parse`). */
    private readonly parseRecord: (key: string, raw: string) => JournalRecord | undefined,
  ) {
    client.defineCommand('strataJournalRedrive', { numberOfKeys: 5, lua: REDRIVE_SCRIPT });
    this.client = client as (Redis | Cluster) & RedriveScript;
  }

  /** Unresolved dead letters over all partitions. */
  async count(): Promise<number> {
    let total = 0;
    for (const p of this.partitions) total += await this.client.xlen(p.dead);
    return total;
  }

  /** The oldest `limit` unresolved dead letters, oldest first. */
  async list(limit: number): Promise<DeadLetter[]> {
    const all: DeadLetter[] = [];
    for (const p of this.partitions) {
      const entries: unknown = await this.client.xrange(p.dead, '-', '+', 'COUNT', limit);
      if (!Array.isArray(entries)) continue;
      for (const entry of entries as unknown[]) {
        const letter = this.parse(p.index, entry);
        if (letter !== undefined) all.push(letter);
      }
    }
    return all.sort((a, b) => a.at - b.at).slice(0, limit);
  }

  /** Journals a dead letter's write again (see `REDRIVE_SCRIPT`); throws when it cannot. */
  async redrive(id: string): Promise<{ outcome: RedriveOutcome; key: string }> {
    const [p, streamId] = this.locate(id);
    const found = await this.client.xrange(p.dead, streamId, streamId);
    const letter = found[0] === undefined ? undefined : this.parse(p.index, found[0]);
    const reply = await this.client.strataJournalRedrive(
      p.dead,
      p.stream,
      p.pending,
      p.inflight,
      p.clock,
      streamId,
    );
    if (reply === 'GONE' || letter === undefined) throw new UnknownDeadLetterError(this.cache, id);
    if (reply === 'UNREADABLE')
      throw new DeadLetterNotRedrivableError(
        this.cache,
        id,
        'the entry was unreadable: there is no write to deliver',
      );
    if (reply.startsWith('CONFLICT '))
      throw new DeadLetterNotRedrivableError(this.cache, id, reply.slice('CONFLICT '.length));
    return { outcome: reply === 'SUPERSEDED' ? 'superseded' : 'requeued', key: letter.key };
  }

  /** Removes one dead letter (throws when unknown), or all of them; resolves how many went. */
  async purge(id?: string): Promise<number> {
    if (id !== undefined) {
      const [p, streamId] = this.locate(id);
      if ((await this.client.xdel(p.dead, streamId)) === 0) throw new UnknownDeadLetterError(this.cache, id);
      return 1;
    }
    let removed = 0;
    // XTRIM to zero, not DEL: the dead letters appended meanwhile by another instance stay
    // counted by the one atomic command that sees them.
    for (const p of this.partitions) removed += await this.client.xtrim(p.dead, 'MAXLEN', 0);
    return removed;
  }

  /** The partition and stream id of a dead-letter id; throws `UnknownDeadLetterError` when malformed. */
  private locate(id: string): [PartitionKeys, string] {
    const colon = id.indexOf(':');
    const index = colon > 0 && /^\d{1,6}$/.test(id.slice(0, colon)) ? Number(id.slice(0, colon)) : -1;
    const streamId = id.slice(colon + 1);
    const p = this.partitions[index];
    if (p === undefined || !STREAM_ID.test(streamId)) throw new UnknownDeadLetterError(this.cache, id);
    return [p, streamId];
  }

  /** A dead-letter stream entry (untrusted: any shape) as a {@link DeadLetter}. */
  private parse(partition: number, entry: unknown): DeadLetter | undefined {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Array.isArray(entry[1])) return undefined;
    const streamId = entry[0];
    const fields = new Map<string, string>();
    const list: unknown[] = entry[1];
    for (let i = 0; i + 1 < list.length; i += 2) {
      const name = list[i];
      const value = list[i + 1];
      if (typeof name === 'string' && typeof value === 'string') fields.set(name, value);
    }
    const id = `${partition}:${streamId}`;
    const at = Number(streamId.slice(0, streamId.indexOf('-')));
    const key = fields.get('k') ?? '';
    const error = fields.get('e') ?? '';
    const r = fields.get('r') ?? '';
    const record = this.parseRecord(key, `${fields.get('v') ?? ''}|${r}`);
    if (record === undefined)
      return {
        id,
        key,
        version: 0,
        kind: 'unreadable',
        value: undefined,
        raw: r.replace(/^\?\|/, ''),
        error,
        at,
      };
    return deadLetterOf(id, key, record, error, at);
  }
}
