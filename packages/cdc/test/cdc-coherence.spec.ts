import { setImmediate as turn } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { CacheStack } from '@strata/core';
import { engineOf } from '@strata/core/internal';
import { parseLsn } from '../src/replication/lsn.js';
import { eventually, useCdcFixtures } from './cdc-fixtures.support.js';

const PRODUCTS = 10;
const UPDATES = 1_000;
const READ_LOOPS = 2;

/** One read: by whom, of what, when it began, and the version it returned. */
interface Read {
  readonly reader: string;
  readonly product: number;
  readonly startedAt: number;
  readonly version: number;
}

/** A batch the consumer applied: the tags it invalidated, when that resolved, where it ends. */
interface Applied {
  readonly tags: readonly string[];
  readonly resolvedAt: number;
  lsn?: bigint;
}

/**
 * Coherence under load: a writer commits 1,000 random price updates (each sets a product's
 * amount to the update's sequence number) while three instances of one app read the products
 * through `getOrLoad` (loader: the database) in concurrent loops. One instance consumes the slot,
 * one holds L1 and hears of the invalidations on the bus, one reads Redis only.
 *
 * Once an update's invalidation has landed where a read happens, that read must not return an
 * older version: for the consumer's instance, once the confirmed invalidation covering the commit
 * resolved; for the other L1 instance, once the bus message of that batch reached it (messages of one publisher arrive in order, so its n-th drop of a tag is
 * the n-th applied batch naming it). At the end every instance reads every product's last version.
 */
