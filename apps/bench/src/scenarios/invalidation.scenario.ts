import { closeAll, startChildren, type ChildHandle } from '../child-process.js';
import { peerOf, type BusCommands, type TimedWrite, type WriteOp } from '../children/bus-instance.js';
import { clockOffset, describeSkew, signedMs as signed, type ClockOffset } from '../clock-offset.js';
import type { BenchRedis } from '../redis.js';
import { formatNs, type ResultRow, type ScenarioResult } from '../report.js';
import { percentile } from '../stats.js';

const READERS = 2;
const BLOCKS = 10;
const KEYS_PER_BLOCK = 100;
/** Unrecorded writes per op first, so that every op's write path runs optimized (50 left it partly interpreted). */
const WARMUP_KEYS = 500;
/** Pause between two writes, so each invalidation travels alone. */
const GAP_MS = 1;
/** Pause for messages still in flight (after a fill, after a block). */
const SETTLE_MS = 20;
const TARGET_P99_MS = 5;

const OPS: readonly WriteOp[] = [
  'set',
  'delete',
  'publish',
  'bento-set',
  'bento-delete',
  'cacheable-set',
  'cacheable-delete',
];
const NAMES: Readonly<Record<WriteOp, string>> = {
  set: 'Strata set → peer L1 drop',
  delete: 'Strata delete → peer L1 drop',
  publish: 'ioredis PUBLISH → message',
  'bento-set': 'BentoCache set → peer L1 expiry',
  'bento-delete': 'BentoCache delete → peer L1 drop',
  'cacheable-set': 'cacheable set → peer L1 update (sync)',
  'cacheable-delete': 'cacheable delete → peer L1 drop (sync)',
};
/** Rows without a target: the peers, for context. */
const PEER_OPS: readonly WriteOp[] = ['bento-set', 'bento-delete', 'cacheable-set', 'cacheable-delete'];

type Bus = ChildHandle<BusCommands>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Latencies of one op, in ms: from the writer's call and from its return to the reader's drop. */
interface OpSamples {
  readonly fromCall: number[];
  readonly fromReturn: number[];
}

/**
 * Prepares a block (the readers hold every key in L1, or watch the raw messages), lets the writer
 * change every key, and returns the writes with what each reader saw.
 */
async function block(
  writer: Bus,
  readers: readonly Bus[],
  op: WriteOp,
  keys: readonly string[],
): Promise<{ writes: TimedWrite[]; seen: Map<string, number>[] }> {
  if (op === 'publish') {
    await Promise.all(readers.map((reader) => reader.request('watchRaw', keys)));
  } else {
    const peer = peerOf(op);
    await writer.request('fill', keys, peer);
    // The fill's own bus messages must reach the readers before they read the keys into L1.
    await sleep(SETTLE_MS);
    const inL1 = await Promise.all(readers.map((reader) => reader.request('prime', keys, peer)));
    if (inL1.some((count) => count !== keys.length))
      throw new Error(`a reader holds ${inL1.join('/')} of ${keys.length} keys in L1 before the ${op}s`);
  }
  const writes = await writer.request('write', op, keys, GAP_MS);
  await sleep(SETTLE_MS);
  const seen = await Promise.all(readers.map(async (reader) => new Map(await reader.request('collect'))));
  return { writes, seen };
}

