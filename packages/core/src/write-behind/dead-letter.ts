import { decodeValue } from '../codec/value.codec.js';
import type { StrataEvents } from '../events/strata-events.js';
import type { JournalRecord } from './journal-record.js';

/**
 * A write set aside: it failed `maxAttempts` times, or it was unreadable (a journal entry that is
 * not a record this version knows). It stays until it is re-driven or purged.
 */
export interface DeadLetter {
  /** Names it for `redriveDeadLetter` and `purgeDeadLetters` (opaque). */
  readonly id: string;
  /** The key written ('' when an unreadable entry named none). */
  readonly key: string;
  /** The write's version (0 when unreadable). */
  readonly version: number;
  /** The write's kind; `'unreadable'`: there is no write to deliver, only to purge. */
  readonly kind: 'set' | 'delete' | 'increment' | 'unreadable';
  /** A set's value (decoded), an increment's delta; `undefined` for a delete or an unreadable entry. */
  readonly value: unknown;
  /** An unreadable entry's fields, abridged; `undefined` otherwise. */
  readonly raw?: string;
  /** The last error's message (the writer's, or why the entry was unreadable). */
  readonly error: string;
  /** When it was set aside (epoch ms; by the Redis server's clock with a Redis journal). */
  readonly at: number;
}

/** What a re-drive did: the write is journaled again, or a newer write of its key made it moot. */
export type RedriveOutcome = 'requeued' | 'superseded';

/**
 * The text a dead letter keeps of an error: the innermost cause first (a driver's "violates
 * foreign key constraint"), then the errors that wrapped it (an ORM's "Failed query: …"), so the
 * part that says why survives when the text is abridged.
 */
export function errorText(error: Error): string {
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    messages.unshift(current.message);
    current = current.cause;
  }
  return messages.join(' <- ');
}

/** Throws `RangeError` unless `limit` (of a dead-letter listing) is a positive safe integer. */
export function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit <= 0)
    throw new RangeError(`the dead-letter listing limit must be a positive integer, got ${limit}`);
}

/** Most unresolved dead letters a memory journal keeps (the oldest go first), like the Redis one. */
export const MEMORY_DEAD_LETTER_CAP = 10_000;

/** The dead letter of a record (value decoded when it can be). */
export function deadLetterOf(
  id: string,
  key: string,
  record: JournalRecord,
  error: string,
  at: number,
): DeadLetter {
  if (record.kind === 'delete')
    return { id, key, version: record.version, kind: 'delete', value: undefined, error, at };
  if (record.kind === 'increment')
    return { id, key, version: record.version, kind: 'increment', value: record.delta, error, at };
  let value: unknown;
  try {
    value = decodeValue(record.value);
  } catch {
    return {
      id,
      key,
      version: record.version,
      kind: 'unreadable',
      value: undefined,
      raw: record.value.slice(0, 1_024),
      error,
      at,
    };
  }
  return { id, key, version: record.version, kind: 'set', value, error, at };
}

/** Announces a dead letter (`write-behind:dead-letter`): the library's logs and metrics listen. */
export function announceDeadLetter(
  events: StrataEvents,
  cache: string,
  letter: DeadLetter,
  error: Error,
): void {
  events.emit('write-behind:dead-letter', {
    cache,
    key: letter.key,
    version: letter.version,
    id: letter.id,
    error,
  });
}

/** The unresolved dead letters of a memory journal, with the records a re-drive journals again. */
export class MemoryDeadLetters {
  private readonly letters = new Map<string, { letter: DeadLetter; record: JournalRecord | undefined }>();
  private sequence = 0;

  /** Oldest first. */
  get entries(): DeadLetter[] {
    return [...this.letters.values()].map((entry) => entry.letter);
  }

  get size(): number {
    return this.letters.size;
  }

  /** Sets a record aside; returns its dead letter. */
  add(key: string, record: JournalRecord, error: string): DeadLetter {
    const letter = deadLetterOf(`m${++this.sequence}`, key, record, error, Date.now());
    this.letters.set(letter.id, { letter, record: letter.kind === 'unreadable' ? undefined : record });
    if (this.letters.size > MEMORY_DEAD_LETTER_CAP)
      this.letters.delete(this.letters.keys().next().value ?? '');
    return letter;
  }

  /** An unresolved dead letter and its record (`undefined` when unreadable). */
  get(id: string): { readonly letter: DeadLetter; readonly record: JournalRecord | undefined } | undefined {
    return this.letters.get(id);
  }

  /** Removes one; whether it was there. */
  delete(id: string): boolean {
    return this.letters.delete(id);
  }

  /** Removes all; how many there were. */
  clear(): number {
    const removed = this.letters.size;
    this.letters.clear();
    return removed;
  }
}
