/**
 * The load script as the README runs it (`pnpm --filter @strata/shop load -- --url …`), for a few
 * hundred requests against a running shop, and the admin stats it reads.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLoadArgs, runLoadCli } from '../scripts/load/load-cli.js';
import { ADMIN, startShop, testConfig, type TestShop } from './shop.fixture.js';

describe('load script', () => {
  let shop: TestShop;
  let url: string;

  beforeAll(async () => {
    shop = await startShop(testConfig({ kind: 'pglite', dataDir: undefined }));
    url = (await shop.app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await shop?.close();
  });

  it('accepts the `--` pnpm passes through, and reads the options after it', () => {
    expect(parseLoadArgs(['--', '--url', 'http://127.0.0.1:3000', '--requests', '10'])).toMatchObject({
      url: 'http://127.0.0.1:3000',
      requests: 10,
      warmup: 50_000,
    });
    expect(parseLoadArgs([])).toMatchObject({ url: undefined, requests: 30_000, concurrency: 16 });
  });

  it('rejects a count that is not a positive integer, naming the option', () => {
    expect(() => parseLoadArgs(['--requests', 'many'])).toThrow(/--requests .*"many"/);
    expect(() => parseLoadArgs(['--concurrency', '0'])).toThrow(/--concurrency/);
  });

  it('runs against a running shop and reports throughput and time beside the hit rate', async () => {
    const results = await runLoadCli([
      '--',
      '--url',
      url,
      '--requests',
      '300',
      '--warmup',
      '200',
      '--concurrency',
      '4',
    ]);
    expect(results).toHaveLength(1);
    const [{ run, stats }] = results as [(typeof results)[number]];
    expect(run.requests).toBe(300);
    expect(run.seconds).toBeGreaterThan(0);
    expect(Object.keys(run.statuses).filter((code) => Number(code) >= 500)).toEqual([]);
    expect(run.xCache.HIT ?? 0).toBeGreaterThan(0);
    expect(stats.total.hitRate).toBeGreaterThan(0);
  });

  it('counts view increments as writes, not as misses of the views cache', async () => {
    await shop.http.post('/admin/cache/stats/reset').set(ADMIN).expect(204);
    for (const id of [1, 2, 3]) await shop.http.get(`/products/${id}`).expect(200);
    const stats = (await shop.http.get('/admin/cache/stats').set(ADMIN).expect(200)).body;
    expect(stats.caches.views).toMatchObject({ misses: 0, hits: { l1: 0, l2: 0 }, hitRate: null });
    expect(stats.caches.views.writes).toBeGreaterThanOrEqual(3);
    expect(stats.total.misses).toBe(
      Object.entries(stats.caches as Record<string, { misses: number }>)
        .filter(([name]) => name !== 'views')
        .reduce((sum, [, c]) => sum + c.misses, 0),
    );
  });
});
