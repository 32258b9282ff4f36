import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, vi } from 'vitest';

/** A promise with its resolve and reject exposed, for loaders a test releases at a chosen moment. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A key prefix no other test uses, so tests sharing a Redis never see each other's keys. */
export function uniquePrefix(): string {
  return 't' + randomUUID().slice(0, 8);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes; returns whether
 * it became true (callers assert on it, so a timeout fails with their message).
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  // `performance.now()`, not `Date.now()`: tests that fake `Date` poll with this too.
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/**
 * Fakes only `Date` in each test of the calling suite, restored after each. Entries age when the
 * test moves the clock ({@link elapse}) instead of waiting, while sockets and timers stay real (the
 * stack compares entry times to `Date.now()`, ioredis needs its real timers). Redis's own key
 * expiry (`PX`) stays on real time.
 */
export function useFakeDate(): void {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** Moves the faked `Date` (see {@link useFakeDate}) `ms` forward. */
export function elapse(ms: number): void {
  vi.advanceTimersByTime(ms);
}

/** A loader that counts its calls and returns what `produce` gives for the call number. */
export function countingLoader<T>(produce: (call: number) => T | Promise<T>): {
  readonly load: () => Promise<T>;
  readonly calls: () => number;
} {
  let calls = 0;
  return {
    load: async () => produce(++calls),
    calls: () => calls,
  };
}

/**
 * Holds the `nth` call (from 1) of `prototype[method]`, on any instance, until `release` settles,
 * then lets it run: a deterministic window between two steps of an operation. Resolves once that
 * call began. Undone by `vi.restoreAllMocks()`.
 */
export function holdCall<T extends object>(
  prototype: T,
  method: keyof T & string,
  nth: number,
  release: Promise<unknown>,
): Promise<void> {
  type Method = (this: unknown, ...args: unknown[]) => unknown;
  const target = prototype as unknown as Record<string, Method>;
  const original = target[method] as Method;
  const reached = deferred();
  let calls = 0;
  vi.spyOn(target, method).mockImplementation(async function (this: unknown, ...args: unknown[]) {
    if (++calls === nth) {
      reached.resolve();
      await release;
    }
    return original.apply(this, args);
  });
  return reached.promise;
}
