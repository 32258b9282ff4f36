import { describe, expect, it } from 'vitest';
import { GroupCommitBatcher } from './group-commit.batcher.js';

/** A request's result in these tests. */
type AppendResult = { readonly version: number };

/** A send that records its calls and answers when told to. */
function controlledSend() {
  const calls: { partition: number; requests: number[]; answer: (fail?: Error) => void }[] = [];
  const send = (partition: number, requests: readonly number[]) =>
    new Promise<(AppendResult | Error)[]>((resolve, reject) => {
      calls.push({
        partition,
        requests: [...requests],
        answer: (fail) =>
          fail
            ? reject(fail)
            : resolve(requests.map((r) => (r < 0 ? new Error(`bad ${r}`) : { version: r * 10 }))),
      });
    });
  return { calls, send };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommitBatcher', () => {
  it('sends appends made together in one call, in call order, and resolves each with its own result', async () => {
    const { calls, send } = controlledSend();
    const batcher = new GroupCommitBatcher<number, AppendResult>(send, 16, 4);
    const results = [1, 2, 3].map((r) => batcher.submit(0, r));
    await tick();
    expect(calls.map((c) => c.requests)).toEqual([[1, 2, 3]]);
    calls[0]?.answer();
    expect(await Promise.all(results)).toEqual([{ version: 10 }, { version: 20 }, { version: 30 }]);
  });

  it('splits into batches of at most maxBatch, with at most maxInFlight calls per partition', async () => {
    const { calls, send } = controlledSend();
    const batcher = new GroupCommitBatcher<number, AppendResult>(send, 2, 2);
    const results = Array.from({ length: 7 }, (_, i) => batcher.submit(0, i + 1));
    const other = batcher.submit(1, 100);
    await tick();
    // Partition 0: two calls in flight, the rest waits; partition 1 has its own slots.
    expect(calls.map((c) => [c.partition, c.requests])).toEqual([
      [0, [1, 2]],
      [0, [3, 4]],
      [1, [100]],
    ]);
    calls[0]?.answer();
    await tick();
    expect(calls.at(-1)?.requests).toEqual([5, 6]);
    for (let i = 1; i < calls.length; i++) calls[i]?.answer();
    await tick();
    expect(calls.at(-1)?.requests).toEqual([7]);
    calls.at(-1)?.answer();
    expect(await Promise.all(results)).toEqual([1, 2, 3, 4, 5, 6, 7].map((r) => ({ version: r * 10 })));
    expect(await other).toEqual({ version: 1_000 });
  });

  it('rejects only the append whose result is an error', async () => {
    const { calls, send } = controlledSend();
    const batcher = new GroupCommitBatcher<number, AppendResult>(send, 16, 4);
    const results = Promise.allSettled([1, -2, 3].map((r) => batcher.submit(0, r)));
    await tick();
    calls[0]?.answer();
    expect((await results).map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('rejects every append of a failed call, and the next call still goes', async () => {
    const { calls, send } = controlledSend();
    const batcher = new GroupCommitBatcher<number, AppendResult>(send, 16, 1);
    const first = Promise.allSettled([batcher.submit(0, 1), batcher.submit(0, 2)]);
    await tick();
    const later = batcher.submit(0, 3);
    await tick();
    expect(calls).toHaveLength(1); // one slot: 3 waits
    calls[0]?.answer(new Error('connection lost'));
    expect((await first).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await tick();
    calls[1]?.answer();
    expect(await later).toEqual({ version: 30 });
  });

  it('idle() resolves once every queued append has its reply', async () => {
    const { calls, send } = controlledSend();
    const batcher = new GroupCommitBatcher<number, AppendResult>(send, 1, 1);
    const appended = [batcher.submit(0, 1), batcher.submit(0, 2)];
    let idle = false;
    // Called before the first call is even sent.
    const settled = batcher.idle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    calls[0]?.answer();
    await tick();
    expect(idle).toBe(false);
    calls[1]?.answer();
    await settled;
    await Promise.all(appended);
    expect(idle).toBe(true);
  });

  it('flush() sends what waits at once, past maxInFlight, ahead of what is queued after', async () => {
    const { calls, send } = controlledSend();
    const batcher = new GroupCommitBatcher<number, AppendResult>(send, 2, 1);
    const first = [batcher.submit(0, 1), batcher.submit(0, 2), batcher.submit(0, 3)];
    batcher.flush(0);
    // Sent before this turn ends, in calls of at most maxBatch, though only one may be in flight.
    expect(calls.map((c) => c.requests)).toEqual([[1, 2], [3]]);
    const later = batcher.submit(0, 4);
    await tick();
    expect(calls.map((c) => c.requests)).toEqual([[1, 2], [3]]);
    calls[0]?.answer();
    calls[1]?.answer();
    await Promise.all(first);
    await tick();
    expect(calls.map((c) => c.requests)).toEqual([[1, 2], [3], [4]]);
    calls[2]?.answer();
    expect(await later).toEqual({ version: 40 });
  });
});
