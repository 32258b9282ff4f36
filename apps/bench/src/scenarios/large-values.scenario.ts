import { CacheStack } from '@strata/core';
import { isDeepStrictEqual } from 'node:util';
import { makeLargeValue } from '../large-value.js';
import {
  alternateLatencies,
  alternateThroughput,
  type LatencyOptions,
  type Subject,
  type ThroughputOptions,
} from '../measure.js';
import { L2_PEERS_METHOD, l2PeerReads, l2Peers, type L2Peers } from '../peers/l2-peers.js';
import type { BenchRedis, CommandStat } from '../redis.js';
import { formatNs, formatRate, type ResultRow, type ScenarioResult } from '../report.js';
import { median, pairedRatioSpread, percentile } from '../stats.js';
import { engineOf } from '@strata/core/internal';

/** One value size, with fewer calls for the larger one (a 1 MB read decodes for milliseconds). */
interface Size {
  readonly label: string;
  readonly bytes: number;
  readonly latency: LatencyOptions;
}

const SIZES: readonly Size[] = [
  { label: '100 KB', bytes: 100 * 1024, latency: { callsPerBlock: 20, blocks: 10, warmupCalls: 20 } },
  { label: '1 MB', bytes: 1024 * 1024, latency: { callsPerBlock: 5, blocks: 10, warmupCalls: 5 } },
];
const THROUGHPUT: ThroughputOptions = { concurrency: 8, roundMs: 300, rounds: 4, warmupMs: 150 };
/** Keys each set subject cycles over. */
const SET_KEYS = 4;

const RAW_GET = 'ioredis GET + JSON.parse';
const STRATA_GET = 'CacheStack.get (L2 only)';
const RAW_SET = 'ioredis SET';
const STRATA_SET = 'CacheStack.set (L2 only, bus: false)';
const BENTO_SET = 'BentoCache set (L2 only)';
const CACHEABLE_SET = 'cacheable set (L2 only)';

/** Names the subject with the size, for the table. */
const sized = (name: string, size: Size): string => `${name}, ${size.label}`;

async function getRows(
  stack: CacheStack,
  peers: L2Peers,
  redis: BenchRedis,
  size: Size,
): Promise<ResultRow[]> {
  const value = makeLargeValue(size.bytes);
  const json = JSON.stringify(value);
  const raw = await redis.client();
  const rawKey = `${redis.prefix}:lv-raw:${size.bytes}`;
  await raw.set(rawKey, json, 'PX', 600_000);
  const key = `lv-${size.bytes}`;
  await stack.set(key, value, { ttl: '10m' });
  const subjects: Subject[] = [
    {
      name: RAW_GET,
      run: async () => {
        const text = await raw.get(rawKey);
        return text === null ? undefined : (JSON.parse(text) as unknown);
      },
    },
    { name: STRATA_GET, run: () => stack.get(key) },
    ...(await l2PeerReads(peers, key, value)),
  ];
  for (const subject of subjects) {
    if (!isDeepStrictEqual(await subject.run(), value)) throw new Error(`${subject.name}: the value differs`);
  }
  const samples = await alternateLatencies(subjects, size.latency);
  const at = (name: string): Float64Array => samples.get(name) ?? new Float64Array();
  const text = (name: string): string =>
    `p50 ${formatNs(percentile(at(name), 50))}, p99 ${formatNs(percentile(at(name), 99))}`;
  return subjects.slice(1).map((subject) => ({
    scenario: '14',
    subject: sized(subject.name, size),
    subjectValue: text(subject.name),
    baseline: sized(RAW_GET, size),
    baselineValue: text(RAW_GET),
    ratio: percentile(at(subject.name), 50) / percentile(at(RAW_GET), 50),
  }));
}

/** Server µs per call of `command` between two `INFO commandstats` readings. */
/** Server µs of EVALSHA per Strata set. */
function perSet(before: Map<string, CommandStat>, after: Map<string, CommandStat>, sets: number): string {
  const usec = (after.get('evalsha')?.usec ?? 0) - (before.get('evalsha')?.usec ?? 0);
  return sets > 0 ? `${(usec / sets).toFixed(0)} µs` : 'n/a';
}

function serverTime(
  before: Map<string, CommandStat>,
  after: Map<string, CommandStat>,
  command: string,
): string {
  const a = after.get(command) ?? { calls: 0, usec: 0 };
  const b = before.get(command) ?? { calls: 0, usec: 0 };
  const calls = a.calls - b.calls;
  return calls > 0 ? `${((a.usec - b.usec) / calls).toFixed(0)} µs per call over ${calls} calls` : 'n/a';
}

