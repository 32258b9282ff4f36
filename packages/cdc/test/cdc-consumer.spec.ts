import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { CACHE_MISS } from '@strata/core/internal';
import { type CdcEventMap, CdcError, type CdcOptions, dropReplication } from '../src/index.js';
import { eventually, useCdcFixtures } from './cdc-fixtures.support.js';

/** From COMMIT to the invalidation on every instance, on a loaded 2-core machine: asserted with margin. */
const APPLIED_MS = 5_000;

const tagOf = (row: Record<string, unknown> | null, column: string): string =>
  `product:${String(row?.[column])}`;

const shopOptions = (connection: string, slot: string): CdcOptions => ({
  connection,
  slot,
  publication: slot,
  tables: {
    products: (change) => ({ tags: [tagOf(change.new ?? change.old, 'id'), 'product-list'] }),
    prices: (change) => ({ tags: [tagOf(change.new ?? change.old, 'product_id')] }),
  },
  onTruncate: { products: { namespaces: ['catalog'] } },
});

/** Counts a slot's rows and tells whether one is active. */
async function slots(url: string, like: string): Promise<{ name: string; active: boolean }[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ slot_name: string; active: boolean }>(
      'select slot_name, active from pg_replication_slots where slot_name like $1',
      [`${like}%`],
    );
    return result.rows.map((row) => ({ name: row.slot_name, active: row.active }));
  } finally {
    await client.end();
  }
}

