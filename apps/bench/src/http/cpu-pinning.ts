/**
 * Where scenario 11's processes run: the server under measurement on a core of its own, the load
 * generator (the bench process) and the Redis server on another, with `taskset` (Linux). With
 * one core, or without `taskset`, nothing is pinned and the plan says so.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** The cores of the run, or why nothing is pinned. */
export type PinningPlan =
  | {
      readonly pinned: true;
      /** The bench process (autocannon) and the Redis server. */
      readonly generatorCpu: number;
      /** Every server child, one at a time under load. */
      readonly serverCpu: number;
    }
  | { readonly pinned: false; readonly why: string };

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The server on the last core, the generator and Redis on the first. */
export function pinningPlan(): PinningPlan {
  if (process.platform !== 'linux') return { pinned: false, why: 'not Linux' };
  const cores = availableParallelism();
  if (cores < 2) return { pinned: false, why: 'one core' };
  if (!hasTaskset()) return { pinned: false, why: 'no taskset' };
  return { pinned: true, generatorCpu: 0, serverCpu: cores - 1 };
}

/** The affinity mask of `pid` (hex, as `taskset -p` prints it). */
export function affinityOf(pid: number): string {
  const out = execFileSync('taskset', ['-p', String(pid)], { encoding: 'utf8' });
  const mask = /mask:\s*([0-9a-f,]+)/i.exec(out)?.[1];
  if (mask === undefined) throw new Error(`taskset: no mask in "${out.trim()}"`);
  return mask;
}

/** Pins every thread of `pid` to `cpu`. */
export function pinTo(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

/** Gives every thread of `pid` the affinity `mask` back (from {@link affinityOf}). */
export function restoreAffinity(pid: number, mask: string): void {
  execFileSync('taskset', ['-a', '-p', mask, String(pid)], { stdio: 'ignore' });
}
