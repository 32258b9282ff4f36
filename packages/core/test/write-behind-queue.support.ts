import { decodeValue, encodeValue } from '../src/codec/value.codec.js';
import { StrataEvents, type StrataEventMap, type StrataEventName } from '../src/events/strata-events.js';
import type { CacheWriter, DeleteRecord, WriteRecord } from '../src/strategies/cache-writer.interface.js';
import { HybridClock } from '../src/strategies/hybrid-clock.js';
import type { WriteBehindQueueOptions } from '../src/write-behind/write-behind.options.js';
import { WriteBehindQueue } from '../src/write-behind/write-behind.queue.js';
import { sleep } from './support.js';

/** The rows a queue under test writes. */
export interface Item {
  readonly n: number;
}

/** A writer keeping rows in a map, versioned like the writer contract asks; records its calls. */
export class MapWriter implements CacheWriter<Item> {
  readonly rows = new Map<string, { n: number | undefined; version: number }>();
  readonly calls: { kind: 'write' | 'delete'; keys: string[] }[] = [];
  /** Runs before each call: throw to fail it, or wait to hold it open. */
  before: ((keys: readonly string[]) => Promise<void>) | undefined;

  async writeMany(records: readonly WriteRecord<Item>[]): Promise<void> {
    await this.enter('write', records);
    for (const { key, version, value } of records) this.apply(key, version, value.n);
  }

  async deleteMany(records: readonly DeleteRecord[]): Promise<void> {
    await this.enter('delete', records);
    for (const { key, version } of records) this.apply(key, version, undefined);
  }

  private async enter(kind: 'write' | 'delete', records: readonly { key: string }[]): Promise<void> {
    const keys = records.map((record) => record.key);
    this.calls.push({ kind, keys });
    await this.before?.(keys);
  }

  private apply(key: string, version: number, n: number | undefined): void {
    const row = this.rows.get(key);
    if (row === undefined || row.version < version) this.rows.set(key, { n, version });
  }
}

const open: WriteBehindQueue<Item>[] = [];

/** Closes every queue {@link setup} made since the last call (a spec runs it after each test). */
export async function closeQueues(): Promise<void> {
  await Promise.all(open.splice(0).map((queue) => queue.close()));
}

/**
 * A queue over a {@link MapWriter} with test-sized options (a long interval: tests flush
 * explicitly), the events it emits (`on`), the keys it evicted, and `put` to journal a set.
 */
export function setup(options: Partial<WriteBehindQueueOptions> = {}) {
  const writer = new MapWriter();
  const events = new StrataEvents();
  const evicted: string[] = [];
  const queue = new WriteBehindQueue<Item>(
    writer,
    new HybridClock(),
    events,
    {
      cache: 'items',
      flushIntervalMs: 60_000,
      batchSize: 100,
      maxAttempts: 3,
      maxQueueLength: 1_000,
      onFull: 'wait',
      retryBaseMs: 10,
      drainTimeoutMs: 1_000,
      ...options,
    },
    async (key) => void evicted.push(key),
  );
  open.push(queue);
  const on = <E extends StrataEventName>(event: E): StrataEventMap[E][] => {
    const seen: StrataEventMap[E][] = [];
    events.on(event, (payload) => seen.push(payload));
    return seen;
  };
  const put = (key: string, n: number) => queue.enqueue(key, { kind: 'set', value: encodeValue({ n }) });
  return { queue, writer, on, evicted, put };
}

/** The value of a key's latest unflushed set, decoded (a fresh copy); the record otherwise. */
export function latestValue(queue: WriteBehindQueue<{ n: number }>, key: string): unknown {
  const record = queue.latest(key);
  return record?.kind === 'set' ? decodeValue(record.value) : record;
}

/** Resolves once `predicate` holds (polling). */
export async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(1);
  }
}

/** A promise the writer waits on until `open()`. */
export function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
