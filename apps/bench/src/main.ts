import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { benchRedis, type BenchRedis } from './redis.js';
import { textTable, type ScenarioResult } from './report.js';
import { describeMachine, resultsMarkdown } from './results-file.js';
import { withPeerTargets } from './peer-targets.js';
import { cdcInvalidationScenario } from './scenarios/cdc-invalidation.scenario.js';
import { coldLoadScenario } from './scenarios/cold-load.scenario.js';
import { coldMissScenario } from './scenarios/cold-miss.scenario.js';
import { httpCacheScenario } from './scenarios/http-cache.scenario.js';
import { httpCompressedScenario } from './scenarios/http-compressed.scenario.js';
import { invalidationScenario } from './scenarios/invalidation.scenario.js';
import { l1WithRedisScenario } from './scenarios/l1-with-redis.scenario.js';
import { isolatedHitScenario, sharedHitScenario } from './scenarios/l1-hit.scenario.js';
import { l2LatencyScenario, l2ThroughputScenario } from './scenarios/l2-hit.scenario.js';
import { largeValuesScenario } from './scenarios/large-values.scenario.js';
import { metricsScenario } from './scenarios/metrics.scenario.js';
import { valuesAtRestScenario } from './scenarios/values-at-rest.scenario.js';
import {
  coalescingScenario,
  writeBehindRedisThroughputScenario,
  writeBehindSetScenario,
} from './scenarios/write-behind.scenario.js';

interface Scenario {
  readonly id: string;
  readonly name: string;
  readonly needsRedis: boolean;
  readonly run: (redis: BenchRedis | undefined) => Promise<ScenarioResult>;
}

const scenarios: readonly Scenario[] = [
  { id: '1', name: '@Cacheable L1 hit, shared', needsRedis: false, run: () => sharedHitScenario() },
  { id: '2', name: '@Cacheable L1 hit, isolated', needsRedis: false, run: () => isolatedHitScenario() },
  {
    id: '3',
    name: 'L2 hit latency',
    needsRedis: true,
    run: (redis) => l2LatencyScenario(redis as BenchRedis),
  },
  {
    id: '4',
    name: 'L2 hit throughput',
    needsRedis: true,
    run: (redis) => l2ThroughputScenario(redis as BenchRedis),
  },
  { id: '5', name: 'write-behind coalescing', needsRedis: false, run: () => coalescingScenario() },
  { id: '6', name: 'write-behind set', needsRedis: false, run: () => writeBehindSetScenario() },
  {
    id: '7',
    name: 'write-behind set throughput (Redis)',
    needsRedis: true,
    run: (redis) => writeBehindRedisThroughputScenario(redis as BenchRedis),
  },
  {
    id: '8',
    name: 'cold loads over 3 processes',
    needsRedis: true,
    run: (redis) => coldLoadScenario(redis as BenchRedis),
  },
  {
    id: '9',
    name: 'invalidation propagation',
    needsRedis: true,
    run: (redis) => invalidationScenario(redis as BenchRedis),
  },
  {
    id: '10',
    name: 'L1 hit with Redis vs L1 only',
    needsRedis: true,
    run: (redis) => l1WithRedisScenario(redis as BenchRedis),
  },
  {
    id: '11',
    name: 'cached HTTP route',
    needsRedis: true,
    run: (redis) => httpCacheScenario(redis as BenchRedis),
  },
  { id: '12', name: 'L1 hit with metrics on vs off', needsRedis: false, run: () => metricsScenario() },
  {
    id: '13',
    name: 'cold miss latency',
    needsRedis: true,
    run: (redis) => coldMissScenario(redis as BenchRedis),
  },
  {
    id: '14',
    name: 'large values through Redis',
    needsRedis: true,
    run: (redis) => largeValuesScenario(redis as BenchRedis),
  },
  {
    id: '15',
    name: 'values at rest (plain, compressed, encrypted)',
    needsRedis: true,
    run: (redis) => valuesAtRestScenario(redis as BenchRedis),
  },
  { id: '16', name: 'compressed HTTP pages', needsRedis: false, run: () => httpCompressedScenario() },
  {
    id: '17',
    name: 'CDC invalidation (PostgreSQL)',
    needsRedis: true,
    run: (redis) => cdcInvalidationScenario(redis as BenchRedis),
  },
];

/** `BENCH_ONLY=1,3` runs a subset (and leaves RESULTS.md alone). */
const only = process.env['BENCH_ONLY']?.split(',').map((s) => s.trim());
const selected = scenarios.filter((s) => only === undefined || only.includes(s.id));
const machine = describeMachine();
const started = performance.now();
console.log(`Strata bench: Node ${machine.node}, ${machine.cpu}, ${machine.cores} cores`);

const results: ScenarioResult[] = [];
const failures: string[] = [];
let redis: BenchRedis | undefined;
let redisError: unknown;
try {
  if (selected.some((s) => s.needsRedis)) {
    try {
      redis = await benchRedis();
      console.log(`Redis ${redis.version}: ${redis.source}`);
    } catch (error) {
      redisError = error;
    }
  }
  for (const scenario of selected) {
    if (scenario.needsRedis && !redis) {
      failures.push(`${scenario.id}. ${scenario.name}: no Redis (${String(redisError)})`);
      continue;
    }
    const t0 = performance.now();
    process.stdout.write(`running ${scenario.id}. ${scenario.name}… `);
    try {
      results.push(withPeerTargets(await scenario.run(redis)));
      console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } catch (error) {
      console.log('failed');
      failures.push(
        `${scenario.id}. ${scenario.name}: ${error instanceof Error ? error.stack : String(error)}`,
      );
    }
  }
} finally {
  await redis?.dispose();
}

console.log('');
console.log(textTable(results.flatMap((r) => r.rows)));
for (const note of results.flatMap((r) => (r.notes ?? []).map((n) => `${r.title.split('.')[0]}: ${n}`))) {
  console.log(`\n${note}`);
}
for (const failure of failures) console.error(`\nFAILED TO RUN ${failure}`);
console.log(`\n(total ${((performance.now() - started) / 1000).toFixed(1)} s)`);
if (only === undefined) {
  const file = new URL('../RESULTS.md', import.meta.url);
  await writeFile(file, resultsMarkdown(machine, results, failures));
  console.log(`wrote ${file.pathname}`);
}
// A missed target is a result, not an error; a scenario that could not run is.
process.exitCode = failures.length > 0 ? 1 : 0;
