import { CacheStack } from '@strata/core';
import { CACHE_MISS } from '@strata/core/internal';
import { isDeepStrictEqual } from 'node:util';
import { alternateBatches, type BatchOptions, type Subject } from '../measure.js';
import type { BenchRedis } from '../redis.js';
import { ratioRow, type ScenarioResult } from '../report.js';
import { makeValue } from '../value.js';
import { engineOf } from '@strata/core/internal';
import {
  BENTO_L1_COPY,
  BENTO_L1_SHARED,
  CACHEABLE_L1_COPY,
  CACHEABLE_L1_SHARED,
  L1_PEERS_METHOD,
  l1Peers,
  type L1Peers,
} from '../peers/l1-peers.js';

const BATCH: BatchOptions = { calls: 5_000, rounds: 40, warmupRounds: 10 };

const LAYERED = 'CacheStack.get (L1 + Redis)';
const MEMORY = 'CacheStack.get (L1 only)';
const LAYERED_SHARED = 'CacheStack.get (L1 + Redis, shareReferences)';
const MEMORY_SHARED = 'CacheStack.get (L1 only, shareReferences)';

/** A stack holding the value in L1, checked to return it from L1. */
async function primed(stack: CacheStack, name: string): Promise<Subject> {
  await stack.set('product', makeValue(), { ttl: '10m' });
  if (stack.peek('product') === CACHE_MISS) throw new Error(`${name}: the entry is not in L1`);
  if (!isDeepStrictEqual(await stack.get('product'), makeValue()))
    throw new Error(`${name}: the value differs`);
  return { name, run: () => stack.get('product') };
}

/** Scenario 10: an L1 hit of a stack with Redis configured (bus on) against a memory-only stack. */
export async function l1WithRedisScenario(redis: BenchRedis): Promise<ScenarioResult> {
  // The same prefix for the memory-only stacks: a longer key costs more per hit (the full key is
  // built and hashed on every call), which would otherwise be counted against Redis.
  const prefix = (shareReferences: boolean): string => `${redis.prefix}-s10${shareReferences ? 's' : ''}`;
  const withRedis = (shareReferences: boolean): CacheStack =>
    new CacheStack({
      prefix: prefix(shareReferences),
      shareReferences,
      redis: { url: redis.url, failOnUnavailable: true },
    });
  const stacks = {
    memory: new CacheStack({ prefix: prefix(false) }),
    layered: withRedis(false),
    memoryShared: new CacheStack({ prefix: prefix(true), shareReferences: true }),
    layeredShared: withRedis(true),
  };
  let peers: L1Peers | undefined;
  try {
    let l2Errors = 0;
    for (const stack of [stacks.layered, stacks.layeredShared]) {
      stack.events.on('l2:error', () => l2Errors++);
      await stack.connect();
      if (engineOf(stack).l1 === undefined || engineOf(stack).bus?.connected !== true)
        throw new Error('expected L1 and a live bus');
    }
    const subjects = [
      await primed(stacks.memory, MEMORY),
      await primed(stacks.layered, LAYERED),
      await primed(stacks.memoryShared, MEMORY_SHARED),
      await primed(stacks.layeredShared, LAYERED_SHARED),
    ];
    peers = await l1Peers(redis);
    const before = await redis.commandStats();
    const samples = await alternateBatches(subjects, BATCH);
    const after = await redis.commandStats();
    for (const [name, stack] of [
      [LAYERED, stacks.layered],
      [LAYERED_SHARED, stacks.layeredShared],
    ] as const) {
      if (stack.peek('product') === CACHE_MISS) throw new Error(`${name}: the entry left L1 during the run`);
    }
    if (l2Errors > 0) throw new Error(`${l2Errors} L2 errors during the measurement`);
    const peerSamples = await peers.measure([subjects[0] as Subject, subjects[2] as Subject]);
    const reads = ['get', 'mget', 'evalsha'].reduce(
      (sum, command) => sum + (after.get(command)?.calls ?? 0) - (before.get(command)?.calls ?? 0),
      0,
    );
    return {
      title: '10. L1 hit with Redis configured vs L1 only',
      method: `A CacheStack with \`redis\` and the default L1 in front of it (invalidation bus on and connected), against a memory-only CacheStack with the same prefix: the full key is built and hashed on every hit, so a longer prefix alone costs time (in a trial run, the 9-character prefix \`bench-l1s\` against a bench run's ~30-character one gave 266 vs 314 ns per shared hit, which first showed up as a 1.18× "cost of Redis"). Both call get(key) on the 1 KB entry, already in L1 (stored by set, checked with peek before and after the run). Default mode (a fresh decoded copy per hit), and, for context, the same pair with shareReferences: true (the stored frozen object, no decode), where a fixed cost per hit would show most. ${L1_PEERS_METHOD} ${BATCH.warmupRounds} warm-up rounds, then ${BATCH.rounds} rounds; in each round every subject (order rotating) times ${BATCH.calls.toLocaleString('en-US')} sequential awaited calls with process.hrtime.bigint(), after a forced GC. Value: median ns per call; ratio: median / median of the memory-only stack, with the interquartile range of the per-round ratios.`,
      rows: [
        ratioRow('10', samples, LAYERED, MEMORY, { op: '<=', value: 1.1 }),
        ratioRow('10', samples, LAYERED_SHARED, MEMORY_SHARED, undefined),
        ratioRow('10', peerSamples, BENTO_L1_COPY, MEMORY, undefined),
        ratioRow('10', peerSamples, CACHEABLE_L1_COPY, MEMORY, undefined),
        ratioRow('10', peerSamples, BENTO_L1_SHARED, MEMORY_SHARED, undefined),
        ratioRow('10', peerSamples, CACHEABLE_L1_SHARED, MEMORY_SHARED, undefined),
      ],
      notes: redis.external
        ? []
        : [
            `Redis reads (GET, MGET, EVALSHA) during the measurement of the Strata rows: ${reads} (INFO commandstats): every hit came from L1.`,
          ],
    };
  } finally {
    await Promise.all(Object.values(stacks).map((stack) => stack.close()));
    await peers?.close();
  }
}