async function setRows(
  stack: CacheStack,
  peers: L2Peers,
  redis: BenchRedis,
  size: Size,
  notes: string[],
): Promise<ResultRow[]> {
  const value = makeLargeValue(size.bytes);
  const json = JSON.stringify(value);
  const raw = await redis.client();
  let i = 0;
  let strataSets = 0;
  const subjects: Subject[] = [
    {
      name: RAW_SET,
      run: async () => (await raw.set(`${redis.prefix}:lv-raw-set:${i++ % SET_KEYS}`, json), 1),
    },
    {
      name: STRATA_SET,
      run: async () => (await stack.set(`lv-set-${i++ % SET_KEYS}`, value), strataSets++, 1),
    },
    {
      name: BENTO_SET,
      run: async () => (await peers.bento.cache.set({ key: `lv-set-${i++ % SET_KEYS}`, value }), 1),
    },
    {
      name: CACHEABLE_SET,
      run: async () => (await peers.cacheable.cache.set(`lv-set-${i++ % SET_KEYS}`, value), 1),
    },
  ];
  const before = await redis.commandStats();
  const samples = await alternateThroughput(subjects, THROUGHPUT);
  const after = await redis.commandStats();
  if (!redis.external)
    notes.push(
      `Redis server time during the set rounds of the ${size.label} value (INFO commandstats): EVALSHA ${serverTime(before, after, 'evalsha')} (Strata's set-batch script, which stores a header and the value of each set it carries: ${perSet(before, after, strataSets)} per set over ${strataSets.toLocaleString('en-US')} sets, warm-up included), SET ${serverTime(before, after, 'set')} (the baseline and the peers, one value each).`,
    );
  const at = (name: string): number[] => samples.get(name) ?? [];
  return subjects.slice(1).map((subject) => ({
    scenario: '14',
    subject: sized(subject.name, size),
    subjectValue: formatRate(median(at(subject.name))),
    baseline: sized(RAW_SET, size),
    baselineValue: formatRate(median(at(RAW_SET))),
    ratio: median(at(subject.name)) / median(at(RAW_SET)),
    spread: pairedRatioSpread(at(subject.name), at(RAW_SET)),
  }));
}

/** Scenario 14: L2 reads and writes of 100 KB and 1 MB values against raw ioredis. */
export async function largeValuesScenario(redis: BenchRedis): Promise<ScenarioResult> {
  const stack = new CacheStack({
    prefix: `${redis.prefix}-lv`,
    l1: false,
    bus: false,
    // Like for like with the peers and raw ioredis, which store the JSON as it is (scenario 15
    // measures compression).
    compression: false,
    redis: { url: redis.url, failOnUnavailable: true },
  });
  const peers = l2Peers(redis, 'lv');
  try {
    await stack.connect();
    if (engineOf(stack).l1 !== undefined) throw new Error('the stack under test must have no L1');
    let errors = 0;
    stack.events.on('l2:error', () => errors++);
    const rows: ResultRow[] = [];
    const notes: string[] = [];
    for (const size of SIZES) rows.push(...(await getRows(stack, peers, redis, size)));
    for (const size of SIZES) rows.push(...(await setRows(stack, peers, redis, size, notes)));
    if (errors > 0) throw new Error(`${errors} L2 errors during the measurement`);
    const bytes = SIZES.map(
      (s) => `${s.label}: ${JSON.stringify(makeLargeValue(s.bytes)).length.toLocaleString('en-US')} bytes`,
    );
    const latency = SIZES.map(
      (s) =>
        `${s.label}: ${s.latency.warmupCalls} warm-up calls, then ${s.latency.blocks} blocks of ${s.latency.callsPerBlock}`,
    );
    return {
      title: '14. Large values (100 KB, 1 MB) through Redis',
      method: `Values generated by a seeded PRNG (\`src/large-value.ts\`): catalogue records of varied words, sentences, numbers, dates and nested objects until the JSON reaches the size (${bytes.join(', ')}; gzip takes them to about 40 %, as with real JSON, so nothing repeats). A CacheStack with \`l1: false, bus: false, compression: false\` (Redis only, values stored as JSON as the peers and the baseline store them: scenario 15 measures compression; default \`maxValueBytes\` 4 MiB) against raw ioredis on a separate connection. Reads: get(key) of the stored value, sequential, every call timed (${latency.join('; ')} calls per subject, alternating, order rotating); baseline GET + JSON.parse of the same JSON; ratio p50 / p50. Writes: ${THROUGHPUT.concurrency} in flight (a 1 MB write takes about a millisecond of Redis alone), sets of the value over ${SET_KEYS} keys, one ${THROUGHPUT.warmupMs} ms warm-up round then ${THROUGHPUT.rounds} rounds of ${THROUGHPUT.roundMs} ms per subject, alternating; Strata encodes the value (JSON.stringify) on every set, the baseline SETs the JSON computed once; ratio: sets per second / the baseline's. ${L2_PEERS_METHOD} Peers write through their own \`set\` (BentoCache's Redis SET; cacheable's with the same primary and \`nonBlocking: false\`, so the set waits for Redis). Redis ${redis.version} (${redis.source}).`,
      rows,
      notes,
    };
  } finally {
    await stack.close();
    await peers.close();
  }
}
