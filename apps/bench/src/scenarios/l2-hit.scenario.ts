import { CacheStack } from '@strata/core';
import { redisInsStore } from 'cache-manager-ioredis-yet';
import {
  alternateLatencies,
  alternateThroughput,
  type LatencyOptions,
  type Subject,
  type ThroughputOptions,
} from '../measure.js';
import type { BenchRedis, CommandStat } from '../redis.js';
import { formatNs, formatRate, type ResultRow, type ScenarioResult } from '../report.js';
import { median, pairedRatioSpread, percentile } from '../stats.js';
import { makeValue, VALUE_JSON } from '../value.js';
import { engineOf } from '@strata/core/internal';
import {
  BENTO_L2_GET,
  CACHEABLE_L2_GET,
  L2_PEERS_METHOD,
  l2PeerReads,
  l2Peers,
  type L2Peers,
} from '../peers/l2-peers.js';

const LATENCY: LatencyOptions = { callsPerBlock: 200, blocks: 25, warmupCalls: 2_000 };
const THROUGHPUT: ThroughputOptions = { concurrency: 50, roundMs: 500, rounds: 4, warmupMs: 300 };

const STRATA = 'CacheStack.get (L2 only)';
const RAW = 'ioredis GET + JSON.parse';
const PEER = 'cache-manager-ioredis-yet get';

interface L2Fixture {
  readonly subjects: readonly Subject[];
  close(): Promise<void>;
}

/**
 * One entry per subject, same value, each subject on its own connection: a `CacheStack` with
 * Redis only (L1 off) and an untagged entry written by `set`; a plain ioredis client reading the
 * value's JSON; `cache-manager-ioredis-yet`'s store, and BentoCache and cacheable with Redis as
 * their only layer, each written by its own `set`.
 */
async function l2Fixture(redis: BenchRedis): Promise<L2Fixture> {
  const stack = new CacheStack({
    prefix: redis.prefix,
    l1: false,
    redis: { url: redis.url, failOnUnavailable: true },
  });
  const peers = l2Peers(redis, 'l2');
  try {
    return await fill(stack, peers, redis);
  } catch (error) {
    await stack.close();
    await peers.close();
    throw error;
  }
}

async function fill(stack: CacheStack, peers: L2Peers, redis: BenchRedis): Promise<L2Fixture> {
  await stack.connect();
  if (engineOf(stack).l1 !== undefined) throw new Error('the stack under test must have no L1');
  await stack.set('product', makeValue(), { ttl: '10m' });

  const raw = await redis.client();
  const rawKey = `${redis.prefix}:raw:product`;
  await raw.set(rawKey, VALUE_JSON, 'PX', 600_000);

  const store = redisInsStore(await redis.client());
  const peerKey = `${redis.prefix}:peer:product`;
  await store.set(peerKey, makeValue(), 600_000);

  const peerReads = await l2PeerReads(peers, 'product', makeValue());
  const subjects: Subject[] = [
    {
      name: RAW,
      run: async () => {
        const json = await raw.get(rawKey);
        return json === null ? undefined : (JSON.parse(json) as unknown);
      },
    },
    { name: STRATA, run: () => stack.get('product') },
    { name: PEER, run: () => store.get(peerKey) },
    ...peerReads,
  ];
  for (const subject of subjects) {
    // JSON-equal, not deep-equal: telejson (the peer's codec) revives the ISO date string as a Date.
    if (JSON.stringify(await subject.run()) !== VALUE_JSON)
      throw new Error(`${subject.name}: the stored value differs`);
  }
  let errors = 0;
  stack.events.on('l2:error', () => errors++);
  return {
    subjects,
    async close() {
      await stack.close();
      await peers.close();
      if (errors > 0) throw new Error(`${errors} L2 errors during the measurement`);
    },
  };
}

function describe(redis: BenchRedis): string {
  return `Redis ${redis.version} (${redis.source}) on ${new URL(redis.url).host}; keys under the unique prefix \`${redis.prefix}\`, deleted afterwards.`;
}

