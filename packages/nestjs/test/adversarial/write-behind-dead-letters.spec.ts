import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { WriteBehindStrategy, type WriteBehindStrategyCache } from '@strata/core';
import { StrataHealthIndicator, type StrataHealthOptions } from '@strata/nestjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { useCatalogServers, type Price } from '../strategies/pricing.fixture.js';
import {
  closeWriteBehindApps,
  createWriteBehindApp,
  readRows,
  type WriteBehindApp,
  type WriteBehindOptions,
} from '../strategies/write-behind.fixture.js';

/**
 * Dead letters against real Redis and PostgreSQL: a write the database refuses is logged, counted
 * the same by every instance sharing the journal (without taking them out of service), and can be
 * re-driven (delivered once, however many instances try) or purged.
 */
const servers = useCatalogServers();
afterEach(async () => {
  vi.restoreAllMocks();
  await closeWriteBehindApps();
});

const price = (id: string, amount: number): Price => ({ id, amount });
const FAST: WriteBehindOptions = { flushInterval: '1h', retryBase: '1ms', maxAttempts: 2 };

function health(app: WriteBehindApp, options: StrataHealthOptions = {}) {
  return new StrataHealthIndicator(app.stack, app.moduleRef.get(WriteBehindStrategy)).isHealthy(
    'cache',
    options,
  );
}

interface Report {
  status: string;
  message?: string;
  writeBehind: Record<string, { deadLetters?: number }>;
}
const reportOf = (result: Record<string, unknown>): Report => result.cache as Report;

describe('write-behind dead letters on Redis and PostgreSQL', () => {
  it('logs a refused write, counts it the same on two instances without failing health, and re-drives it once', async () => {
    const errors = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const prefix = uniquePrefix();
    const target = { databaseUrl: servers.databaseUrl, redisUrl: servers.redis.url, prefix, cache: FAST };
    const a = await createWriteBehindApp(target);
    const b = await createWriteBehindApp(target);

    await a.prices.set('ok', price('ok', 5));
    await a.prices.set('poison', price('poison', -1)); // violates CHECK (amount >= 0)
    await a.prices.flush();

    const logged = errors.mock.calls.map((call) => String(call[0]));
    expect(logged.filter((line) => line.includes('"poison"'))).toHaveLength(1);
    expect(logged.find((line) => line.includes('"poison"'))).toMatch(/prices_amount_check/);

    for (const app of [a, b]) {
      const report = reportOf(await health(app));
      expect(report.status).toBe('up');
      expect(report.writeBehind.prices?.deadLetters).toBe(1);
      expect(reportOf(await health(app, { maxDeadLetters: 0 })).status).toBe('down');
    }
    const [letter] = await b.prices.listDeadLetters();
    expect(letter).toMatchObject({ key: 'poison', kind: 'set', value: price('poison', -1) });

    // The database is fixed; both instances re-drive at once: one journals it, once.
    await a.pool.query('ALTER TABLE prices DROP CONSTRAINT prices_amount_check');
    const outcomes = await Promise.allSettled([
      a.prices.redriveDeadLetter(letter?.id ?? ''),
      b.prices.redriveDeadLetter(letter?.id ?? ''),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value)).toEqual(['requeued']);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason.code)).toEqual([
      'E_UNKNOWN_DEAD_LETTER',
    ]);
    const deliveredBefore = a.writer.callsWith('poison').length + b.writer.callsWith('poison').length;
    await Promise.all([a.prices.flush(), b.prices.flush()]);
    const delivered = a.writer.callsWith('poison').length + b.writer.callsWith('poison').length;
    expect(delivered - deliveredBefore).toBe(1);

    const rows = await readRows(servers.databaseUrl);
    expect(rows.get('poison')).toMatchObject({ amount: -1, version: letter?.version });
    for (const app of [a, b]) expect(reportOf(await health(app)).writeBehind.prices?.deadLetters).toBe(0);
    expect(await b.prices.get('poison')).toEqual(price('poison', -1));
  });

  it('leaves the newer value in the database and the cache when an older dead set is re-driven', async () => {
    const a = await createWriteBehindApp({
      databaseUrl: servers.databaseUrl,
      redisUrl: servers.redis.url,
      cache: FAST,
    });
    await a.prices.set('sku', price('sku', -1));
    await a.prices.flush();
    await a.prices.set('sku', price('sku', 7));
    await a.prices.flush();
    await a.pool.query('ALTER TABLE prices DROP CONSTRAINT prices_amount_check');
    const [letter] = await a.prices.listDeadLetters();
    expect(await a.prices.redriveDeadLetter(letter?.id ?? '')).toBe('requeued');
    await a.prices.flush();
    expect((await readRows(servers.databaseUrl)).get('sku')).toMatchObject({ amount: 7 });
    expect(await a.prices.get('sku')).toEqual(price('sku', 7));
  });

  it('counts per instance with the memory journal', async () => {
    const target = { databaseUrl: servers.databaseUrl, cache: { ...FAST, journal: 'memory' as const } };
    const a = await createWriteBehindApp(target);
    const b = await createWriteBehindApp(target);
    await a.prices.set('poison', price('poison', -1));
    await a.prices.flush();
    const counts = async (cache: WriteBehindStrategyCache<Price>) => cache.deadLetterCount();
    expect([await counts(a.prices), await counts(b.prices)]).toEqual([1, 0]);
    expect(reportOf(await health(a)).writeBehind.prices?.deadLetters).toBe(1);
    expect(reportOf(await health(b)).writeBehind.prices?.deadLetters).toBe(0);
  });
});
