/**
 * Runs one scenario on both builds in alternating rounds: each round times one sample of the old
 * build and one of the new, in an order that flips every round, with the same operation count,
 * so drift (CPU frequency, other processes, Redis load, heap growth) falls on both alike.
 */
import { collectGarbage } from '../measure.js';

/** How a sample is taken and which way is better. */
export type SampleKind = 'latency' | 'throughput';

/** A scenario's operation on one build, ready to be timed. */
export interface Fixture {
  /** One operation; must not resolve to `undefined` (a read that missed). */
  readonly op: () => Promise<unknown>;
  /** Checks what the operations left (loader runs, handler runs) and releases everything. */
  close(): Promise<void>;
}

/** How many operations a sample takes. */
export interface SampleShape {
  readonly kind: SampleKind;
  /** Operations per sample. */
  readonly ops: number;
  /** Operations in flight (throughput samples). */
  readonly concurrency?: number;
}

/** What one sample measured. */
export interface Sample {
  /** Wall clock: ns per operation (latency) or operations per second (throughput). */
  readonly wall: number;
  /**
   * CPU time of this process (user + system, all threads) per operation, in ns: what the code
   * costs, unaffected by the time the process waits for the CPU while other processes run.
   */
  readonly cpu: number;
}

function cpuNs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) * 1_000;
}

/** Sequential awaited calls, or `concurrency` loops sharing `ops` calls. */
async function runOps(op: () => Promise<unknown>, ops: number, concurrency: number): Promise<void> {
  let next = 0;
  let misses = 0;
  const loop = async (): Promise<void> => {
    while (next < ops) {
      next++;
      if ((await op()) === undefined) misses++;
    }
  };
  if (concurrency === 1) await loop();
  else await Promise.all(Array.from({ length: concurrency }, loop));
  if (misses > 0) throw new Error(`${misses} of ${ops} operations returned undefined`);
}

/** One sample of `fixture`, after a forced GC (outside the timed region) when `--expose-gc` is on. */
export async function sample(fixture: Fixture, shape: SampleShape): Promise<Sample> {
  collectGarbage();
  const cpu0 = cpuNs();
  const start = process.hrtime.bigint();
  await runOps(fixture.op, shape.ops, shape.kind === 'latency' ? 1 : (shape.concurrency ?? 1));
  const elapsed = Number(process.hrtime.bigint() - start);
  const cpu = (cpuNs() - cpu0) / shape.ops;
  return { wall: shape.kind === 'latency' ? elapsed / shape.ops : shape.ops / (elapsed / 1e9), cpu };
}

/** The samples of both builds, paired by round. */
export interface PairedSamples {
  readonly old: Sample[];
  readonly new: Sample[];
}

/**
 * `warmup` unrecorded samples of each build (so both are optimized before timing), then `rounds`
 * rounds of one sample each, the old build first in even rounds and the new one first in odd ones.
 */
export async function alternateRounds(
  fixtures: { readonly old: Fixture; readonly new: Fixture },
  shape: SampleShape,
  rounds: number,
  warmup: number,
): Promise<PairedSamples> {
  for (let i = 0; i < warmup; i++) {
    await sample(i % 2 === 0 ? fixtures.old : fixtures.new, shape);
    await sample(i % 2 === 0 ? fixtures.new : fixtures.old, shape);
  }
  const samples: PairedSamples = { old: [], new: [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['old', 'new'] as const) : (['new', 'old'] as const);
    for (const which of order) samples[which].push(await sample(fixtures[which], shape));
  }
  return samples;
}
