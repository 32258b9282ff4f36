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

/** Sequential awaited calls: ns per operation. */
async function latencySample(op: () => Promise<unknown>, ops: number): Promise<number> {
  let misses = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) if ((await op()) === undefined) misses++;
  const elapsed = Number(process.hrtime.bigint() - start);
  if (misses > 0) throw new Error(`${misses} of ${ops} operations returned undefined`);
  return elapsed / ops;
}

/** `concurrency` loops share `ops` operations: operations per second. */
async function throughputSample(op: () => Promise<unknown>, ops: number, concurrency: number): Promise<number> {
  let next = 0;
  let misses = 0;
  const loop = async (): Promise<void> => {
    while (next < ops) {
      next++;
      if ((await op()) === undefined) misses++;
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (misses > 0) throw new Error(`${misses} of ${ops} operations returned undefined`);
  return ops / seconds;
}

/** One sample of `fixture`, after a forced GC (outside the timed region) when `--expose-gc` is on. */
export function sample(fixture: Fixture, shape: SampleShape): Promise<number> {
  collectGarbage();
  return shape.kind === 'latency'
    ? latencySample(fixture.op, shape.ops)
    : throughputSample(fixture.op, shape.ops, shape.concurrency ?? 1);
}

/** The samples of both builds, paired by round. */
export interface PairedSamples {
  readonly old: number[];
  readonly new: number[];
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