describe('CdcConsumer: committed changes become invalidations on every instance', () => {
  const fx = useCdcFixtures();

  async function seeded(): Promise<string> {
    const url = await fx.database();
    await fx.sql(
      url,
      "insert into products values (1, 'kettle'), (2, 'mug'), (3, 'teapot')",
      'insert into prices values (10, 1, 1999), (20, 2, 500), (30, 3, 2500)',
      'alter table prices replica identity full',
    );
    return url;
  }

  async function streaming(options: CdcOptions, ...stacks: Awaited<ReturnType<typeof fx.stack>>[]) {
    const consumer = fx.consumer(stacks[0]!, options);
    await consumer.start();
    expect(await eventually(() => consumer.status().state === 'streaming', APPLIED_MS)).toBe(true);
    return consumer;
  }

  it('an UPDATE from another connection drops the tagged entries on both instances; a rolled-back one changes nothing', async () => {
    const url = await seeded();
    const prefix = fx.prefix('update');
    const [a, b] = [await fx.stack(prefix), await fx.stack(prefix)];
    await streaming(shopOptions(url, 'slot_update'), a, b);
    for (const id of [1, 2]) await a.set(`product:${id}`, { id }, { tags: [`product:${id}`] });
    for (const id of [1, 2]) expect(await b.get(`product:${id}`)).toEqual({ id });
    expect(b.peek('product:1')).not.toBe(CACHE_MISS);

    await fx.sql(url, 'begin', 'update prices set amount_cents = 1 where product_id = 2', 'rollback');
    await fx.sql(url, 'update prices set amount_cents = 2499 where product_id = 1');
    const dropped = () => a.peek('product:1') === CACHE_MISS && b.peek('product:1') === CACHE_MISS;
    expect(await eventually(dropped, APPLIED_MS)).toBe(true);
    expect(await b.get('product:1')).toBeUndefined();
    expect(b.peek('product:2')).toEqual({ id: 2 });
    expect(await a.get('product:2')).toEqual({ id: 2 });
  });

  it('inserts and deletes are mapped; a table without a mapping is ignored; a TRUNCATE follows onTruncate', async () => {
    const url = await seeded();
    const a = await fx.stack(fx.prefix('kinds'));
    const consumer = await streaming(shopOptions(url, 'slot_kinds'), a);
    const applied: CdcEventMap['cdc:applied'][] = [];
    consumer.events.on('cdc:applied', (event) => applied.push(event));
    await a.set('list', ['kettle'], { tags: ['product-list'] });
    await a.set('p3', 3, { tags: ['product:3'] });
    await a.set('audit', 'kept', { tags: ['product:9'] });
    await fx.sql(url, "insert into audit_log (note) values ('not mapped')");
    await fx.sql(url, "insert into products values (4, 'cup')");
    expect(await eventually(() => a.peek('list') === CACHE_MISS, APPLIED_MS)).toBe(true);
    await fx.sql(url, 'delete from prices where id = 30');
    expect(await eventually(() => a.peek('p3') === CACHE_MISS, APPLIED_MS)).toBe(true);
    expect(a.peek('audit')).toBe('kept');
    expect(applied.every((event) => event.changes >= 1)).toBe(true);

    await a.set('in-catalog', 'x', { namespace: 'catalog' });
    await a.set('elsewhere', 'y', { namespace: 'orders' });
    await fx.sql(url, 'truncate products cascade');
    expect(await eventually(() => a.peek('in-catalog', 'catalog') === CACHE_MISS, APPLIED_MS)).toBe(true);
    expect(await a.get('elsewhere', { namespace: 'orders' })).toBe('y');
  });

  it('a mapping that throws, or a transaction past maxInvalidations, applies the table fallback and says so', async () => {
    const url = await seeded();
    const a = await fx.stack(fx.prefix('fallback'));
    const consumer = await streaming(
      {
        ...shopOptions(url, 'slot_fallback'),
        maxInvalidations: 5,
        tables: {
          products: (change) => {
            if (change.new?.['name'] === 'boom') throw new Error('mapping failed');
            return { tags: [tagOf(change.new ?? change.old, 'id')] };
          },
          prices: (change) => ({ tags: [tagOf(change.new ?? change.old, 'product_id')] }),
        },
      },
      a,
    );
    const fallbacks: CdcEventMap['cdc:fallback'][] = [];
    consumer.events.on('cdc:fallback', (event) => fallbacks.push(event));

    await a.set('in-catalog', 1, { namespace: 'catalog' });
    await fx.sql(url, "update products set name = 'boom' where id = 1");
    expect(await eventually(() => a.peek('in-catalog', 'catalog') === CACHE_MISS, APPLIED_MS)).toBe(true);
    expect(fallbacks).toMatchObject([{ table: 'public.products', reason: 'mapping-error' }]);

    await a.set('in-default', 1);
    await fx.sql(url, 'insert into prices select g, g, 1 from generate_series(100, 120) g');
    expect(await eventually(() => a.peek('in-default') === CACHE_MISS, APPLIED_MS)).toBe(true);
    expect(fallbacks.at(-1)).toMatchObject({ table: 'public.prices', reason: 'too-many' });
  });

  it('a mapping that returns what the cache refuses (an empty tag) falls back instead of stalling the stream', async () => {
    const url = await seeded();
    const a = await fx.stack(fx.prefix('refused'));
    const consumer = await streaming(
      {
        ...shopOptions(url, 'slot_refused'),
        tables: { ...shopOptions(url, 'slot_refused').tables, products: () => ({ tags: [''] }) },
      },
      a,
    );
    const fallbacks: CdcEventMap['cdc:fallback'][] = [];
    consumer.events.on('cdc:fallback', (event) => fallbacks.push(event));
    await a.set('in-catalog', 1, { namespace: 'catalog' });
    await fx.sql(url, "update products set name = 'pot' where id = 1");
    expect(await eventually(() => a.peek('in-catalog', 'catalog') === CACHE_MISS, APPLIED_MS)).toBe(true);
    expect(fallbacks).toMatchObject([{ table: 'public.products', reason: 'mapping-error' }]);
    await a.set('p2', 2, { tags: ['product:2'] });
    await fx.sql(url, 'update prices set amount_cents = 9 where product_id = 2');
    expect(await eventually(() => a.peek('p2') === CACHE_MISS, APPLIED_MS)).toBe(true);
  });

  it('Redis frozen: the change waits in the slot and lands in Redis once it answers again', async () => {
    const url = await seeded();
    const prefix = fx.prefix('frozen-redis');
    const a = await fx.stack(prefix);
    const redisOnly = await fx.stack(prefix, { l1: false });
    const consumer = await streaming(
      { ...shopOptions(url, 'slot_frozen_redis'), retryDelay: 50, leaseTtl: 1_000 },
      a,
    );
    const errors: string[] = [];
    consumer.events.on('cdc:error', ({ during }) => errors.push(during));
    await a.set('p1', 'old', { tags: ['product:1'] });
    const frozen = fx.redis.pause(1_500);
    await fx.sql(url, 'update prices set amount_cents = 5 where product_id = 1');
    await frozen;
    expect(await eventually(async () => (await redisOnly.get('p1')) === undefined, 15_000, 50)).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
    expect(await eventually(() => consumer.status().state === 'streaming', APPLIED_MS)).toBe(true);
  });

  it('boot fails, naming the table and the fix, when a mapping reads on delete what the replica identity does not send', async () => {
    const url = await fx.database();
    const a = await fx.stack(fx.prefix('identity'));
    const consumer = fx.consumer(a, { ...shopOptions(url, 'slot_identity') });
    const error: unknown = await consumer.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CdcError);
    expect((error as CdcError).code).toBe('E_CDC_TABLE');
    expect((error as CdcError).message).toMatch(
      /public\.prices reads old\.product_id .*REPLICA IDENTITY FULL/,
    );

    const missing = fx.consumer(a, {
      connection: url,
      slot: 'slot_missing',
      tables: { nope: () => undefined },
    });
    await expect(missing.start()).rejects.toMatchObject({
      code: 'E_CDC_TABLE',
      message: /public\.nope does not exist/,
    });

    await fx.sql(url, 'alter table prices replica identity full');
    const fixed = fx.consumer(a, shopOptions(url, 'slot_identity'));
    await fixed.start();
    expect(await eventually(() => fixed.status().state === 'streaming', APPLIED_MS)).toBe(true);
  });

  it('a database without wal_level = logical fails boot with the fix, or leaves the consumer unavailable when not required', async () => {
    const { startPostgres } = await import('@strata/testing');
    await using plain = await startPostgres();
    const url = await plain.createDatabase();
    const a = await fx.stack(fx.prefix('wal'));
    const options: CdcOptions = { connection: url, tables: { products: () => undefined } };
    await expect(fx.consumer(a, options).start()).rejects.toMatchObject({
      code: 'E_CDC_UNAVAILABLE',
      message: /wal_level = replica.*ALTER SYSTEM SET wal_level = logical/,
    });
    const optional = fx.consumer(a, { ...options, required: false });
    await optional.start();
    expect(optional.status()).toMatchObject({ state: 'unavailable', reason: /wal_level/ });
  });

  it('an unreachable database degrades (start resolves) and the consumer catches up once it answers', async () => {
    const url = await seeded();
    const a = await fx.stack(fx.prefix('outage'));
    const consumer = await streaming({ ...shopOptions(url, 'slot_outage'), retryDelay: 100 }, a);
    // A fast shutdown waits for walsenders until their client confirmed all that was sent.
    const stopping = performance.now();
    await fx.postgres.stop();
    expect(performance.now() - stopping).toBeLessThan(5_000);
    try {
      expect(await eventually(() => consumer.status().state === 'degraded', APPLIED_MS)).toBe(true);
    } finally {
      await fx.postgres.restart();
    }
    expect(await eventually(() => consumer.status().state === 'streaming', 15_000, 50)).toBe(true);
    await a.set('p1', 1, { tags: ['product:1'] });
    await fx.sql(url, 'update prices set amount_cents = 7 where product_id = 1');
    expect(await eventually(() => a.peek('p1') === CACHE_MISS, APPLIED_MS)).toBe(true);
  });

  it('memory-only, each instance reads a temporary slot of its own, gone once it stops', async () => {
    const url = await seeded();
    const [a, b] = [await fx.stack('mem', { memoryOnly: true }), await fx.stack('mem', { memoryOnly: true })];
    const first = await streaming(shopOptions(url, 'slot_mem'), a);
    const second = await streaming(shopOptions(url, 'slot_mem'), b);
    expect(first.status().slot).not.toBe(second.status().slot);
    expect(await slots(url, 'slot_mem')).toHaveLength(2);
    await a.set('p2', 2, { tags: ['product:2'] });
    await b.set('p2', 2, { tags: ['product:2'] });
    await fx.sql(url, 'update prices set amount_cents = 3 where product_id = 2');
    expect(
      await eventually(() => a.peek('p2') === CACHE_MISS && b.peek('p2') === CACHE_MISS, APPLIED_MS),
    ).toBe(true);
    await first.stop();
    await second.stop();
    expect(await eventually(async () => (await slots(url, 'slot_mem')).length === 0, APPLIED_MS, 50)).toBe(
      true,
    );
  });

  it('confirms idle keepalive positions, so a slot without mapped changes does not hold WAL back', async () => {
    const url = await seeded();
    const a = await fx.stack(fx.prefix('idle'));
    const consumer = await streaming(shopOptions(url, 'slot_idle'), a);
    const lsnAfter = async (): Promise<string> => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query("insert into audit_log (note) select 'x' from generate_series(1, 500)");
        return (await client.query<{ lsn: string }>('select pg_current_wal_lsn() as lsn')).rows[0]!.lsn;
      } finally {
        await client.end();
      }
    };
    const written = await lsnAfter();
    const confirmedPast = async (): Promise<boolean> => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const row = (
          await client.query<{ behind: boolean }>(
            'select confirmed_flush_lsn < $1::pg_lsn as behind from pg_replication_slots where slot_name = $2',
            [written, 'slot_idle'],
          )
        ).rows[0];
        return row?.behind === false;
      } finally {
        await client.end();
      }
    };
    // wal_sender_timeout is 5 s here: a keepalive comes at least every 2.5 s.
    expect(await eventually(confirmedPast, 10_000, 200)).toBe(true);
    expect(consumer.status().confirmedLsn).toBeDefined();
  });
});

