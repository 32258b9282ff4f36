/** Resolved options of a write-behind queue (durations in ms). */
export interface WriteBehindQueueOptions {
  /** The named cache, for events and errors. */
  readonly cache: string;
  /** How often the flusher runs. */
  readonly flushIntervalMs: number;
  /** Most records per writer call. */
  readonly batchSize: number;
  /** Attempts per record before it is dead-lettered. */
  readonly maxAttempts: number;
  /** Most keys with unflushed writes (a write to a key already pending or being written takes no room). */
  readonly maxQueueLength: number;
  /** A write that finds the queue full waits for room, or is rejected with `QueueFullError`. */
  readonly onFull: 'wait' | 'reject';
  /** First retry delay; doubles per attempt, with ±50 % jitter, capped at 30 s. */
  readonly retryBaseMs: number;
  /** How long shutdown waits for the queue to drain. */
  readonly drainTimeoutMs: number;
}
