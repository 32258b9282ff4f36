// One app instance in its own process, for tests that kill or freeze the consumer: a CacheStack on
// Redis and a CdcConsumer of the `prices` table, from the built packages. It reports its states
// over IPC. With HOLD_APPLY=1 its first invalidation never completes (it reports `received`), so
// the process can be killed between receiving a change and confirming it.
import { CacheStack } from '@strata/core';
import { engineOf } from '@strata/core/internal';
import { CdcConsumer } from '../../dist/index.js';

const env = (name) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

const stack = new CacheStack({ prefix: env('PREFIX'), redis: { url: env('REDIS_URL') } });
await stack.connect();
if (process.env.HOLD_APPLY === '1') {
  const writes = engineOf(stack).writes;
  writes.invalidateConfirmed = () => {
    process.send?.({ type: 'received' });
    return new Promise(() => undefined);
  };
}
const consumer = new CdcConsumer(stack, {
  connection: env('DATABASE_URL'),
  slot: env('SLOT'),
  publication: env('SLOT'),
  leaseTtl: Number(env('LEASE_TTL_MS')),
  tables: { prices: (change) => ({ tags: [`product:${String((change.new ?? change.old)?.product_id)}`] }) },
});
consumer.events.on('cdc:state', ({ state }) => process.send?.({ type: 'state', state }));
await consumer.start();
process.on('disconnect', () => process.exit(0));
