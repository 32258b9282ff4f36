import type { RedisConnection } from '../redis/redis-connection.js';

/** Delay before the next trial when one was skipped or failed and the breaker is still not closed. */
const PROBE_RETRY_MS = 100;

/**
 * The trial command of an `L2Guard` whose breaker is open or whose evictions wait. Once the
 * breaker lets a trial through, it sends one (the guard replays pending evictions first, then
 * `PING`), so the breaker closes and evictions are replayed when Redis is back even when no call
 * comes: `l2Available` (health checks, write-behind) then tells the truth. A failed trial reopens
 * the breaker, which schedules the next one.
 */
export class L2Probe {
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly connection: RedisConnection,
    /** Sends one trial the way every guarded command goes; never rejects. */
    private readonly trial: () => Promise<unknown>,
    /** Whether the breaker is closed: then no further trial is needed. */
    private readonly closed: () => boolean,
  ) {}

  /** Sends a trial in `delayMs`, unless one is already scheduled. */
  later(delayMs: number): void {
    if (this.stopped || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      // Still disconnected (ioredis reconnects meanwhile): look again later.
      if (!this.connection.ready) return this.later(delayMs);
      this.probing = this.trial().finally(() => {
        this.probing = undefined;
        // Skipped (a timer may fire a moment before the breaker lets a trial through, or another
        // call's trial was in flight) or failed: try again until the breaker is closed.
        if (!this.closed()) this.later(Math.max(delayMs, PROBE_RETRY_MS));
      });
    }, delayMs);
    this.timer.unref();
  }

  /** Stops scheduling trials and waits for the one in progress (shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.probing;
  }
}
