/**
 * The shop's observability: /metrics, /health and the live dashboard, on PGlite with Redis (a real
 * server from @strata/testing, killed and restarted for /health). The dashboard is opened in
 * headless Chromium (Debian's `chromium`, driven by playwright-core) while the test sends
 * traffic; the charts' own data is read back from the page.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type RedisServer } from '@strata/testing';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, ALICE, startShop, testConfig, type TestShop } from './shop.fixture.js';

const CHROMIUM = '/usr/bin/chromium';

/** What the page exposes as `window.strataDashboard`: per chart, uPlot's series labels and data. */
interface DrawnChart {
  readonly labels: string[];
  /** uPlot's `data`: `[times, ...one array per line]`. */
  readonly data: (number | null)[][];
  /** Pixels of the plot canvas that are not blank. */
  readonly paintedPixels: number;
  readonly dataset: Record<string, string | undefined>;
}

/** The parts of uPlot and the DOM the test reads inside the page (the test has no DOM types). */
interface PageGlobals {
  readonly strataDashboard: {
    readonly charts: Record<
      string,
      | {
          readonly series: readonly { readonly label?: string }[];
          readonly data: (number | null)[][];
          readonly ctx: {
            readonly canvas: { readonly width: number; readonly height: number };
            getImageData(x: number, y: number, w: number, h: number): { readonly data: ArrayLike<number> };
          };
        }
      | undefined
    >;
  };
  readonly document: {
    getElementById(id: string): { readonly dataset: Record<string, string | undefined> } | null;
  };
}

