import { closeAll, startChildren, type ChildHandle } from '../child-process.js';
import type { LoadCommands, LoadReport, LoadSubject } from '../children/load-instance.js';
import type { BenchRedis } from '../redis.js';
import type { ResultRow, ScenarioResult } from '../report.js';
import { median } from '../stats.js';

const PROCESSES = 3;
const CALLS = 200;
const LOADER_MS = 50;
const ROUNDS = 10;

const SUBJECTS: readonly { readonly id: LoadSubject; readonly name: string }[] = [
  { id: 'strata', name: 'Strata getOrLoad (default: lease)' },
  { id: 'strata-no-lease', name: 'Strata getOrLoad (lease: false)' },
  { id: 'cache-manager', name: 'cache-manager 5 wrap (ioredis-yet)' },
  { id: 'bentocache', name: 'BentoCache getOrSet' },
  { id: 'cacheable', name: 'cacheable getOrSet' },
];
const BASELINE = 'cache-manager 5 wrap (ioredis-yet)';

/** One round of one subject: what the three processes did. */
interface Round {
  readonly runs: number;
  /** From the first process starting its calls to the last call resolving, ms. */
  readonly wallMs: number;
  /** Between the first and the last process starting its calls, ms. */
  readonly startSpreadMs: number;
}

/** 200 calls split over the processes: 67, 67, 66. */
function callsOf(index: number): number {
  return Math.floor(CALLS / PROCESSES) + (index < CALLS % PROCESSES ? 1 : 0);
}

async function round(
  children: readonly ChildHandle<LoadCommands>[],
  subject: LoadSubject,
  key: string,
): Promise<Round> {
  // Sent back to back: each child starts its calls as soon as its message arrives.
  const reports: LoadReport[] = await Promise.all(
    children.map((child, i) => child.request('load', subject, key, callsOf(i), LOADER_MS)),
  );
  for (const [i, report] of reports.entries()) {
    if (report.wrong > 0)
      throw new Error(`${subject}: ${report.wrong} calls in process ${i + 1} got a wrong value`);
    if (report.l2Errors > 0) throw new Error(`${subject}: ${report.l2Errors} L2 errors in process ${i + 1}`);
  }
  const starts = reports.map((r) => r.startedAt);
  return {
    runs: reports.reduce((sum, r) => sum + r.runs, 0),
    wallMs: Math.max(...reports.map((r) => r.endedAt)) - Math.min(...starts),
    startSpreadMs: Math.max(...starts) - Math.min(...starts),
  };
}

/**
 * Scenario 8: loader runs for 200 concurrent cold calls of one key spread over three processes
 * on one Redis: Strata's cross-instance lease against per-process coalescing.
 */
export async function coldLoadScenario(redis: BenchRedis): Promise<ScenarioResult> {
  const children = await startChildren<LoadCommands>('load-instance', 'load-instance', PROCESSES);
  try {
    await Promise.all(children.map((child) => child.request('init', redis.url, `${redis.prefix}-s8`)));
    const rounds = new Map<LoadSubject, Round[]>(SUBJECTS.map((s) => [s.id, []]));
    // One unrecorded round per subject: connections, script loading, JIT.
    for (const subject of SUBJECTS) await round(children, subject.id, 'warm-up');
    for (let r = 0; r < ROUNDS; r++) {
      const order = [...SUBJECTS.slice(r % SUBJECTS.length), ...SUBJECTS.slice(0, r % SUBJECTS.length)];
      for (const subject of order)
        rounds.get(subject.id)?.push(await round(children, subject.id, `round-${r}`));
    }

    const of = (id: LoadSubject): Round[] => rounds.get(id) ?? [];
    const runs = (id: LoadSubject): number[] => of(id).map((r) => r.runs);
    const runsText = (id: LoadSubject): string =>
      `median ${median(runs(id))}, max ${Math.max(...runs(id))} runs`;
    const baselineId: LoadSubject = 'cache-manager';
    const row = (id: LoadSubject, name: string, target: ResultRow['target']): ResultRow => ({
      scenario: '8',
      subject: name,
      subjectValue: runsText(id),
      baseline: BASELINE,
      baselineValue: runsText(baselineId),
      ratio: median(runs(id)) / median(runs(baselineId)),
      ...(target ? { target } : {}),
    });
    const maxStrata = Math.max(...runs('strata'));
    const wall = (id: LoadSubject): string => `${median(of(id).map((r) => r.wallMs)).toFixed(0)} ms`;
    const spread = Math.max(...SUBJECTS.flatMap((s) => of(s.id).map((r) => r.startSpreadMs)));
    return {
      title: '8. Loader runs for 200 concurrent cold calls over 3 processes',
      method: `Three child processes (Node \`fork\`, plain JavaScript on the built packages), each an instance of an app on the same Redis: a CacheStack with the default options (L1, bus and lease on), a CacheStack with \`lease: false\`, and cache-manager 5.7 \`caching(redisInsStore(client))\` + \`wrap\` (which coalesces concurrent calls within one process only), and, as peers, BentoCache \`getOrSet\` (memory L1, Redis L2, Redis bus; its stampede protection is a per-key mutex in the process, with no lock across processes) and cacheable \`getOrSet\` (its README's setup: memory primary, @keyv/redis secondary, \`nonBlocking: true\`, sync; it coalesces concurrent calls of one key within the process), each under its own prefix. The parent sends all three processes a load command back to back; each starts ${callsOf(0)}, ${callsOf(1)} or ${callsOf(2)} concurrent calls (${CALLS} in all) on one cold key whose loader sleeps ${LOADER_MS} ms and counts its runs, and answers once every call has returned the value. One unrecorded round per subject, then ${ROUNDS} rounds with a fresh key each, subjects alternating (order rotating). Value: total loader runs per round over the three processes, median and max; ratio: median / median of cache-manager. Target: at most 1 run in every round. Redis ${redis.version} (${redis.source}).`,
      rows: [
        row('strata', 'Strata getOrLoad (default: lease)', {
          op: '<=',
          value: 1,
          absolute: { measured: maxStrata, label: 'max 1 run' },
        }),
        row('strata-no-lease', 'Strata getOrLoad (lease: false)', undefined),
        row('bentocache', 'BentoCache getOrSet', undefined),
        row('cacheable', 'cacheable getOrSet', undefined),
      ],
      notes: [
        `Time from the first process starting its calls to the last call returning, median over the rounds (loader: ${LOADER_MS} ms): lease ${wall('strata')}, lease: false ${wall('strata-no-lease')}, cache-manager ${wall('cache-manager')}, BentoCache ${wall('bentocache')}, cacheable ${wall('cacheable')}. With the lease, the processes that did not get it wait for the value by polling Redis (after 5, 10, 20, 40 ms, then every 50 ms), so they see it up to one poll interval after it is stored.`,
        `The three processes started their calls within ${spread.toFixed(1)} ms of each other in every round (wall clock, performance.timeOrigin + performance.now()), well inside the ${LOADER_MS} ms load: the calls overlapped.`,
      ],
    };
  } finally {
    await closeAll(children);
  }
}
