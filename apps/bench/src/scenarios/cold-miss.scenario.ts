import { CacheStack } from '@strata/core';
import { caching } from 'cache-manager-v5';
import { redisInsStore } from 'cache-manager-ioredis-yet';
import { alternateLatencies, type LatencyOptions, type Subject } from '../measure.js';
import type { BenchRedis } from '../redis.js';
import { formatNs, type ResultRow, type ScenarioResult, type Target } from '../report.js';
import { percentile } from '../stats.js';
import { makeValue, VALUE_JSON, type Product } from '../value.js';

const LATENCY: LatencyOptions = { callsPerBlock: 200, blocks: 20, warmupCalls: 1_000 };
/** Cold misses of Strata alone, between two `INFO commandstats`, for the round trips per miss. */
const COUNTED_MISSES = 500;
const TTL_MS = 60_000;

const RAW = 'ioredis GET + SET (sequential)';
/** The least any design with three awaited round trips per cold miss pays. */
const THREE_TRIPS = 'ioredis GET + script + SET (3 round trips)';
const STRATA = 'Strata getOrLoad (defaults: L1, bus, lease)';

/** A subject of the scenario: opened on the bench's Redis, it loads one fresh key per call. */
interface ColdMissSubject {
  readonly name: string;
  /** Absent for peers reported for context. */
  readonly target?: Target;
  open(redis: BenchRedis, prefix: string): Promise<OpenSubject>;
}

