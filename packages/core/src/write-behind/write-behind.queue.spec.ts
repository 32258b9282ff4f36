import { afterEach, describe, expect, it } from 'vitest';
import { QueueFullError } from '../errors/queue-full.error.js';
import { sleep } from '../../test/support.js';
import { closeQueues, gate, latestValue, setup, until } from '../../test/write-behind-queue.support.js';

afterEach(closeQueues);

describe('WriteBehindQueue', () => {
  it('coalesces writes to a key (last wins) and hands over the version of the last one', async () => {
    const { queue, writer, put } = setup();
    const versions: number[] = [];
    for (let i = 0; i < 1_000; i++) versions.push(await put(`k${i % 10}`, i));
    expect(new Set(versions).size).toBe(1_000);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(queue.length).toBe(10);

    await queue.flush();
    expect(writer.calls).toEqual([{ kind: 'write', keys: [...Array(10).keys()].map((i) => `k${i}`) }]);
    for (let i = 0; i < 10; i++) {
      expect(writer.rows.get(`k${i}`)).toEqual({ n: 990 + i, version: versions[990 + i] });
    }
    expect(queue.length).toBe(0);
  });

  it('flushes in batchSize batches, in last-write order; a delete is a write', async () => {
    const { queue, writer, put } = setup({ batchSize: 2 });
    await put('a', 1);
    await put('b', 1);
    await put('c', 1);
    await put('a', 2); // moves to the end
    await queue.enqueue('b', { kind: 'delete' });
    expect(queue.latest('b')).toMatchObject({ kind: 'delete' });
    expect(latestValue(queue, 'a')).toEqual({ n: 2 });
    expect(queue.latest('z')).toBeUndefined();

    await queue.flush();
    expect(writer.calls).toEqual([
      { kind: 'write', keys: ['c', 'a'] },
      { kind: 'delete', keys: ['b'] },
    ]);
    expect(writer.rows.get('b')?.n).toBeUndefined();
  });

  it('flushes on its interval without flush()', async () => {
    const { queue, writer, put } = setup({ flushIntervalMs: 5 });
    await put('a', 1);
    await until(() => writer.rows.has('a'), 'the timed flush');
    expect(queue.length).toBe(0);
  });

  it('keeps a record readable while it is being written, as a fresh copy each time', async () => {
    const { queue, writer, put } = setup();
    const held = gate();
    writer.before = () => held.opened;
    await put('a', 1);
    const flushing = queue.flush();
    await until(() => writer.calls.length === 1, 'the writer call');
    const first = latestValue(queue, 'a');
    expect(first).toEqual({ n: 1 });
    (first as { n: number }).n = 99;
    expect(latestValue(queue, 'a')).toEqual({ n: 1 });
    held.open();
    await flushing;
    expect(queue.latest('a')).toBeUndefined();
  });

  it('retries a failed batch record by record, honouring the backoff on timed flushes', async () => {
    const { queue, writer, on, put } = setup({ flushIntervalMs: 5, retryBaseMs: 200, maxAttempts: 5 });
    const retries = on('write-behind:retry');
    let failures = 1;
    writer.before = async (keys) => {
      if (keys.includes('bad') && failures-- > 0) throw new Error('boom');
    };
    await put('good', 1);
    await put('bad', 1);
    await until(() => retries.length === 2, 'two retry events');
    const failedAt = Date.now();
    expect(retries.map((r) => [r.key, r.attempt, r.error.message])).toEqual([
      ['good', 1, 'boom'],
      ['bad', 1, 'boom'],
    ]);
    // The retry waits at least half of retryBase, though the timer fires every 5 ms.
    await until(() => writer.rows.has('good') && writer.rows.has('bad'), 'the retries');
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(90);
    // Alone, in whichever order their jittered delays allow.
    const calls = writer.calls.map((call) => call.keys.join());
    expect(calls[0]).toBe('good,bad');
    expect(calls.slice(1).sort()).toEqual(['bad', 'good']);
    expect(queue.length).toBe(0);
  });

  it('retries at once on flush(), dead-letters after maxAttempts, and evicts the key', async () => {
    const { queue, writer, on, evicted, put } = setup({ retryBaseMs: 60_000, maxAttempts: 3 });
    const deadLetters = on('write-behind:dead-letter');
    const retries = on('write-behind:retry');
    writer.before = async (keys) => {
      if (keys.includes('bad')) throw new Error('constraint');
    };
    await put('ok', 1);
    const version = await put('bad', -1);
    await queue.flush();

    expect(writer.calls.map((call) => call.keys)).toEqual([['ok', 'bad'], ['ok'], ['bad'], ['bad']]);
    expect(retries.filter((r) => r.key === 'bad').map((r) => r.attempt)).toEqual([1, 2]);
    expect(deadLetters).toEqual([
      { cache: 'items', key: 'bad', version, id: 'm1', error: new Error('constraint') },
    ]);
    expect(queue.deadLettered).toEqual([
      {
        id: 'm1',
        key: 'bad',
        version,
        kind: 'set',
        value: { n: -1 },
        error: 'constraint',
        at: expect.any(Number),
      },
    ]);
    expect(evicted).toEqual(['bad']);
    expect(writer.rows.has('ok')).toBe(true);
    expect(queue.length).toBe(0);
    expect(queue.latest('bad')).toBeUndefined();
  });

  it('drops a failed record that a newer write of its key superseded meanwhile', async () => {
    const { queue, writer, on, evicted, put } = setup({ maxAttempts: 1 });
    const deadLetters = on('write-behind:dead-letter');
    const retries = on('write-behind:retry');
    const held = gate();
    writer.before = async (keys) => {
      if (writer.calls.length === 1) {
        await held.opened;
        throw new Error(`failed ${keys.join()}`);
      }
    };
    await put('a', 1);
    const flushing = queue.flush();
    await until(() => writer.calls.length === 1, 'the first call');
    const newer = await put('a', 2);
    expect(latestValue(queue, 'a')).toEqual({ n: 2 });
    held.open();
    await flushing;

    expect(writer.rows.get('a')).toEqual({ n: 2, version: newer });
    expect(deadLetters).toEqual([]);
    expect(retries).toEqual([]);
    expect(evicted).toEqual([]);
  });

  it("rejects a new key when full (onFull: 'reject'), but not a key with an unflushed write", async () => {
    const { queue, writer, put } = setup({ maxQueueLength: 3, onFull: 'reject' });
    const held = gate();
    writer.before = () => held.opened;
    await put('a', 1);
    await put('b', 1);
    await put('c', 1);
    await expect(put('d', 1)).rejects.toBeInstanceOf(QueueFullError);
    await put('a', 2); // pending: coalesces

    const flushing = queue.flush();
    await until(() => writer.calls.length === 1, 'the writer call');
    // a, b and c are being written: a new write to one of them is not a new key.
    await put('b', 2);
    await queue.enqueue('c', { kind: 'delete' });
    await expect(put('d', 1)).rejects.toMatchObject({ code: 'E_QUEUE_FULL', cache: 'items' });
    held.open();
    await flushing;
    expect(writer.rows.get('b')?.n).toBe(2);
    expect(writer.rows.get('c')?.n).toBeUndefined();
    expect(writer.rows.has('d')).toBe(false);
  });

  it('counts distinct keys: a key both being written and pending takes one place', async () => {
    const { queue, writer, put } = setup({ maxQueueLength: 3, onFull: 'reject' });
    const held = gate();
    writer.before = () => held.opened;
    await put('a', 1);
    await put('b', 1);
    const flushing = queue.flush();
    await until(() => writer.calls.length === 1, 'the writer call');
    await put('a', 2);
    expect(queue.length).toBe(3); // records: a and b being written, a pending
    await put('c', 1); // keys: a, b, c
    await expect(put('d', 1)).rejects.toBeInstanceOf(QueueFullError);
    held.open();
    await flushing;
    await queue.flush();
    expect([...writer.rows.keys()].sort()).toEqual(['a', 'b', 'c']);
  });

  it("holds a new key when full (onFull: 'wait') until a batch completes", async () => {
    const { queue, writer, put } = setup({ maxQueueLength: 2, onFull: 'wait' });
    const held = gate();
    writer.before = () => held.opened;
    await put('a', 1);
    await put('b', 1);
    const flushing = queue.flush();
    await until(() => writer.calls.length === 1, 'the writer call');
    let done = false;
    const third = put('c', 1).then(() => (done = true));
    await sleep(20);
    expect(done).toBe(false);
    held.open();
    await third;
    await flushing;
    await queue.flush();
    expect([...writer.rows.keys()].sort()).toEqual(['a', 'b', 'c']);
  });

  it('drains on close; after drainTimeout, reports what it abandons and releases waiting writes', async () => {
    const first = setup();
    await first.put('a', 1);
    await first.queue.close();
    expect(first.writer.rows.has('a')).toBe(true);

    const { queue, writer, on, put } = setup({ drainTimeoutMs: 50, maxQueueLength: 2 });
    const abandoned = on('write-behind:abandoned');
    writer.before = () => new Promise<void>(() => undefined);
    await put('a', 1);
    await put('b', 1);
    const waiting = put('c', 1);
    const started = Date.now();
    await queue.close();
    expect(Date.now() - started).toBeLessThan(500);
    expect(abandoned).toEqual([{ cache: 'items', count: 2 }]);
    await expect(waiting).rejects.toBeInstanceOf(QueueFullError);
    await queue.close(); // idempotent
    expect(abandoned).toHaveLength(1);
  });
});

describe('WriteBehindQueue after close', () => {
  it('writes a late write straight through instead of journaling it where nothing would flush it', async () => {
    const { queue, writer, put } = setup();
    await queue.close();
    await put('late', 7);
    expect(writer.rows.get('late')).toMatchObject({ n: 7 });
    expect(queue.length).toBe(0);
    await queue.enqueue('late', { kind: 'delete' });
    expect(writer.rows.get('late')).toMatchObject({ n: undefined });
  });
});
