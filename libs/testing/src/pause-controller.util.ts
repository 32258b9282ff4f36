/** One pause in progress. */
interface ActivePause {
  readonly timer: NodeJS.Timeout;
  readonly settle: (error?: unknown) => void;
  /** Resolves to whether the freeze succeeded (a failed freeze has already settled the pause). */
  readonly suspended: Promise<boolean>;
}

/**
 * Freezes a server for a while (SIGSTOP / `docker pause`) and thaws it (SIGCONT / `docker unpause`)
 * after a delay, or earlier when the server is stopped, killed or disposed, so a test that ends
 * mid-pause never leaves a frozen server behind.
 */
export class PauseController {
  private active: ActivePause | undefined;

  /**
   * @param suspend - Freezes the server.
   * @param resume - Thaws the server.
   */
  constructor(
    private readonly suspend: () => Promise<void>,
    private readonly resume: () => Promise<void>,
  ) {}

  /**
   * Freezes the server for `ms` milliseconds. The freeze is requested synchronously, so a command
   * sent right after calling `pause()` (without awaiting it) already meets a frozen server. Calling
   * it again during a pause extends the pause; the earlier promise resolves at once.
   *
   * @param ms - Duration of the freeze.
   * @returns Resolves once the server has been thawed; rejects if freezing or thawing failed.
   */
  pause(ms: number): Promise<void> {
    const previous = this.active;
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: unknown): void =>
        // Passes on what suspending or resuming rejected with, unchanged, as the caller's own failure.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        error === undefined ? resolve() : reject(error);
      let suspended: Promise<boolean>;
      if (previous === undefined) {
        suspended = this.suspend().then(
          () => true,
          (error: unknown) => {
            this.abandon(active, error);
            return false;
          },
        );
      } else {
        clearTimeout(previous.timer);
        previous.settle();
        suspended = previous.suspended;
      }
      const timer = setTimeout(() => {
        void this.thaw(true);
      }, ms);
      const active: ActivePause = { timer, settle, suspended };
      this.active = active;
    });
  }

  /** Ends the current pause now, if any. Never throws; the pending `pause()` promise resolves. */
  async resumeNow(): Promise<void> {
    await this.thaw(false);
  }

  private abandon(active: ActivePause, error: unknown): void {
    if (this.active === active) this.active = undefined;
    clearTimeout(active.timer);
    active.settle(error);
  }

  private async thaw(reportErrors: boolean): Promise<void> {
    const active = this.active;
    if (active === undefined) return;
    this.active = undefined;
    clearTimeout(active.timer);
    if (!(await active.suspended)) return;
    try {
      await this.resume();
      active.settle();
    } catch (error) {
      active.settle(reportErrors ? error : undefined);
    }
  }
}
