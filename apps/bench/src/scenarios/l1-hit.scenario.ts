import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cacheable, StrataModule } from '@strata/nestjs';
import { caching } from 'cache-manager-v5';
import { isDeepStrictEqual } from 'node:util';
import { alternateBatches, type BatchOptions, type Subject } from '../measure.js';
import { ratioRow, type ScenarioResult } from '../report.js';
import { makeValue, VALUE_JSON, type Product } from '../value.js';

const BATCH: BatchOptions = { calls: 5_000, rounds: 40, warmupRounds: 10 };

/** The provider under test: one cached method with a constant key, so every call after the first hits. */
@Injectable()
export class ProductService {
  loads = 0;

  @Cacheable({ key: 'k' })
  async product(): Promise<Product> {
    this.loads++;
    return makeValue();
  }
}

async function createApp(shareReferences: boolean): Promise<INestApplicationContext> {
  @Module({
    imports: [StrataModule.forRoot({ prefix: 'bench', shareReferences })],
    providers: [ProductService],
  })
  class BenchModule {}
  return NestFactory.createApplicationContext(BenchModule, { logger: false, abortOnError: false });
}

/** Calls once (the miss that fills the cache) and checks the hit returns the same value. */
async function primed(run: () => Promise<unknown>, name: string): Promise<Subject> {
  await run();
  const hit = await run();
  if (!isDeepStrictEqual(hit, makeValue())) throw new Error(`${name}: the cached value differs`);
  return { name, run };
}

const METHOD = `${BATCH.warmupRounds} warm-up rounds, then ${BATCH.rounds} rounds; in each round every subject (order rotating) times ${BATCH.calls.toLocaleString('en-US')} sequential awaited calls with process.hrtime.bigint(), after a forced GC. Value: median ns per call; ratio: median / median of the baseline, with the interquartile range of the per-round ratios in parentheses.`;

/** Scenario 1: a `@Cacheable` L1 hit returning the shared, frozen object. */
export async function sharedHitScenario(): Promise<ScenarioResult> {
  const app = await createApp(true);
  try {
    const service = app.get(ProductService);
    const map = new Map<string, Product>([['k', makeValue()]]);
    const fromMap = async (key: string): Promise<Product | undefined> => map.get(key);
    const manager = await caching('memory', { max: 10_000, ttl: 60_000 });
    const load = async (): Promise<Product> => makeValue();

    const subjects = [
      await primed(() => fromMap('k'), 'async Map.get'),
      await primed(() => service.product(), '@Cacheable (shareReferences)'),
      await primed(() => manager.wrap('k', load), 'cache-manager 5 memory wrap'),
    ];
    const samples = await alternateBatches(subjects, BATCH);
    if (service.loads !== 1) throw new Error(`the cached method ran ${service.loads} times, expected 1`);
    return {
      title: '1. @Cacheable L1 hit, shareReferences: true',
      method:
        'A Nest application context (NestFactory.createApplicationContext) with StrataModule.forRoot({ shareReferences: true }) and a provider whose `@Cacheable({ key: "k" })` method is called with the entry already cached. Baseline: an async function returning the value from a Map. Peer: cache-manager 5.7 `caching("memory")` + `wrap` on the same key (its memory store returns the stored object too). ' +
        METHOD,
      rows: [
        ratioRow('1', samples, '@Cacheable (shareReferences)', 'async Map.get', { op: '<=', value: 3 }),
        ratioRow('1', samples, 'cache-manager 5 memory wrap', 'async Map.get', undefined),
      ],
    };
  } finally {
    await app.close();
  }
}

/** Scenario 2: the same hit in the default mode, which decodes a fresh copy per read. */
export async function isolatedHitScenario(): Promise<ScenarioResult> {
  const app = await createApp(false);
  try {
    const service = app.get(ProductService);
    const json = new Map<string, string>([['k', VALUE_JSON]]);
    const parse = async (key: string): Promise<unknown> => JSON.parse(json.get(key) as string);

    const subjects = [
      await primed(() => parse('k'), 'async JSON.parse'),
      await primed(() => service.product(), '@Cacheable (isolated)'),
    ];
    const samples = await alternateBatches(subjects, BATCH);
    if (service.loads !== 1) throw new Error(`the cached method ran ${service.loads} times, expected 1`);
    return {
      title: '2. @Cacheable L1 hit, default (isolated) mode',
      method:
        `The same app with StrataModule.forRoot({}) (a fresh decoded copy per hit). Baseline: an async function that takes the value's JSON (${VALUE_JSON.length} bytes) from a Map and returns JSON.parse of it, i.e. the least a copy-per-read cache must do. ` +
        METHOD,
      rows: [ratioRow('2', samples, '@Cacheable (isolated)', 'async JSON.parse', { op: '<=', value: 1.5 })],
    };
  } finally {
    await app.close();
  }
}