/** Scenario 3: sequential L2 hits, p50 and p99 per call. */
export async function l2LatencyScenario(redis: BenchRedis): Promise<ScenarioResult> {
  const fixture = await l2Fixture(redis);
  try {
    const before = await redis.commandStats();
    const samples = await alternateLatencies(fixture.subjects, LATENCY);
    const after = await redis.commandStats();
    const at = (name: string): Float64Array => samples.get(name) ?? new Float64Array();
    const value = (name: string): string =>
      `p50 ${formatNs(percentile(at(name), 50))}, p99 ${formatNs(percentile(at(name), 99))}`;
    const row = (subject: string, target: ResultRow['target']): ResultRow => ({
      scenario: '3',
      subject,
      subjectValue: value(subject),
      baseline: RAW,
      baselineValue: value(RAW),
      ratio: percentile(at(subject), 50) / percentile(at(RAW), 50),
      ...(target ? { target } : {}),
    });
    return {
      title: '3. L2 hit latency, untagged entry, sequential calls',
      method:
        `A CacheStack with \`redis\` and \`l1: false\` (with Redis, L1 is on by default; the invalidation bus, on, only announces writes and does nothing on a read) calling get(key) on an untagged ~1 KB entry; baseline: GET + JSON.parse of the same JSON on a separate plain ioredis client; peer: cache-manager-ioredis-yet's \`redisInsStore(client).get\` on a third client, value written through its \`set\` (its telejson codec also revives the ISO date string as a Date). ${L2_PEERS_METHOD} Each on connections of its own. ${LATENCY.warmupCalls.toLocaleString('en-US')} warm-up calls each, then ${LATENCY.blocks} blocks of ${LATENCY.callsPerBlock} sequential awaited calls per subject, blocks alternating (order rotating); every call timed on its own with process.hrtime.bigint(), no forced GC. Ratio: p50 / p50 of the baseline. ` +
        describe(redis),
      rows: [
        row(STRATA, { op: '<=', value: 1.25 }),
        row(PEER, undefined),
        row(BENTO_L2_GET, undefined),
        row(CACHEABLE_L2_GET, undefined),
      ],
      notes: [
        ...(redis.external ? [] : serverTimeNotes(before, after)),
        'On a small VM the baseline round trip is bimodal (about 30 µs when the kernel runs Node and redis-server on one core, about 80 µs on two), and a fixed per-call cost weighs more against the shorter one: the ratio moves with it. See README.md.',
      ],
    };
  } finally {
    await fixture.close();
  }
}

/**
 * Server time per call during the measurement, from `INFO commandstats` deltas (private server
 * only: on a shared one other clients' traffic would be counted). The Strata read is one MGET
 * (the entry and its namespace time); the baseline and the peers are one GET each.
 */
function serverTimeNotes(before: Map<string, CommandStat>, after: Map<string, CommandStat>): string[] {
  const perCall = (command: string): string | undefined => {
    const a = after.get(command);
    if (a === undefined) return undefined;
    const b = before.get(command) ?? { calls: 0, usec: 0 };
    const calls = a.calls - b.calls;
    return calls > 0 ? `${((a.usec - b.usec) / calls).toFixed(2)} µs over ${calls} calls` : undefined;
  };
  const get = perCall('get');
  const mget = perCall('mget');
  return [
    `Redis server time per call during this measurement (INFO commandstats): GET ${get ?? 'n/a'} (baseline and peers: cache-manager-ioredis-yet, BentoCache, cacheable); MGET ${mget ?? 'n/a'} (Strata: the entry and its namespace time in one command; tags announced by the caller ride along, others cost one more MGET).`,
  ];
}

/** Scenario 4: L2 hits per second with 50 calls in flight. */
export async function l2ThroughputScenario(redis: BenchRedis): Promise<ScenarioResult> {
  const fixture = await l2Fixture(redis);
  try {
    const samples = await alternateThroughput(fixture.subjects, THROUGHPUT);
    const at = (name: string): number[] => samples.get(name) ?? [];
    const row = (subject: string, target: ResultRow['target']): ResultRow => ({
      scenario: '4',
      subject,
      subjectValue: formatRate(median(at(subject))),
      baseline: RAW,
      baselineValue: formatRate(median(at(RAW))),
      ratio: median(at(subject)) / median(at(RAW)),
      spread: pairedRatioSpread(at(subject), at(RAW)),
      ...(target ? { target } : {}),
    });
    return {
      title: `4. L2 hit throughput, ${THROUGHPUT.concurrency} in flight`,
      method:
        `Same subjects and connections as scenario 3. ${THROUGHPUT.concurrency} concurrent loops each await one call after another; one ${THROUGHPUT.warmupMs} ms warm-up round per subject, then ${THROUGHPUT.rounds} rounds of ${THROUGHPUT.roundMs} ms per subject (${(THROUGHPUT.rounds * THROUGHPUT.roundMs) / 1000} s each), alternating, no forced GC. Value: median completed hits per second over the rounds; ratio: subject / baseline (≥ target is good), with the interquartile range of the per-round ratios. ` +
        describe(redis),
      rows: [
        row(STRATA, { op: '>=', value: 0.8 }),
        row(PEER, undefined),
        row(BENTO_L2_GET, undefined),
        row(CACHEABLE_L2_GET, undefined),
      ],
    };
  } finally {
    await fixture.close();
  }
}