describe('database changes under concurrent reads on three instances', () => {
  const fx = useCdcFixtures();

  it(
    '1,000 random updates: no stale read once an update landed, none lost',
    { timeout: 120_000 },
    async () => {
      const url = await fx.database();
      const rows = Array.from({ length: PRODUCTS }, (_, i) => `(${i + 1}, ${i + 1}, 0)`).join(', ');
      await fx.sql(url, `insert into prices values ${rows}`, 'alter table prices replica identity full');
      const prefix = fx.prefix('coherence');
      const consuming = await fx.stack(prefix);
      const listening = await fx.stack(prefix);
      const redisOnly = await fx.stack(prefix, { l1: false });

      // Applied batches, from the consumer's confirmed invalidations and its `cdc:applied` events.
      const applied: Applied[] = [];
      const writes = engineOf(consuming).writes;
      const confirm = writes.invalidateConfirmed.bind(writes);
      writes.invalidateConfirmed = async (request) => {
        await confirm(request);
        applied.push({ tags: request.tags ?? [], resolvedAt: performance.now() });
      };
      const consumer = fx.consumer(consuming, {
        connection: url,
        slot: 'slot_coherence',
        publication: 'slot_coherence',
        tables: {
          prices: (change) => ({ tags: [`product:${String((change.new ?? change.old)?.['product_id'])}`] }),
        },
      });
      let events = 0;
      consumer.events.on('cdc:applied', ({ lsn }) => {
        const batch = applied[events++];
        if (batch !== undefined) batch.lsn = parseLsn(lsn);
      });
      await consumer.start();
      expect(await eventually(() => consumer.status().state === 'streaming', 10_000)).toBe(true);

      // When the listening instance's L1 dropped each tag, in order.
      const heard = new Map<string, number[]>();
      const l1 = engineOf(listening).l1!;
      const invalidate = l1.invalidate.bind(l1);
      const tagKey = (product: number): string => engineOf(listening).keys.tag(`product:${product}`);
      const tagOfKey = new Map(
        Array.from({ length: PRODUCTS }, (_, i) => [tagKey(i + 1), `product:${i + 1}`]),
      );
      l1.invalidate = (keys) => {
        invalidate(keys);
        const at = performance.now();
        for (const key of keys) {
          const tag = tagOfKey.get(key);
          if (tag !== undefined) heard.set(tag, [...(heard.get(tag) ?? []), at]);
        }
      };

      const pool = new pg.Pool({ connectionString: url, max: 6 });
      const load = async (product: number): Promise<number> =>
        (await pool.query<{ v: number }>('select amount_cents as v from prices where id = $1', [product]))
          .rows[0]!.v;
      const reads: Read[] = [];
      let writing = true;
      const readers: [string, CacheStack][] = [
        ['consuming', consuming],
        ['listening', listening],
        ['redis-only', redisOnly],
      ];
      const readLoop = async (name: string, stack: CacheStack): Promise<void> => {
        while (writing) {
          const product = 1 + Math.floor(Math.random() * PRODUCTS);
          const startedAt = performance.now();
          const version = await stack.getOrLoad(`price:${product}`, () => load(product), {
            tags: [`product:${product}`],
          });
          reads.push({ reader: name, product, startedAt, version });
          // An L1 hit settles in microtasks only: let I/O (the writer, the stream) run.
          await turn();
        }
      };
      const loops = readers.flatMap(([name, stack]) =>
        Array.from({ length: READ_LOOPS }, () => readLoop(name, stack)),
      );

      // The writer: one connection, one update per transaction; `mark` is a WAL position inside
      // the transaction, before its commit record (no other transaction commits meanwhile).
      const commits: { product: number; version: number; mark: bigint }[] = [];
      const writer = new pg.Client({ connectionString: url });
      await writer.connect();
      for (let version = 1; version <= UPDATES; version++) {
        const product = 1 + Math.floor(Math.random() * PRODUCTS);
        await writer.query('begin');
        await writer.query('update prices set amount_cents = $1 where id = $2', [version, product]);
        const mark = (await writer.query<{ lsn: string }>('select pg_current_wal_insert_lsn() as lsn'))
          .rows[0]!.lsn;
        await writer.query('commit');
        commits.push({ product, version, mark: parseLsn(mark) });
      }
      await writer.end();
      const lastMark = commits.at(-1)!.mark;
      expect(await eventually(() => applied.some((batch) => (batch.lsn ?? 0n) > lastMark), 20_000, 20)).toBe(
        true,
      );
      writing = false;
      await Promise.all(loops);

      // The version a read must see at least, given which batches had landed where it read.
      const latestIn = (product: number, upTo: bigint): number => {
        let latest = 0;
        for (const commit of commits)
          if (commit.product === product && commit.mark < upTo) latest = commit.version;
        return latest;
      };
      const landedBefore = (read: Read): bigint => {
        const tag = `product:${read.product}`;
        if (read.reader === 'consuming') {
          let upTo = 0n;
          for (const batch of applied)
            if (batch.resolvedAt < read.startedAt && batch.lsn !== undefined) upTo = batch.lsn;
          return upTo;
        }
        const naming = applied.filter((batch) => batch.tags.includes(tag));
        const times = heard.get(tag) ?? [];
        let upTo = 0n;
        times.forEach((at, n) => {
          const batch = naming[n];
          if (at < read.startedAt && batch?.lsn !== undefined) upTo = batch.lsn;
        });
        return upTo;
      };
      // The Redis-only instance (no L1, so no bus subscription) cannot know of an invalidation
      // while a load of the key that began before it runs, and a read that comes then joins that
      // load (docs/reads.md): its reads are checked for losses only.
      const checked = reads.filter((read) => read.reader !== 'redis-only');
      const stale = checked.filter((read) => read.version < latestIn(read.product, landedBefore(read)));
      expect(checked.length).toBeGreaterThan(UPDATES);
      expect(stale).toEqual([]);

      // Nothing lost: every instance ends on every product's last version.
      for (const [, stack] of readers) {
        for (let product = 1; product <= PRODUCTS; product++) {
          const expected = latestIn(product, lastMark + 1n);
          const got = await eventually(
            async () => (await stack.getOrLoad(`price:${product}`, () => load(product))) === expected,
            5_000,
          );
          expect(got).toBe(true);
        }
      }
      await pool.end();
    },
  );
});
