import { decodeValue } from '../codec/value.codec.js';
import { StrataError } from '../errors/strata.error.js';
import { type CacheStack, engineOf } from '../stack/cache-stack.js';
import { CacheAsideCache } from '../strategies/cache-aside.strategy.js';
import { CacheTransactions } from '../strategies/cache-transactions.js';
import type { NamedCacheConfig } from '../strategies/named-cache.config.js';
import { PerKeyOrder } from '../strategies/per-key-order.js';
import { assertDelta } from './journal-record.js';
import type { WriteBehindStrategyCache } from './write-behind.config.js';
import type { DeadLetter, RedriveOutcome } from './dead-letter.js';
import { assertLimit } from './dead-letter.js';
import type { WriteBehindQueue } from './write-behind.queue.js';

/**
 * A named cache on the write-behind strategy with the in-memory journal (see
 * `WriteBehindStrategy`): the cache is written and the write queued in this process.
 */
export class WriteBehindCache<T> extends CacheAsideCache<T> implements WriteBehindStrategyCache<T> {
  readonly journal = 'memory' as const;
  private readonly order = new PerKeyOrder();

  constructor(
    stack: CacheStack,
    config: NamedCacheConfig<T>,
    private readonly queue: WriteBehindQueue<T>,
  ) {
    super(stack, config, new CacheTransactions());
  }

  get deadLetters(): readonly DeadLetter[] {
    return this.queue.deadLettered;
  }

  deadLetterCount(): Promise<number> {
    return Promise.resolve(this.queue.deadLetterCount);
  }

  // async: a bad limit rejects, as it does on the Redis journal, rather than throwing at the call.
  // eslint-disable-next-line @typescript-eslint/require-await
  async listDeadLetters(limit = 100): Promise<DeadLetter[]> {
    assertLimit(limit);
    return this.queue.deadLettered.slice(0, limit);
  }

  async redriveDeadLetter(id: string): Promise<RedriveOutcome> {
    const { outcome, key } = this.queue.redrive(id);
    // A cached count lacks the re-driven delta; a cached value may be newer or older than the
    // re-driven one: reads go back to the journal, then the database.
    if (outcome === 'requeued') await this.stack.delete(key, { namespace: this.name });
    return outcome;
  }

  purgeDeadLetters(id?: string): Promise<number> {
    return Promise.resolve(this.queue.purge(id));
  }

  pending(): Promise<number> {
    return Promise.resolve(this.queue.length);
  }

  oldestPendingAge(): Promise<number | undefined> {
    const since = this.queue.oldestPendingAt;
    return Promise.resolve(since === undefined ? undefined : Math.max(0, Date.now() - since));
  }

  override async get(key: string): Promise<T | undefined> {
    const pending = this.queue.latest(key);
    if (pending === undefined) return super.get(key);
    if (pending.kind === 'set') return decodeValue(pending.value) as T;
    if (pending.kind === 'delete') return undefined;
    // Unflushed deltas: a cached count includes them; else the database must have them first.
    const cached = await this.stack.get<T>(key, { namespace: this.name });
    if (cached !== undefined) return cached;
    await this.queue.flush();
    return super.get(key);
  }

  /** Journals the write (waiting or rejecting when full), then sets the cache. */
  override async set(key: string, value: T): Promise<void> {
    // Encoded once, and now: the caller may change `value` as soon as `set` returns, before the
    // key's earlier writes are done. The journal's snapshot is also what the cache stores.
    const encoded = engineOf(this.stack).encode(key, value, {
      namespace: this.name,
      target: `${this.name} cache`,
    });
    // In call order per key, so the cache ends with the value the journal ends with.
    return this.order.run(key, async () => {
      await this.queue.enqueue(key, { kind: 'set', value: encoded });
      await engineOf(this.stack).setEncoded(key, value, encoded, {
        namespace: this.name,
        ttl: this.config.ttl,
      });
    });
  }

  /** Journals the delete, then evicts. */
  override delete(key: string): Promise<void> {
    return this.order.run(key, async () => {
      await this.queue.enqueue(key, { kind: 'delete' });
      await this.stack.delete(key, { namespace: this.name });
    });
  }

  async increment(key: string, delta: number): Promise<number | undefined> {
    assertDelta(delta);
    let count: number | undefined;
    await this.order.run(key, async () => {
      const cached = await this.stack.get(key, { namespace: this.name });
      if (cached !== undefined && !Number.isSafeInteger(cached)) {
        throw new StrataError(
          'E_NOT_A_COUNTER',
          `Cannot increment "${key}" in cache "${this.name}": it holds a non-integer`,
        );
      }
      await this.queue.enqueue(key, { kind: 'increment', delta });
      if (typeof cached === 'number') {
        count = cached + delta;
        await this.stack.set(key, count, { namespace: this.name, ttl: this.config.ttl });
      } else {
        // No cached count: keep loads that began before this delta from caching a count without it.
        await this.stack.delete(key, { namespace: this.name });
      }
    });
    if (count !== undefined || this.config.loader === undefined) return count;
    const loaded = await this.get(key);
    return typeof loaded === 'number' ? loaded : undefined;
  }

  flush(): Promise<void> {
    return this.queue.flush();
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