describe('CdcConsumer: what the database must allow, and slots lost or partitioned tables', () => {
  const fx = useCdcFixtures();

  it('a role without REPLICATION fails boot with the ALTER ROLE fix', async () => {
    const url = await fx.database();
    await fx.sql(
      url,
      'do $$ begin create role cdc_reader login; exception when duplicate_object then null; end $$',
    );
    const reader = new URL(url);
    reader.username = 'cdc_reader';
    const a = await fx.stack(fx.prefix('role'));
    await expect(
      fx
        .consumer(a, {
          connection: reader.toString(),
          slot: 'slot_role',
          tables: { products: () => undefined },
        })
        .start(),
    ).rejects.toMatchObject({ code: 'E_CDC_UNAVAILABLE', message: /ALTER ROLE "cdc_reader" REPLICATION/ });
  });

  it('a mapping that reads a name that is not a column fails boot, naming it', async () => {
    const url = await fx.database();
    const a = await fx.stack(fx.prefix('typo'));
    const consumer = fx.consumer(a, {
      connection: url,
      slot: 'slot_typo',
      tables: { products: (change) => ({ tags: [`product:${String(change.new?.['product_idd'])}`] }) },
    });
    await expect(consumer.start()).rejects.toMatchObject({
      code: 'E_CDC_TABLE',
      message: /public\.products reads new\.product_idd, not a column of the table \(its columns: id, name\)/,
    });
  });

  it('an update that leaves a TOASTed column unchanged does not carry it: a mapping that reads it falls back', async () => {
    const url = await fx.database();
    await fx.sql(
      url,
      'create table reviews (id int primary key, product_id int not null, body text not null)',
      'alter table reviews alter column body set storage external',
      "insert into reviews select 1, 7, string_agg(md5(g::text), '') from generate_series(1, 400) g",
    );
    const a = await fx.stack(fx.prefix('toast'));
    const consumer = fx.consumer(a, {
      connection: url,
      slot: 'slot_toast',
      publication: 'slot_toast',
      tables: {
        reviews: (change) => ({
          tags: [
            `product:${String(change.new?.['product_id'])}`,
            `words:${String(change.new?.['body']).length}`,
          ],
        }),
      },
      onTruncate: { reviews: { namespaces: ['reviews'] } },
    });
    const fallbacks: CdcEventMap['cdc:fallback'][] = [];
    consumer.events.on('cdc:fallback', (event) => fallbacks.push(event));
    await consumer.start();
    await a.set('in-reviews', 1, { namespace: 'reviews' });
    await fx.sql(url, 'update reviews set product_id = 8 where id = 1');
    expect(await eventually(() => a.peek('in-reviews', 'reviews') === CACHE_MISS, APPLIED_MS)).toBe(true);
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]).toMatchObject({ table: 'public.reviews', reason: 'mapping-error' });
    expect(String(fallbacks[0]?.error)).toMatch(/new\.body of public\.reviews was not sent/);
  });

  it('a partitioned table is mapped under its own name, also in a publication made by hand', async () => {
    const url = await fx.database();
    await fx.sql(
      url,
      'create table orders (id int, region text, primary key (id, region)) partition by list (region)',
      "create table orders_eu partition of orders for values in ('eu')",
      // Made by hand, without publish_via_partition_root: the consumer sets it.
      'create publication slot_partitions for table orders',
    );
    const a = await fx.stack(fx.prefix('partitions'));
    const consumer = fx.consumer(a, {
      connection: url,
      slot: 'slot_partitions',
      publication: 'slot_partitions',
      tables: { orders: (change) => ({ tags: [`order:${String(change.new?.['id'])}`] }) },
    });
    await consumer.start();
    await a.set('o7', 'cached', { tags: ['order:7'] });
    await fx.sql(url, "insert into orders values (7, 'eu')");
    expect(await eventually(() => a.peek('o7') === CACHE_MISS, APPLIED_MS)).toBe(true);
  });

  it('a slot dropped under a running consumer is made again, and what changed meanwhile falls back', async () => {
    const url = await fx.database();
    await fx.sql(url, "insert into products values (1, 'kettle')");
    const a = await fx.stack(fx.prefix('dropped'));
    const consumer = fx.consumer(a, {
      connection: url,
      slot: 'slot_dropped',
      publication: 'slot_dropped',
      retryDelay: 50,
      tables: { products: (change) => ({ tags: [`product:${String((change.new ?? change.old)?.['id'])}`] }) },
      onTruncate: { products: { namespaces: ['catalog'] } },
    });
    await consumer.start();
    expect(consumer.status().state).toBe('streaming');
    await a.set('in-catalog', 1, { namespace: 'catalog' });
    const fallbacks: string[] = [];
    consumer.events.on('cdc:fallback', ({ table, reason }) => fallbacks.push(`${table} ${reason}`));
    await dropReplication(url, 'slot_dropped');
    expect(await eventually(() => a.peek('in-catalog', 'catalog') === CACHE_MISS, APPLIED_MS, 20)).toBe(true);
    expect(fallbacks).toContain('public.products reconnect');
    expect(await eventually(() => consumer.status().state === 'streaming', APPLIED_MS)).toBe(true);
    await a.set('p1', 1, { tags: ['product:1'] });
    await fx.sql(url, "update products set name = 'pot' where id = 1");
    expect(await eventually(() => a.peek('p1') === CACHE_MISS, APPLIED_MS)).toBe(true);
  });
});