async function readChart(page: Page, name: string): Promise<DrawnChart> {
  return page.evaluate((chartName) => {
    const page = globalThis as unknown as PageGlobals;
    const plot = page.strataDashboard.charts[chartName];
    const dataset = { ...page.document.getElementById(`chart-${chartName}`)?.dataset };
    if (plot === undefined) return { labels: [], data: [], paintedPixels: 0, dataset };
    const { width, height } = plot.ctx.canvas;
    const pixels = plot.ctx.getImageData(0, 0, width, height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
    return {
      labels: plot.series.slice(1).map((s) => String(s.label)),
      data: plot.data,
      paintedPixels: painted,
      dataset,
    };
  }, name);
}

/** The values uPlot holds for the line labelled `label` (empty when there is no such line). */
function line(chart: DrawnChart, label: string): (number | null)[] {
  const index = chart.labels.indexOf(label);
  return index < 0 ? [] : (chart.data[index + 1] ?? []);
}

const positive = (values: (number | null)[]): number[] =>
  values.filter((v): v is number => v !== null && v > 0);

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `strata_requests_total{cache,layer,result}` from the Prometheus text, 0 when absent. */
function requestCount(metrics: string, cache: string, layer: string, result: string): number {
  const match = new RegExp(
    `^strata_requests_total\\{cache="${cache}",layer="${layer}",result="${result}"\\} (\\d+)$`,
    'm',
  ).exec(metrics);
  return match ? Number(match[1]) : 0;
}

describe('shop observability (PGlite + Redis)', () => {
  let redis: RedisServer;
  let shop: TestShop;
  let userDataDir: string;
  let browser: BrowserContext;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does it when missing)`);
    redis = await startRedis();
    // Write-behind flushes only when asked (POST /admin/flush), so the queue's depth and lag stay
    // up long enough for the dashboard's one-second samples to see them.
    shop = await startShop({
      ...testConfig({ kind: 'pglite', dataDir: undefined }, redis.url),
      flushInterval: '1h',
    });
    userDataDir = await mkdtemp(join(tmpdir(), 'strata-dashboard-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    await redis?.dispose();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  it('serves /metrics in the Prometheus text format, with hits counted after traffic', async () => {
    const before = await shop.http.get('/metrics').expect(200);
    expect(before.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const hitsBefore = requestCount(before.text, 'http', 'l1', 'hit');

    await shop.http.get('/products/31').expect(200).expect('x-cache', 'MISS');
    await shop.http.get('/products/31').expect(200).expect('x-cache', 'HIT');

    const after = await shop.http.get('/metrics').expect(200);
    expect(requestCount(after.text, 'http', 'l1', 'hit')).toBe(hitsBefore + 1);
    expect(requestCount(after.text, 'http', 'none', 'miss')).toBeGreaterThan(0);
    expect(after.text).toMatch(
      /^strata_load_duration_seconds_count\{cache="default",outcome="success"\} [1-9]/m,
    );
    expect(after.text).toMatch(/^strata_write_behind_queue_depth\{cache="views"\} \d+$/m);
    expect(after.headers['x-cache']).toBeUndefined(); // @NoHttpCache: never a cached page
  });

  it('draws hit rates, load latency and write-behind depth and lag from live traffic', async () => {
    await shop.http.post('/admin/flush').set(ADMIN).expect(204); // empty queues: the counts below are exact
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    const url = (await shop.app.getUrl()).replace('[::1]', '127.0.0.1');
    await page.goto(`${url}/dashboard`);
    await expect(page.title()).resolves.toContain('cache dashboard');

    // Product pages: misses (loads from PGlite), then the same pages again: HTTP cache hits.
    for (let id = 1; id <= 20; id++) await shop.http.get(`/products/${id}`).expect(200);
    for (let id = 1; id <= 20; id++)
      await shop.http.get(`/products/${id}`).expect(200).expect('x-cache', 'HIT');
    // A cart write: journaled, not flushed yet.
    await shop.http.put('/cart/items/5').set(ALICE).send({ quantity: 2 }).expect(200);

    const hitRate = await until(
      () => readChart(page, 'hitRate'),
      (c) => positive(line(c, 'http · L1')).length > 0,
    );
    expect(hitRate.labels).toEqual(expect.arrayContaining(['http · L1', 'default · L1']));
    expect(Math.max(...positive(line(hitRate, 'http · L1')))).toBeLessThanOrEqual(100);
    expect(hitRate.paintedPixels).toBeGreaterThan(0);

    const latency = await until(
      () => readChart(page, 'loadLatencyMs'),
      (c) => positive(line(c, 'p95')).length > 0,
    );
    expect(latency.labels).toEqual(['p50', 'p95', 'p99']);
    // Percentiles are ordered at every point that has loads.
    for (let i = 0; i < (latency.data[0]?.length ?? 0); i++) {
      const [p50, p95, p99] = [line(latency, 'p50')[i], line(latency, 'p95')[i], line(latency, 'p99')[i]];
      if (p50 === null || p50 === undefined) continue;
      expect(p50).toBeLessThanOrEqual(p95 ?? Infinity);
      expect(p95).toBeLessThanOrEqual(p99 ?? Infinity);
    }

    // The lag line shows the oldest pending write's age growing (a second or more apart).
    const lag = await until(
      () => readChart(page, 'writeBehindLagSeconds'),
      (c) => positive(line(c, 'carts')).some((v) => v >= 1),
    );
    expect(lag.paintedPixels).toBeGreaterThan(0);
    const depth = await readChart(page, 'writeBehindDepth');
    expect(positive(line(depth, 'carts'))).toContain(1); // Alice's cart: one key pending
    expect(Math.max(...positive(line(depth, 'views')))).toBe(20); // one view counter per product read
    expect(Number(depth.dataset['max'])).toBe(20);

    // After a flush the queues are empty: the last points are 0.
    await shop.http.post('/admin/flush').set(ADMIN).expect(204);
    const flushed = await until(
      () => readChart(page, 'writeBehindDepth'),
      (c) => line(c, 'carts').at(-1) === 0 && line(c, 'views').at(-1) === 0,
    );
    expect(flushed.dataset['points']).toBe(String(flushed.data[0]?.length));
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('serves the page files uPlot and the dashboard need, and nothing else', async () => {
    const uplot = await shop.http.get('/dashboard/assets/uPlot.min.js').expect(200);
    expect(uplot.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(uplot.text).toBe(
      await readFile(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    );
    const page = await shop.http.get('/dashboard').expect(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<script src="/dashboard/assets/uPlot.min.js"></script>');
    await shop.http.get('/dashboard/assets/..%2Fpackage.json').expect(404);
    await shop.http.get('/dashboard/assets/dashboard.ts').expect(404);
  });

  it('answers /health 200, 503 while Redis is killed, and 200 once it is back', async () => {
    await shop.http.post('/admin/flush').set(ADMIN).expect(204); // no write waits past maxWriteBehindLag
    const up = await shop.http.get('/health').expect(200);
    expect(up.body.info.cache).toMatchObject({
      status: 'up',
      redis: { reachable: true, breaker: 'closed', bus: 'connected' },
      writeBehind: { carts: { pending: 0, deadLetters: 0 }, views: { pending: 0, deadLetters: 0 } },
    });

    await redis.kill();
    const down = await shop.http.get('/health').expect(503);
    expect(down.body.error.cache.status).toBe('down');
    expect(down.body.error.cache.message).toContain('Redis did not answer PING within 500 ms');
    // The shop itself keeps answering without Redis.
    await shop.http.get('/products/2').expect(200);

    await redis.restart();
    await until(
      async () => (await shop.http.get('/health')).status,
      (status) => status === 200,
      30_000,
    );
    const back = await shop.http.get('/health').expect(200);
    expect(back.body.info.cache.redis).toMatchObject({ reachable: true, breaker: 'closed' });
  }, 60_000);
});
