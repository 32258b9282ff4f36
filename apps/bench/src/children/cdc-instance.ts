// Scenario 17's child: an instance with a CacheStack on the shared Redis (defaults: L1 and the
// invalidation bus on). The writer also runs the fleet's CdcConsumer and a plain pg client; it
// commits UPDATEs (the consumer turns each into a tag invalidation) or calls invalidateTags
// itself. A reader records, on its own clock, when each watched entry leaves its L1.
import { CdcConsumer } from '@strata/cdc';
import { CacheStack } from '@strata/core';
import { CACHE_MISS, engineOf } from '@strata/core/internal';
import pg from 'pg';
import { makeValue } from '../value.js';
import { wallClockMs } from './protocol.js';
import { serve } from './serve.js';

/** How the writer invalidates a product's tag: a committed UPDATE of its price (CDC) or `invalidateTags`. */
export type CdcWriteOp = 'cdc' | 'app';

/** The entry a reader holds for one product, and the tag the invalidation drops it by. */
export const priceKey = (productId: number): string => `price:${productId}`;
export const productTag = (productId: number): string => `product:${productId}`;

/** One invalidation as the writer timed it (wall clock, ms). */
export interface TimedInvalidation {
  readonly productId: number;
  /** Just before the UPDATE was sent, or before the `invalidateTags` call. */
  readonly start: number;
  /** When the query resolved (COMMIT returned), or the call did. */
  readonly end: number;
  /** CDC: when the consumer's mapping saw the change (the change had reached the writer). */
  readonly received?: number;
  /** CDC: when the consumer's `cdc:applied` came (Redis stored it, PUBLISH answered, position acknowledged). */
  readonly applied?: number;
}

export type CdcCommands = {
  /**
   * Connects the stack (prefix shared by all instances); the writer (with `database`) also
   * connects a pg client and starts a consumer on `slot`, and waits until it streams.
   */
  init(redisUrl: string, prefix: string, database?: string, slot?: string): void;
  /** Writer: stores each product's entry, tagged with its product tag (the set also announces it). */
  fill(productIds: readonly number[]): void;
  /** Reader: reads every entry from Redis into L1 and watches it; returns how many are in L1. */
  prime(productIds: readonly number[]): number;
  /** Writer: one invalidation per product, sequential, each awaited (CDC: until applied), `gapMs` apart. */
  write(op: CdcWriteOp, productIds: readonly number[], gapMs: number): TimedInvalidation[];
  /** Reader: when each watched product's entry was seen dropped, then stops watching. */
  collect(): [number, number][];
  /** This process's wall clock, for the parent's offset estimate. */
  clock(): number;
};

/** Longest wait for the consumer to apply one commit before the run counts as failed. */
const APPLY_TIMEOUT_MS = 10_000;

let stack: CacheStack | undefined;
let consumer: CdcConsumer | undefined;
let client: pg.Client | undefined;
let l2Errors = 0;
/** Full tag key -> product id, for the entries watched now. */
const watched = new Map<string, number>();
const seen = new Map<number, number>();
/** Product id -> when the consumer's mapping received its change. */
const received = new Map<number, number>();
let onApplied: (() => void) | undefined;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('not initialized: call init first');
  return value;
}

