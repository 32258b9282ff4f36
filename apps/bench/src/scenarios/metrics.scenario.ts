import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cacheable, StrataMetrics, StrataMetricsModule, StrataModule } from '@strata/nestjs';
import { isDeepStrictEqual } from 'node:util';
import { alternateBatches, type BatchOptions, type Subject } from '../measure.js';
import { ratioRow, type ScenarioResult } from '../report.js';
import { makeValue, type Product } from '../value.js';

const BATCH: BatchOptions = { calls: 5_000, rounds: 40, warmupRounds: 10 };

const ON = '@Cacheable hit, metrics on';
const OFF = '@Cacheable hit, metrics off';
const ON_SHARED = '@Cacheable hit, metrics on (shareReferences)';
const OFF_SHARED = '@Cacheable hit, metrics off (shareReferences)';

/** One cached method with a constant key: every call after the first is an L1 hit. */
@Injectable()
class MetricsBenchService {
  loads = 0;

  @Cacheable({ key: 'k' })
  async product(): Promise<Product> {
    this.loads++;
    return makeValue();
  }
}

/** An app with or without `StrataMetricsModule` (on prom-client's default registry of its own copy). */
async function createApp(metrics: boolean, shareReferences: boolean): Promise<INestApplicationContext> {
  @Module({
    imports: [
      StrataModule.forRoot({ prefix: 'bench', shareReferences }),
      ...(metrics ? [StrataMetricsModule.forRoot({})] : []),
    ],
    providers: [MetricsBenchService],
  })
  class BenchModule {}
  return NestFactory.createApplicationContext(BenchModule, { logger: false, abortOnError: false });
}

async function primed(app: INestApplicationContext, name: string): Promise<Subject> {
  const service = app.get(MetricsBenchService);
  const run = (): Promise<Product> => service.product();
  await run();
  if (!isDeepStrictEqual(await run(), makeValue())) throw new Error(`${name}: the cached value differs`);
  return { name, run };
}

/** The L1 hits `strata_requests_total` counted: proof the measured hits went through the metrics. */
async function countedHits(app: INestApplicationContext): Promise<number> {
  const metric = app.get(StrataMetrics).registry.getSingleMetric('strata_requests_total');
  const { values } = (await metric?.get()) ?? { values: [] };
  return values.find((v) => v.labels['layer'] === 'l1' && v.labels['result'] === 'hit')?.value ?? 0;
}

/** Scenario 12: the cost of `StrataMetricsModule` on an L1 hit. */
export async function metricsScenario(): Promise<ScenarioResult> {
  // Two apps with metrics need two registries; each app registers on its own copy's default
  // registry only while it lives, so the shared-mode pair runs after the default-mode pair.
  const rows = [];
  const notes: string[] = [];
  for (const shareReferences of [false, true]) {
    const off = await createApp(false, shareReferences);
    const on = await createApp(true, shareReferences);
    try {
      const [onName, offName] = shareReferences ? [ON_SHARED, OFF_SHARED] : [ON, OFF];
      const subjects = [await primed(off, offName), await primed(on, onName)];
      const before = await countedHits(on);
      const samples = await alternateBatches(subjects, BATCH);
      const counted = (await countedHits(on)) - before;
      const expected = BATCH.calls * (BATCH.rounds + BATCH.warmupRounds);
      if (counted !== expected) throw new Error(`${onName}: ${counted} hits counted, expected ${expected}`);
      for (const app of [on, off]) {
        if (app.get(MetricsBenchService).loads !== 1) throw new Error('the cached method ran more than once');
      }
      notes.push(
        `${onName}: strata_requests_total{layer="l1",result="hit"} rose by ${counted.toLocaleString('en-US')}, one per measured call.`,
      );
      rows.push(
        ratioRow('12', samples, onName, offName, shareReferences ? undefined : { op: '<=', value: 1.1 }),
      );
    } finally {
      await on.close();
      await off.close();
    }
  }
  return {
    title: '12. @Cacheable L1 hit with StrataMetricsModule vs without',
    method: `Two Nest application contexts in the same process, identical but for StrataMetricsModule.forRoot({}) in one, each with a provider whose @Cacheable({ key: "k" }) method is called with the 1 KB entry already in L1: with metrics, every hit emits a hit event that the metrics count (strata_requests_total is read before and after to check every measured call was counted). Default mode (a fresh decoded copy per hit) carries the target; for context the same pair with shareReferences: true (the stored frozen object, no decode), where a fixed cost per hit weighs most. ${BATCH.warmupRounds} warm-up rounds, then ${BATCH.rounds} rounds; in each round both subjects (order rotating) time ${BATCH.calls.toLocaleString('en-US')} sequential awaited calls with process.hrtime.bigint(), after a forced GC. Value: median ns per call; ratio: median / median without metrics, with the interquartile range of the per-round ratios.`,
    rows,
    notes,
  };
}
