/**
 * Measurement primitives. Every function runs its subjects in the same process, alternating them
 * round after round (the order rotates each round), so drift in CPU frequency, GC pressure or
 * Redis load hits every subject alike. Results are raw samples; `stats.ts` reduces them.
 */

/** One thing to measure: an awaited call. */
export interface Subject {
  readonly name: string;
  readonly run: () => Promise<unknown>;
  /**
   * Untimed, after each of this subject's throughput rounds: finishes the background work its
   * calls left (a write-behind flush), so that it does not run in the next subject's round.
   */
  readonly settle?: () => Promise<void>;
}

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

/** Collects garbage outside the timed region when `--expose-gc` is on, so no sample pays for another's. */
export function collectGarbage(): void {
  gc?.();
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

async function timeBatch(run: () => Promise<unknown>, calls: number): Promise<number> {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) if ((await run()) !== undefined) sink++;
  const elapsed = Number(process.hrtime.bigint() - start);
  if (sink !== calls) throw new Error(`a call returned undefined (${calls - sink} of ${calls}): not a hit`);
  return elapsed / calls;
}

/** Options of {@link alternateBatches}. */
export interface BatchOptions {
  /** Sequential awaited calls per sample. */
  readonly calls: number;
  /** Samples per subject. */
  readonly rounds: number;
  /** Unrecorded samples per subject first, so every subject is optimized before timing. */
  readonly warmupRounds: number;
}

/**
 * For fast in-process calls: each sample times `calls` sequential awaited calls with
 * `process.hrtime.bigint()` and records ns per call. Returns the samples of each subject, by name.
 */
export async function alternateBatches(
  subjects: readonly Subject[],
  options: BatchOptions,
): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  for (let round = 0; round < options.warmupRounds; round++) {
    for (const subject of subjects) await timeBatch(subject.run, options.calls);
  }
  for (let round = 0; round < options.rounds; round++) {
    for (const subject of rotate(subjects, round)) {
      collectGarbage();
      samples.get(subject.name)?.push(await timeBatch(subject.run, options.calls));
    }
  }
  return samples;
}

/** Options of {@link alternateLatencies}. */
export interface LatencyOptions {
  /** Sequential calls per block; blocks of the subjects alternate. */
  readonly callsPerBlock: number;
  /** Blocks per subject. */
  readonly blocks: number;
  /** Unrecorded calls per subject first. */
  readonly warmupCalls: number;
}

/**
 * For calls that take a network round trip: times every call on its own (the ~50 ns timer cost is
 * noise next to a round trip) and records ns per call, so percentiles can be taken. No forced GC
 * between blocks: measured here, a full GC every 200 calls slowed every later call (raw GET p50
 * 30 -> 42 µs) and the Strata path more than the baseline, which skewed the ratio.
 */
export async function alternateLatencies(
  subjects: readonly Subject[],
  options: LatencyOptions,
): Promise<Map<string, Float64Array>> {
  for (const subject of subjects) {
    for (let i = 0; i < options.warmupCalls; i++) await subject.run();
  }
  const total = options.callsPerBlock * options.blocks;
  const samples = new Map<string, Float64Array>(subjects.map((s) => [s.name, new Float64Array(total)]));
  for (let block = 0; block < options.blocks; block++) {
    for (const subject of rotate(subjects, block)) {
      const into = samples.get(subject.name) as Float64Array;
      for (let i = 0; i < options.callsPerBlock; i++) {
        const start = process.hrtime.bigint();
        const value = await subject.run();
        into[block * options.callsPerBlock + i] = Number(process.hrtime.bigint() - start);
        if (value === undefined) throw new Error(`${subject.name} returned undefined: not a hit`);
      }
    }
  }
  return samples;
}

/** Options of {@link alternateThroughput}. */
export interface ThroughputOptions {
  /** Concurrent loops, each awaiting one call after another. */
  readonly concurrency: number;
  /** Length of one round, in ms. */
  readonly roundMs: number;
  /** Rounds per subject (subjects alternate between rounds). */
  readonly rounds: number;
  /** Length of the unrecorded first round of each subject, in ms. */
  readonly warmupMs: number;
}

async function runFor(run: () => Promise<unknown>, concurrency: number, ms: number): Promise<number> {
  let completed = 0;
  let misses = 0;
  const start = performance.now();
  const deadline = start + ms;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      if ((await run()) === undefined) misses++;
      completed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = (performance.now() - start) / 1000;
  if (misses > 0) throw new Error(`${misses} of ${completed} calls returned undefined: not hits`);
  return completed / seconds;
}

/**
 * For throughput: `concurrency` loops keep that many calls in flight for `roundMs`; a round
 * records completed calls per second. Returns the rounds of each subject, by name.
 */
export async function alternateThroughput(
  subjects: readonly Subject[],
  options: ThroughputOptions,
): Promise<Map<string, number[]>> {
  for (const subject of subjects) {
    await runFor(subject.run, options.concurrency, options.warmupMs);
    await subject.settle?.();
  }
  const samples = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (const subject of rotate(subjects, round)) {
      samples.get(subject.name)?.push(await runFor(subject.run, options.concurrency, options.roundMs));
      await subject.settle?.();
    }
  }
  return samples;
}

/** Options of {@link alternateCpu}. */
export interface CpuOptions {
  /** Sequential awaited calls per sample. */
  readonly calls: number;
  /** Samples per subject (subjects alternate between samples, order rotating). */
  readonly rounds: number;
  /** Unrecorded calls per subject first. */
  readonly warmupCalls: number;
}

/**
 * For what a call costs this process, apart from waiting: each sample runs `calls` sequential
 * awaited calls and records the process's CPU time (user + system, `process.cpuUsage`) per call,
 * in ns. Other processes on the machine slow the wall clock, not this count. Returns the samples
 * of each subject, by name.
 */
export async function alternateCpu(
  subjects: readonly Subject[],
  options: CpuOptions,
): Promise<Map<string, number[]>> {
  for (const subject of subjects) {
    for (let i = 0; i < options.warmupCalls; i++) await subject.run();
  }
  const samples = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (const subject of rotate(subjects, round)) {
      const before = process.cpuUsage();
      for (let i = 0; i < options.calls; i++) {
        if ((await subject.run()) === undefined)
          throw new Error(`${subject.name} returned undefined: not a hit`);
      }
      const used = process.cpuUsage(before);
      samples.get(subject.name)?.push(((used.user + used.system) * 1_000) / options.calls);
    }
  }
  return samples;
}
