import type { Cluster, Redis } from 'ioredis';

/** A command held back, told when it is written. */
export interface HeldCommand {
  /** It is written now. */
  start(): void;
}

/** The part of a socket that holding writes back needs. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Sends the commands a connection is given within one pass of the event loop (a callback and the
 * promise reactions that follow it) in one socket write instead of one write each.
 *
 * Under concurrency, one read of the socket settles many commands, and each caller's next command
 * is sent from its promise reaction: written one by one, each is a system call of its own in Node
 * and a read of its own in Redis, which then cost more than the commands. Holding the socket's
 * writes back (`cork`) until the pass is over (`process.nextTick` runs once the reactions are
 * done) writes them together. The socket keeps their order, so Redis still runs a connection's
 * commands in the order they were sent.
 *
 * A command held back is not in flight yet: whoever times it starts its clock once it is written
 * ({@link CoalescedSends.afterRelease}), so a pass that blocks the event loop after sending (a
 * CPU-bound request) does not use up its Redis time.
 *
 * Only for a single server's connection (a Sentinel's primary included): a Cluster client writes
 * to one socket per node and is left as it is. Off for a client the app gave (its own commands
 * would wait too).
 */
export class CoalescedSends {
  /** The socket held back in this pass, released by {@link CoalescedSends.release}. */
  private held: Corkable | undefined;
  /** Run once what the pass held was written out. */
  private written: HeldCommand[] = [];
  private readonly release = (): void => {
    const held = this.held;
    this.held = undefined;
    held?.uncork();
    const written = this.written;
    if (written.length === 0) return;
    this.written = [];
    for (const command of written) command.start();
  };

  constructor(
    private readonly client: Redis | Cluster,
    /** `false`: every command goes out at once, as ioredis sends it. */
    private readonly enabled = true,
  ) {}

  /**
   * Call right before sending a command: from here to the end of the current pass, what the
   * connection sends goes out in one write.
   */
  hold(): void {
    if (this.held !== undefined || !this.enabled || this.client.isCluster) return;
    // Absent before the first connection; a reconnection replaces it, so it is read each time.
    const socket: Corkable | undefined = (this.client as Redis).stream;
    if (socket === undefined) return;
    socket.cork();
    this.held = socket;
    process.nextTick(this.release);
  }

  /** Whether a command sent now waits for the end of the pass. */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /** Tells `command`, held now, when it is written (at the end of the pass). */
  afterRelease(command: HeldCommand): void {
    this.written.push(command);
  }
}
