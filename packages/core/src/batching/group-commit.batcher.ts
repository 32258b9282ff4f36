interface Waiting<R, T> {
  readonly request: R;
  readonly resolve: (result: T) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Sends one batch of requests to a partition; resolves one result (or the error of that request
 * alone) per request, in order. Rejecting fails the whole batch.
 */
export type SendBatch<R, T> = (partition: number, requests: readonly R[]) => Promise<(T | Error)[]>;

/**
 * Group commit of requests (writes carried by one script call), per partition (a journal
 * partition, a Redis Cluster slot; `0` when there is one). A lone request is sent at once (after
 * the current microtask turn, so that requests made in the same turn share its call); no timer
 * ever holds one back. While `maxInFlight` calls of a partition are in flight, the requests that
 * arrive wait and go together in the next call (at most `maxBatch` each), so under load one
 * script call carries several writes and its fixed costs (EVALSHA setup, the clock, the socket
 * write, the reply) are paid once per batch. Batches stay small so that Redis runs one while the
 * process prepares the next (one large batch makes the two take turns; apps/bench scenario 7
 * measured both). Each request succeeds or fails on its own; calls of one partition go over one
 * connection, so Redis runs them in call order. Used by the write-behind journal's appends and
 * by `CacheStack.set` on Redis.
 */
export class GroupCommitBatcher<R, T> {
  private readonly waiting = new Map<number, Waiting<R, T>[]>();
  private readonly inFlight = new Map<number, number>();
  private readonly sends = new Set<Promise<void>>();
  private readonly scheduled = new Set<number>();

  constructor(
    private readonly send: SendBatch<R, T>,
    private readonly maxBatch: number,
    private readonly maxInFlight: number,
  ) {}

  /** Queues `request` for `partition`; resolves or rejects with its own result. */
  submit(partition: number, request: R): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let queue = this.waiting.get(partition);
      if (queue === undefined) this.waiting.set(partition, (queue = []));
      queue.push({ request, resolve, reject });
      if (this.scheduled.has(partition)) return;
      // After the current turn: requests made synchronously together share the first call.
      this.scheduled.add(partition);
      queueMicrotask(() => {
        this.scheduled.delete(partition);
        this.pump(partition);
      });
    });
  }

  /**
   * Sends every request of `partition` that waits, now, in calls of at most `maxBatch`, even past
   * `maxInFlight`. A command the caller sends right after, on the same connection, is then run by
   * Redis after them: how a caller keeps its own commands in order with the requests it queued
   * before them (and ahead of those it queues after).
   */
  flush(partition: number): void {
    const queue = this.waiting.get(partition);
    while (queue !== undefined && queue.length > 0) this.dispatch(partition, queue.splice(0, this.maxBatch));
  }

  /** Resolves once every request queued so far has its reply. */
  async idle(): Promise<void> {
    // Requests wait either for their first call (scheduled) or for a call in flight to end.
    while (this.sends.size > 0 || this.scheduled.size > 0) {
      await (this.sends.size > 0 ? Promise.all(this.sends) : Promise.resolve());
    }
  }

  /** Sends batches while the partition has requests waiting and a free call slot. */
  private pump(partition: number): void {
    const queue = this.waiting.get(partition);
    while (
      queue !== undefined &&
      queue.length > 0 &&
      (this.inFlight.get(partition) ?? 0) < this.maxInFlight
    ) {
      this.dispatch(partition, queue.splice(0, this.maxBatch));
    }
    // Partitions come and go (a Cluster has 16,384 slots): an idle one keeps no entry.
    if (queue?.length === 0 && !this.inFlight.has(partition)) this.waiting.delete(partition);
  }

  /** Sends one batch (its call is with the client when this returns) and tracks it. */
  private dispatch(partition: number, batch: Waiting<R, T>[]): void {
    this.inFlight.set(partition, (this.inFlight.get(partition) ?? 0) + 1);
    const sent = this.sendBatch(partition, batch).finally(() => {
      this.sends.delete(sent);
      const left = (this.inFlight.get(partition) ?? 1) - 1;
      if (left > 0) this.inFlight.set(partition, left);
      else this.inFlight.delete(partition);
      this.pump(partition);
    });
    this.sends.add(sent);
  }

  /** Sends one batch and settles its requests. Never rejects. */
  private async sendBatch(partition: number, batch: Waiting<R, T>[]): Promise<void> {
    let results: (T | Error)[];
    try {
      results = await this.send(
        partition,
        batch.map((queued) => queued.request),
      );
    } catch (error) {
      for (const queued of batch) queued.reject(error);
      return;
    }
    batch.forEach((queued, i) => {
      if (i >= results.length) {
        queued.reject(new Error('group commit: the reply has too few results'));
        return;
      }
      // Within the results (checked above): a result may itself be `undefined`.
      const result = results[i] as T | Error;
      if (result instanceof Error) queued.reject(result);
      else queued.resolve(result);
    });
  }
}