/** Scenario 9: from a write in one process to the drop of the L1 copies in the others. */
export async function invalidationScenario(redis: BenchRedis): Promise<ScenarioResult> {
  const children = await startChildren<BusCommands>('bus-instance', 'bus-instance', 1 + READERS);
  try {
    const [writer, ...readers] = children as [Bus, ...Bus[]];
    const prefix = `${redis.prefix}-s9`;
    await Promise.all(children.map((child) => child.request('init', redis.url, prefix, `${prefix}:raw`)));
    const offsets = await Promise.all(children.map(clockOffset));

    for (const op of OPS) {
      await block(
        writer,
        readers,
        op,
        Array.from({ length: WARMUP_KEYS }, (_, i) => `warm-${op}-${i}`),
      );
    }
    const samples = new Map<WriteOp, OpSamples>(OPS.map((op) => [op, { fromCall: [], fromReturn: [] }]));
    let missing = 0;
    /** A peer's lost invalidations are a result (reported), not a failure of the scenario. */
    const peerMissing = new Map<WriteOp, number>(PEER_OPS.map((op) => [op, 0]));
    for (let b = 0; b < BLOCKS; b++) {
      const order = [...OPS.slice(b % OPS.length), ...OPS.slice(0, b % OPS.length)];
      for (const op of order) {
        const keys = Array.from({ length: KEYS_PER_BLOCK }, (_, i) => `${op}-${b}-${i}`);
        const { writes, seen } = await block(writer, readers, op, keys);
        const into = samples.get(op) as OpSamples;
        for (const bySeen of seen) {
          for (const write of writes) {
            const at = bySeen.get(write.key);
            if (at === undefined) {
              if (peerMissing.has(op)) peerMissing.set(op, (peerMissing.get(op) ?? 0) + 1);
              else missing++;
              continue;
            }
            into.fromCall.push(at - write.start);
            into.fromReturn.push(at - write.end);
          }
        }
      }
    }
    if (missing > 0)
      throw new Error(`${missing} invalidations never reached a reader (within ${SETTLE_MS} ms)`);
    const of = (op: WriteOp): OpSamples => samples.get(op) as OpSamples;
    const negative = OPS.reduce((sum, op) => sum + of(op).fromCall.filter((ms) => ms <= 0).length, 0);
    if (negative > 0) throw new Error(`${negative} drops seen before the write began: the clocks disagree`);

    const p = (values: readonly number[], q: number): number => percentile(values, q);
    const text = (op: WriteOp): string =>
      `p50 ${formatNs(p(of(op).fromCall, 50) * 1e6)}, p99 ${formatNs(p(of(op).fromCall, 99) * 1e6)}`;
    const row = (op: WriteOp): ResultRow => {
      const p99 = p(of(op).fromCall, 99);
      const peer = peerOf(op) !== undefined;
      return {
        scenario: '9',
        subject: NAMES[op],
        subjectValue: text(op),
        baseline: NAMES.publish,
        baselineValue: text('publish'),
        ratio: p(of(op).fromCall, 50) / p(of('publish').fromCall, 50),
        ...(peer
          ? {}
          : {
              target: {
                op: '<=',
                value: TARGET_P99_MS,
                absolute: { measured: p99, label: `p99 ≤ ${TARGET_P99_MS} ms` },
              },
            }),
      };
    };
    const early = (op: WriteOp): string => {
      const values = of(op).fromReturn;
      const share = (100 * values.filter((ms) => ms < 0).length) / values.length;
      return `${op}: p50 ${signed(p(values, 50))}, p99 ${signed(p(values, 99))}, already dropped in ${share.toFixed(0)} % of samples`;
    };
    const [writerOffset, ...readerOffsets] = offsets as [ClockOffset, ...ClockOffset[]];
    const skew = describeSkew(writerOffset, readerOffsets);
    const perOp = READERS * BLOCKS * KEYS_PER_BLOCK;
    return {
      title: '9. Invalidation propagation latency across processes',
      method: `Three child processes on the same Redis and prefix, each a CacheStack with the default options (L1 in front of Redis, invalidation bus on): one writer, ${READERS} readers. In each block the writer stores ${KEYS_PER_BLOCK} fresh keys, the readers read them into L1, then the writer sets (or deletes) them one after another, ${GAP_MS} ms apart; each reader records when each key leaves its L1: a wrapper around its L1's \`deleteRemote\` (the bus handler's way in) takes the time right after it and checks that \`peek\` now misses, so no polling. Baseline, measured the same way and interleaved: the writer PUBLISHes each key with a plain ioredis client and each reader's plain subscriber records the message's arrival. Peers, in the same processes and blocks, each under its own prefix and set up as its docs recommend: BentoCache (memory L1, Redis L2, Redis bus), whose readers, on the bus message of another instance's set, mark the key expired in L1 (the next read goes to Redis) and, on a delete, drop it; the time taken is that of its \`bus:message:received\` event, emitted synchronously just before it does so (BentoCache has no L1-only read to check it with). cacheable (memory primary, @keyv/redis, \`nonBlocking: true\`, CacheableSync on Redis pub/sub), whose readers, on another instance's set, store the new value (carried in the message) in their primary and, on a delete, delete it; the time taken is when that primary write resolves (a wrapper around the primary Keyv's \`set\` and \`delete\`). Their writers await the L2 write (BentoCache) or only the primary's (cacheable, non-blocking) and then their PUBLISH; every op takes every block, so that each compares with the others over the same stretch of time (this machine's speed changes within seconds). Times are wall clock (\`performance.timeOrigin + performance.now()\`, one system clock for all processes); latency runs from just before the writer's call (it includes the write itself: for Strata one EVALSHA, whose script stores the entry or the delete marker, sets the key's change time and PUBLISHes the announcement) to the reader's drop. One unrecorded block of ${WARMUP_KEYS} keys per op, then ${BLOCKS} blocks per op, alternating (order rotating): ${perOp.toLocaleString('en-US')} samples per op (${BLOCKS * KEYS_PER_BLOCK} writes × ${READERS} readers). Ratio: p50 / p50 of the raw PUBLISH; target (loopback): p99 ≤ ${TARGET_P99_MS} ms. Redis ${redis.version} (${redis.source}).`,
      rows: [row('set'), row('delete'), ...PEER_OPS.filter((op) => of(op).fromCall.length > 0).map(row)],
      notes: [
        `From the writer's call returning to the reader's drop (negative: the drop came first, since Redis sends a PUBLISH to its subscribers before it answers the publisher, and a Strata write resolves only after the script call that PUBLISHes is answered): ${OPS.filter(
          (op) => of(op).fromReturn.length > 0,
        )
          .map(early)
          .join('; ')}.`,
        `Peers: ${PEER_OPS.map((op) => `${NAMES[op]}: ${peerMissing.get(op) ?? 0} of ${((READERS * BLOCKS * KEYS_PER_BLOCK) / 2).toLocaleString('en-US')} never seen within ${SETTLE_MS} ms`).join('; ')}.`,
        `Clock offset of the readers against the writer, estimated from the fastest of 50 IPC round trips with each: ${skew}. Every sample was positive and every invalidation arrived.`,
      ],
    };
  } finally {
    await closeAll(children);
  }
}