interface OpenSubject {
  /** Gets `key`, which no call used before, through the 0 ms loader. */
  miss(key: string, loader: () => Promise<Product>): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * The subjects, baseline first. Peers are rows of their own: add one by adding an entry here (its
 * own connection, its own key prefix).
 */
const SUBJECTS: readonly ColdMissSubject[] = [
  {
    name: RAW,
    async open(redis, prefix) {
      const client = await redis.client();
      return {
        async miss(key, loader) {
          const stored = await client.get(prefix + key);
          if (stored !== null) return JSON.parse(stored) as unknown;
          const value = await loader();
          await client.set(prefix + key, JSON.stringify(value), 'PX', TTL_MS);
          return value;
        },
        close: () => Promise.resolve(),
      };
    },
  },
  {
    // A cold miss whose claim (time and lease) and write (entry and lease release) are each one
    // script call: the GET, a script call that reads the server's time, and the SET, in turn.
    name: THREE_TRIPS,
    async open(redis, prefix) {
      const client = (await redis.client()) as Awaited<ReturnType<BenchRedis['client']>> & {
        benchNow(): Promise<number>;
      };
      client.defineCommand('benchNow', { numberOfKeys: 0, lua: "return redis.call('TIME')[1]" });
      return {
        async miss(key, loader) {
          const stored = await client.get(prefix + key);
          if (stored !== null) return JSON.parse(stored) as unknown;
          await client.benchNow();
          const value = await loader();
          await client.set(prefix + key, JSON.stringify(value), 'PX', TTL_MS);
          return value;
        },
        close: () => Promise.resolve(),
      };
    },
  },
  {
    name: STRATA,
    target: { op: '<=', value: 1.5 },
    async open(redis, prefix) {
      const stack = new CacheStack({ prefix, redis: { url: redis.url, failOnUnavailable: true } });
      let errors = 0;
      stack.events.on('l2:error', () => errors++);
      await stack.connect();
      return {
        miss: (key, loader) => stack.getOrLoad(key, loader, { ttl: TTL_MS }),
        async close() {
          await stack.close();
          if (errors > 0) throw new Error(`${errors} L2 errors during the measurement`);
        },
      };
    },
  },
  {
    name: 'Strata getOrLoad (L1, bus, lease: false)',
    async open(redis, prefix) {
      const stack = new CacheStack({
        prefix,
        redis: { url: redis.url, failOnUnavailable: true },
        lease: false,
      });
      await stack.connect();
      return {
        miss: (key, loader) => stack.getOrLoad(key, loader, { ttl: TTL_MS }),
        close: () => stack.close(),
      };
    },
  },
  {
    name: 'cache-manager 5 wrap (ioredis-yet)',
    async open(redis, prefix) {
      const manager = await caching(redisInsStore(await redis.client(), { ttl: TTL_MS }));
      return {
        miss: (key, loader) => manager.wrap(prefix + key, loader, TTL_MS),
        close: () => Promise.resolve(),
      };
    },
  },
];

/** The value every load returns, built once: a call times the cache, not the building of its value. */
const VALUE = makeValue();
/** The 0 ms loader: the prebuilt ~1 KB bench value. */
const loader = (): Promise<Product> => Promise.resolve(VALUE);

/** Sequential calls of `open`, each on a key never used before. */
function freshKeys(name: string, open: OpenSubject): Subject {
  let next = 0;
  return { name, run: () => open.miss(`k${next++}`, loader) };
}

/**
 * Round trips per Strata cold miss: the commands its client sent during {@link COUNTED_MISSES}
 * misses of Strata alone, from `INFO commandstats` deltas. Redis counts the commands a script runs
 * under their own names, so `GET`, `SET`, `DEL`, `TIME` and `GETRANGE` are those of the scripts
 * (a Strata read is an `MGET`: the entry and its namespace time); the client's are the `MGET`s,
 * the `EVALSHA`s and `EVAL`s (a script's first call, or a lease released apart), and `PUBLISH`es.
 */
async function roundTrips(redis: BenchRedis, strata: Subject): Promise<{ perMiss: number; detail: string }> {
  const before = await redis.commandStats();
  for (let i = 0; i < COUNTED_MISSES; i++) await strata.run();
  const after = await redis.commandStats();
  const delta = (name: string): number => (after.get(name)?.calls ?? 0) - (before.get(name)?.calls ?? 0);
  const usec = (name: string): number => (after.get(name)?.usec ?? 0) - (before.get(name)?.usec ?? 0);
  const serverTime = (name: string): string =>
    delta(name) > 0 ? ` (${(usec(name) / delta(name)).toFixed(1)} µs of server time each)` : '';
  const listed = (names: readonly string[]): string =>
    names.map((name) => `${name.toUpperCase()} ${delta(name)}`).join(', ');
  const sent = ['mget', 'evalsha', 'eval', 'publish'];
  const total = sent.reduce((sum, name) => sum + delta(name), 0);
  return {
    perMiss: total / COUNTED_MISSES,
    detail: `${sent.map((name) => `${name.toUpperCase()} ${delta(name)}${serverTime(name)}`).join(', ')}; run inside the scripts: ${listed(['time', 'getrange', 'get', 'set', 'del'])}`,
  };
}

/**
 * Scenario 13: p50 of a sequential cold miss (`getOrLoad` of a fresh key, 0 ms loader) with the
 * Redis defaults, against the plain `GET` + `SET` pair an application would write by hand.
 */
export async function coldMissScenario(redis: BenchRedis): Promise<ScenarioResult> {
  const opened: OpenSubject[] = [];
  try {
    const subjects: Subject[] = [];
    for (const [i, subject] of SUBJECTS.entries()) {
      const open = await subject.open(redis, `${redis.prefix}-s13-${i}`);
      opened.push(open);
      subjects.push(freshKeys(subject.name, open));
    }
    for (const subject of subjects) {
      if (JSON.stringify(await subject.run()) !== VALUE_JSON) throw new Error(`${subject.name}: wrong value`);
    }
    const samples = await alternateLatencies(subjects, LATENCY);
    const strata = subjects[SUBJECTS.findIndex((s) => s.target !== undefined)] as Subject;
    const trips = redis.external ? undefined : await roundTrips(redis, strata);
    const at = (name: string): Float64Array => samples.get(name) ?? new Float64Array();
    const value = (name: string): string =>
      `p50 ${formatNs(percentile(at(name), 50))}, p99 ${formatNs(percentile(at(name), 99))}`;
    const rows: ResultRow[] = SUBJECTS.slice(1).map((subject) => ({
      scenario: '13',
      subject: subject.name,
      subjectValue: value(subject.name),
      baseline: RAW,
      baselineValue: value(RAW),
      ratio: percentile(at(subject.name), 50) / percentile(at(RAW), 50),
      ...(subject.target ? { target: subject.target } : {}),
    }));
    rows.push({
      scenario: '13',
      subject: STRATA,
      subjectValue: value(STRATA),
      baseline: THREE_TRIPS,
      baselineValue: value(THREE_TRIPS),
      ratio: percentile(at(STRATA), 50) / percentile(at(THREE_TRIPS), 50),
    });
    return {
      title: '13. Cold miss latency, sequential calls',
      method:
        `Each call gets a key no call used before, through a loader that returns the prebuilt ~1 KB bench value at once (0 ms); every subject encodes it to JSON for Redis. Strata: \`getOrLoad\` on a CacheStack with the Redis defaults (L1, invalidation bus, cross-instance lease), and with \`lease: false\` for context; baseline: GET, then SET of the value's JSON with PX, on a plain ioredis client; the least a cold miss of three awaited round trips costs (Strata's: the read, one script for the miss token and the lease, one for the write and the lease release): GET, a script call that returns the server's time, then the SET; peer: cache-manager 5 \`wrap\` over cache-manager-ioredis-yet. Each subject on its own connection and key prefix. ${LATENCY.warmupCalls.toLocaleString('en-US')} warm-up calls each, then ${LATENCY.blocks} blocks of ${LATENCY.callsPerBlock} sequential awaited calls per subject, blocks alternating (order rotating); every call timed on its own. Ratio: p50 / p50 of the baseline. ` +
        `Redis ${redis.version} (${redis.source}); keys under \`${redis.prefix}\`, deleted afterwards.`,
      rows,
      notes:
        trips === undefined
          ? [
              'Round trips per cold miss not measured: INFO commandstats of a shared Redis counts other clients.',
            ]
          : [
              `Round trips per Strata cold miss: ${trips.perMiss.toFixed(2)}, from INFO commandstats over ${COUNTED_MISSES} more cold misses of Strata alone: ${trips.detail}. The baseline is 2 (GET, SET).`,
            ],
    };
  } finally {
    for (const open of opened) await open.close();
  }
}
