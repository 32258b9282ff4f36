import { describe, expect, it } from 'vitest';
import { deferred } from '../../test/support.js';
import { SingleFlight } from './single-flight.js';

describe('SingleFlight', () => {
  it('runs one task per key and gives every caller its result', async () => {
    const flights = new SingleFlight<{ n: number }>();
    const gate = deferred<{ n: number }>();
    let runs = 0;
    const task = (): Promise<{ n: number }> => {
      runs++;
      return gate.promise;
    };
    const callers = Array.from({ length: 50 }, () => flights.run('k', task));
    expect(flights.size).toBe(1);
    expect(flights.get('k')).toBe(callers[0]);
    const result = { n: 7 };
    gate.resolve(result);
    const results = await Promise.all(callers);
    expect(runs).toBe(1);
    for (const r of results) expect(r).toBe(result);
    expect(flights.size).toBe(0);
    expect(flights.get('k')).toBeUndefined();
  });

  it('gives every caller the same error, and forgets the key afterwards', async () => {
    const flights = new SingleFlight<number>();
    const gate = deferred<number>();
    let runs = 0;
    const failure = new Error('db down');
    const callers = Array.from({ length: 10 }, () =>
      flights.run('k', () => {
        runs++;
        return gate.promise;
      }),
    );
    gate.reject(failure);
    const settled = await Promise.allSettled(callers);
    expect(runs).toBe(1);
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect((s as PromiseRejectedResult).reason).toBe(failure);
    }
    expect(flights.size).toBe(0);
    await expect(flights.run('k', async () => 2)).resolves.toBe(2);
  });

  it('shares a synchronous throw of the task as a rejection', async () => {
    const flights = new SingleFlight<number>();
    const failure = new Error('sync');
    const a = flights.run('k', () => {
      throw failure;
    });
    await expect(a).rejects.toBe(failure);
    expect(flights.size).toBe(0);
    // The failure is not pinned: the next caller runs its own task.
    await expect(flights.run('k', async () => 3)).resolves.toBe(3);
  });

  it('keeps keys apart and starts a new task once the previous one settled', async () => {
    const flights = new SingleFlight<string>();
    const runs: string[] = [];
    const [a, b] = await Promise.all([
      flights.run('a', async () => {
        runs.push('a');
        return 'A';
      }),
      flights.run('b', async () => {
        runs.push('b');
        return 'B';
      }),
    ]);
    expect([a, b]).toStrictEqual(['A', 'B']);
    await flights.run('a', async () => {
      runs.push('a2');
      return 'A2';
    });
    expect(runs).toStrictEqual(['a', 'b', 'a2']);
  });

  it('drain waits for running tasks, whether they succeed or fail', async () => {
    const flights = new SingleFlight<number>();
    const ok = deferred<number>();
    const bad = deferred<number>();
    const first = flights.run('ok', () => ok.promise);
    const second = flights.run('bad', () => bad.promise);
    second.catch(() => undefined);
    let drained = false;
    const drain = flights.drain().then(() => {
      drained = true;
    });
    await Promise.resolve();
    expect(drained).toBe(false);
    ok.resolve(1);
    await first;
    await Promise.resolve();
    expect(drained).toBe(false);
    bad.reject(new Error('x'));
    await drain;
    expect(drained).toBe(true);
  });
});
