import { describe, expect, it } from 'vitest';
import { engineOf } from '@strata/core/internal';
import { CdcHealthIndicator } from '../src/index.js';
import { eventually, useCdcFixtures } from './cdc-fixtures.support.js';

/**
 * Lag: a slot whose committed changes are received but not applied falls behind; the health
 * indicator reports it down past `maxLagBytes`, and up again once the consumer caught up. The
 * apply step is held (the stack's confirmed invalidation waits), as when Redis is slow.
 */
describe('lag and the health indicator', () => {
  const fx = useCdcFixtures();

  it('down with the bytes behind while changes wait to be applied, up once applied', async () => {
    const url = await fx.database();
    await fx.sql(url, "insert into products values (1, 'kettle')");
    const stack = await fx.stack(fx.prefix('lag'));
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const writes = engineOf(stack).writes;
    const confirm = writes.invalidateConfirmed.bind(writes);
    writes.invalidateConfirmed = async (request) => {
      await held;
      await confirm(request);
    };
    const consumer = fx.consumer(stack, {
      connection: url,
      slot: 'slot_lag',
      publication: 'slot_lag',
      maxLagBytes: 1,
      tables: { products: (change) => ({ tags: [`product:${String(change.new?.['id'])}`] }) },
    });
    await consumer.start();
    const health = new CdcHealthIndicator(consumer);
    await eventually(async () => (await health.isHealthy())['cdc']?.status === 'up', 5_000);
    expect((await health.isHealthy())['cdc']).toMatchObject({ status: 'up', state: 'streaming' });

    await fx.sql(url, "update products set name = 'pot' where id = 1");
    const behind = await eventually(async () => (await health.isHealthy())['cdc']?.status === 'down', 5_000);
    expect(behind).toBe(true);
    const down = (await health.isHealthy())['cdc'];
    expect(down).toMatchObject({
      state: 'streaming',
      message: expect.stringMatching(/slot slot_lag is \d+ bytes behind \(threshold 1\)/),
    });
    expect(consumer.status().lagSeconds).toBeGreaterThanOrEqual(0);

    release();
    expect(await eventually(async () => (await health.isHealthy())['cdc']?.status === 'up', 5_000)).toBe(
      true,
    );
    expect(consumer.status().lagBytes).toBe(0);
  });
});
