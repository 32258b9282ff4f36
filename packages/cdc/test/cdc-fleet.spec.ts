import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CACHE_MISS } from '@strata/core/internal';
import type { CacheStack } from '@strata/core';
import type { CdcConsumer, CdcOptions } from '../src/index.js';
import { eventually, useCdcFixtures } from './cdc-fixtures.support.js';

const CHILD = fileURLToPath(new URL('./support/cdc-child.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/index.js', import.meta.url));
/** Lease of these tests: a takeover comes within about this long. */
const LEASE_TTL_MS = 1_000;
/** From COMMIT (or a takeover) to the invalidation, on a loaded 2-core machine: asserted with margin. */
const APPLIED_MS = 8_000;

const pricesOnly = (connection: string, slot: string): CdcOptions => ({
  connection,
  slot,
  publication: slot,
  leaseTtl: LEASE_TTL_MS,
  retryDelay: 100,
  tables: {
    prices: (change) => ({ tags: [`product:${String((change.new ?? change.old)?.['product_id'])}`] }),
  },
});

/** A child instance, with the messages it sent. */
interface Child {
  readonly process: ChildProcess;
  readonly messages: { type: string; state?: string }[];
  saw(type: string, state?: string): Promise<boolean>;
}

describe('one consumer per fleet (Redis lease), and takeover', () => {
  const fx = useCdcFixtures();
  const children: ChildProcess[] = [];

  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  function spawnChild(env: Record<string, string>): Child {
    if (!existsSync(BUILT))
      throw new Error(`build @strata/cdc first (npx -y pnpm@10.34.9 -r build): ${BUILT} is missing`);
    const child = fork(CHILD, [], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    const messages: Child['messages'] = [];
    child.on('message', (message) => messages.push(message as Child['messages'][number]));
    return {
      process: child,
      messages,
      saw: (type, state) =>
        eventually(
          () => messages.some((m) => m.type === type && (state === undefined || m.state === state)),
          20_000,
          20,
        ),
    };
  }

  async function seeded(): Promise<string> {
    const url = await fx.database();
    await fx.sql(
      url,
      "insert into products values (1, 'kettle')",
      'insert into prices values (10, 1, 1999)',
      'alter table prices replica identity full',
    );
    return url;
  }

  const heldIn = async (stack: CacheStack): Promise<void> => {
    await stack.set('p1', 'old price', { tags: ['product:1'] });
    expect(stack.peek('p1')).toBe('old price');
  };

  it('two instances: one streams, the other stands by and takes over when the first stops', async () => {
    const url = await seeded();
    const prefix = fx.prefix('fleet');
    const [a, b] = [await fx.stack(prefix), await fx.stack(prefix)];
    const first = fx.consumer(a, pricesOnly(url, 'slot_fleet'));
    const second = fx.consumer(b, pricesOnly(url, 'slot_fleet'));
    await first.start();
    expect(await eventually(() => first.status().state === 'streaming', APPLIED_MS)).toBe(true);
    await second.start();
    expect(await eventually(() => second.status().state === 'standby', APPLIED_MS)).toBe(true);
    expect(first.status().state).toBe('streaming');

    await first.stop();
    expect(await eventually(() => second.status().state === 'streaming', APPLIED_MS)).toBe(true);
    await heldIn(b);
    await fx.sql(url, 'update prices set amount_cents = 2 where product_id = 1');
    expect(await eventually(() => b.peek('p1') === CACHE_MISS, APPLIED_MS)).toBe(true);
  });

  it('an instance killed between receiving a change and confirming it: the next consumer applies the change', async () => {
    const url = await seeded();
    const prefix = fx.prefix('killed');
    const child = spawnChild({
      PREFIX: prefix,
      REDIS_URL: fx.redis.url,
      DATABASE_URL: url,
      SLOT: 'slot_killed',
      LEASE_TTL_MS: String(LEASE_TTL_MS),
      HOLD_APPLY: '1',
    });
    expect(await child.saw('state', 'streaming')).toBe(true);
    const stack = await fx.stack(prefix);
    await heldIn(stack);
    await fx.sql(url, 'update prices set amount_cents = 2 where product_id = 1');
    expect(await child.saw('received')).toBe(true);
    child.process.kill('SIGKILL');

    const consumer = fx.consumer(stack, pricesOnly(url, 'slot_killed'));
    await consumer.start();
    expect(await eventually(() => stack.peek('p1') === CACHE_MISS, APPLIED_MS)).toBe(true);
    expect(consumer.status().state).toBe('streaming');
  });

  it('a frozen holder: its lease expires, the next instance ends its walsender and consumes', async () => {
    const url = await seeded();
    const prefix = fx.prefix('frozen');
    const child = spawnChild({
      PREFIX: prefix,
      REDIS_URL: fx.redis.url,
      DATABASE_URL: url,
      SLOT: 'slot_frozen',
      LEASE_TTL_MS: String(LEASE_TTL_MS),
    });
    expect(await child.saw('state', 'streaming')).toBe(true);
    const stack = await fx.stack(prefix);
    const consumer: CdcConsumer = fx.consumer(stack, pricesOnly(url, 'slot_frozen'));
    await consumer.start();
    expect(await eventually(() => consumer.status().state === 'standby', APPLIED_MS)).toBe(true);
    child.process.kill('SIGSTOP');
    try {
      expect(await eventually(() => consumer.status().state === 'streaming', APPLIED_MS)).toBe(true);
      await heldIn(stack);
      await fx.sql(url, 'update prices set amount_cents = 3 where product_id = 1');
      expect(await eventually(() => stack.peek('p1') === CACHE_MISS, APPLIED_MS)).toBe(true);
    } finally {
      child.process.kill('SIGKILL');
    }
  });
});