await serve<CdcCommands>(
  {
    async init(redisUrl, prefix, database, slot) {
      const created = new CacheStack({ prefix, redis: { url: redisUrl, failOnUnavailable: true } });
      stack = created;
      created.events.on('l2:error', () => l2Errors++);
      await created.connect();
      const engine = engineOf(created);
      const l1 = engine.l1;
      if (l1 === undefined || engine.bus?.connected !== true)
        throw new Error('expected L1 and a connected bus');
      // The moment the bus handler records a remote tag invalidation in L1: wrap the layer's
      // invalidate (the bus's way into L1 for tags) and check, right after it, that peek now misses.
      const invalidate = l1.invalidate.bind(l1);
      l1.invalidate = (tagKeys: readonly string[]): void => {
        invalidate(tagKeys);
        const at = wallClockMs();
        for (const tagKey of tagKeys) {
          const id = watched.get(tagKey);
          if (
            id !== undefined &&
            !seen.has(id) &&
            engine.peekEntry(engine.keys.entry(priceKey(id))) === CACHE_MISS
          )
            seen.set(id, at);
        }
      };
      if (database === undefined || slot === undefined) return;
      client = new pg.Client({ connectionString: database });
      await client.connect();
      const cdc = new CdcConsumer(created, {
        connection: database,
        slot,
        publication: slot,
        tables: {
          prices: (change) => {
            if (change.kind !== 'update') return undefined;
            const id = Number(change.new?.['product_id']);
            if (!received.has(id)) received.set(id, wallClockMs());
            return { tags: [productTag(id)] };
          },
        },
      });
      consumer = cdc;
      cdc.events.on('cdc:applied', () => onApplied?.());
      await cdc.start();
      await waitForStreaming(cdc);
    },
    async fill(productIds) {
      const s = must(stack);
      const value = makeValue();
      await Promise.all(
        productIds.map((id) => s.set(priceKey(id), value, { ttl: '10m', tags: [productTag(id)] })),
      );
    },
    async prime(productIds) {
      const s = must(stack);
      const engine = engineOf(s);
      let inL1 = 0;
      for (const id of productIds) {
        if ((await s.get(priceKey(id))) === undefined)
          throw new Error(`prime: "${priceKey(id)}" is not in Redis`);
        if (s.peek(priceKey(id)) !== CACHE_MISS) inL1++;
        watched.set(engine.keys.tag(productTag(id)), id);
      }
      return inL1;
    },
    async write(op, productIds, gapMs) {
      const s = must(stack);
      const timed: TimedInvalidation[] = [];
      const errorsBefore = l2Errors;
      for (const id of productIds) {
        if (op === 'app') {
          const start = wallClockMs();
          await s.invalidateTags([productTag(id)]);
          timed.push({ productId: id, start, end: wallClockMs() });
        } else {
          timed.push(await commitUpdate(id));
        }
        await sleep(gapMs);
      }
      if (l2Errors > errorsBefore) throw new Error(`${l2Errors - errorsBefore} L2 errors while writing`);
      return timed;
    },
    collect() {
      const result = [...seen];
      seen.clear();
      watched.clear();
      return result;
    },
    clock: () => wallClockMs(),
  },
  async () => {
    await consumer?.stop();
    await stack?.close();
    await client?.end();
  },
);

/**
 * Commits an UPDATE of the product's price (autocommit: the query resolves once COMMIT returned)
 * and waits until the consumer applied it, so that each commit travels alone.
 */
async function commitUpdate(id: number): Promise<TimedInvalidation> {
  const pgClient = must(client);
  let timer: NodeJS.Timeout | undefined;
  const applied = new Promise<number>((resolve, reject) => {
    onApplied = () => resolve(wallClockMs());
    timer = setTimeout(
      () =>
        reject(
          new Error(`the consumer did not apply the UPDATE of product ${id} within ${APPLY_TIMEOUT_MS} ms`),
        ),
      APPLY_TIMEOUT_MS,
    );
  });
  try {
    const start = wallClockMs();
    const result = await pgClient.query('UPDATE prices SET amount_cents = $2 WHERE product_id = $1', [
      id,
      1 + Math.floor(Math.random() * 100_000),
    ]);
    const end = wallClockMs();
    if (result.rowCount !== 1) throw new Error(`UPDATE of product ${id} changed ${result.rowCount} rows`);
    const at = await applied;
    const seenAt = received.get(id);
    received.delete(id);
    return { productId: id, start, end, applied: at, ...(seenAt === undefined ? {} : { received: seenAt }) };
  } finally {
    clearTimeout(timer);
    onApplied = undefined;
  }
}

/** Resolves once the consumer holds the lease and reads the slot; rejects if it fails first. */
async function waitForStreaming(cdc: CdcConsumer): Promise<void> {
  const deadline = Date.now() + APPLY_TIMEOUT_MS;
  while (cdc.status().state !== 'streaming') {
    const { state, reason } = cdc.status();
    if (state === 'degraded' || state === 'unavailable' || state === 'stopped' || Date.now() > deadline)
      throw new Error(`the consumer is ${state}${reason === undefined ? '' : `: ${reason}`}`);
    await sleep(10);
  }
}
