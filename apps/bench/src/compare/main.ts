/**
 * `bench:compare [ref] [--rounds N] [--warmup N] [--only id,id] [--write]`: measures the hot paths
 * of the working tree's build ("new") against those of commit `ref` ("old", default d71dc23),
 * both loaded in this process, in alternating rounds. See README.md.
 */
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchRedis } from '../redis.js';
import { describeMachine } from '../results-file.js';
import { alternateRounds, type Fixture } from './alternate.js';
import { assertBuilt, describeWorkingTree, prepareBaseline, resolveCommit } from './baseline-build.js';
import {
  compareMarkdown,
  compareTable,
  rowRatios,
  verdictOf,
  type CompareFailure,
  type CompareRow,
} from './compare-report.js';
import type { CompareScenario } from './compare-scenario.js';
import { loadBuild, type LoadedBuild } from './load-build.js';
import { nestScenarios } from './nest-scenarios.js';
import { stackScenarios } from './stack-scenarios.js';

const DEFAULT_REF = 'd71dc23';
const benchDir = fileURLToPath(new URL('../../', import.meta.url));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '80' },
    warmup: { type: 'string', default: '5' },
    only: { type: 'string' },
    write: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const warmup = Number(values.warmup);
if (!Number.isInteger(rounds) || rounds < 2 || !Number.isInteger(warmup) || warmup < 0)
  throw new Error('--rounds must be an integer ≥ 2 and --warmup an integer ≥ 0');
const only = values.only?.split(',').map((s) => s.trim());
const all = [...stackScenarios, ...nestScenarios];
const selected = all.filter((s) => only === undefined || only.includes(s.id));
if (selected.length === 0) throw new Error(`--only matches none of ${all.map((s) => s.id).join(', ')}`);

const started = performance.now();
const { sha, repo } = await resolveCommit(positionals[0] ?? DEFAULT_REF, benchDir);
// The new build is the checkout this bench belongs to; its packages must be built from its sources.
assertBuilt(repo);
const baseRoot = await prepareBaseline(repo, sha, `${benchDir}.compare`, (line) => console.log(line));
const builds = {
  old: await loadBuild('old', `${sha.slice(0, 10)} (built in apps/bench/.compare)`, baseRoot),
  new: await loadBuild('new', await describeWorkingTree(repo), repo),
};
const machine = describeMachine();
console.log(`old: ${builds.old.description}\nnew: ${builds.new.description}`);
console.log(`Node ${machine.node}, ${machine.cpu}, ${machine.cores} cores; ${warmup} + ${rounds} rounds`);

/** Sets up a scenario on both builds, runs its rounds, and closes both fixtures whatever happens. */
async function measure(scenario: CompareScenario, prefix: string): Promise<CompareRow> {
  const fixtures: Partial<Record<'old' | 'new', Fixture>> = {};
  const redisOf = (build: LoadedBuild) => ({ redis, prefix: `${prefix}-${scenario.id}-${build.label}` });
  let outcome: { readonly row: CompareRow } | { readonly error: unknown };
  try {
    fixtures.old = await scenario.setup(builds.old, redisOf(builds.old));
    fixtures.new = await scenario.setup(builds.new, redisOf(builds.new));
    const pair = { old: fixtures.old, new: fixtures.new };
    outcome = { row: { scenario, samples: await alternateRounds(pair, scenario.shape, rounds, warmup) } };
  } catch (error) {
    outcome = { error };
  }
  // Both fixtures close whatever happened; a check that fails on close fails the scenario.
  const closed = await Promise.allSettled([fixtures.old?.close(), fixtures.new?.close()]);
  const failed = closed.find((c): c is PromiseRejectedResult => c.status === 'rejected');
  if ('error' in outcome) throw outcome.error;
  if (failed !== undefined) throw failed.reason;
  return outcome.row;
}

const redis = await benchRedis();
const rows: CompareRow[] = [];
const failures: CompareFailure[] = [];
try {
  console.log(`Redis ${redis.version}: ${redis.source}\n`);
  for (const scenario of selected) {
    const t0 = performance.now();
    process.stdout.write(`${scenario.id}… `);
    try {
      const row = await measure(scenario, redis.prefix);
      rows.push(row);
      const { wall, cpu } = rowRatios(row);
      console.log(
        `clock ${wall.median.toFixed(3)}, CPU ${cpu.median.toFixed(3)}: ${verdictOf(row)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
    } catch (error) {
      console.log('failed');
      failures.push({
        scenario,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  }
} finally {
  await redis.dispose();
}

const seconds = (performance.now() - started) / 1000;
const markdown = compareMarkdown(
  {
    oldBuild: builds.old.description,
    newBuild: builds.new.description,
    machine,
    redis: `${redis.version}, ${redis.source}`,
    rounds,
    warmup,
    seconds,
  },
  rows,
  failures,
);
console.log(`\n${compareTable(rows)}`);
for (const failure of failures) console.error(`\nCOULD NOT RUN ${failure.scenario.id}: ${failure.error}`);
console.log(`\n(total ${seconds.toFixed(1)} s)`);
if (values.write) {
  const file = `${benchDir}COMPARE.md`;
  await writeFile(file, markdown);
  console.log(`wrote ${file}`);
}
// A slower verdict is a result; a scenario that could not run is an error.
process.exitCode = failures.length > 0 ? 1 : 0;
