import type { Cluster, Redis } from 'ioredis';
import { GroupCommitBatcher } from '../batching/group-commit.batcher.js';
import { APPEND_SCRIPT } from './journal-append.script.js';
import {
  appendArguments,
  type AppendResult,
  parseAppendReply,
  type AppendRequest,
  type BusAddress,
} from './journal-append.request.js';
import type { PartitionKeys } from './journal-partition.keys.js';

/**
 * Most appends one script call carries, and most calls in flight per partition. Each call costs
 * the process a fixed part (the command, its timer, the socket write, the reply), so fuller calls
 * cost less per append; a call also holds Redis while it runs, so batches stay short, and several
 * in flight keep Redis busy while the process reads one reply and prepares the next call. With 50
 * concurrent writers (apps/bench scenario 7), 16 × 4 gave about 1.5 times the appends per second
 * of 32 × 2, alternating both in one machine's runs (8 × 4 and 8 × 8 less, 16 × 8 no more);
 * measure again there before changing them.
 */
export const MAX_APPEND_BATCH = 16;
const MAX_APPENDS_IN_FLIGHT = 4;

/** Options of a {@link JournalAppender}. */
export interface JournalAppenderOptions {
  readonly cache: string;
  /** PX of delete markers. */
  readonly tombstoneTtlMs: number;
  /** Most unflushed keys per partition. */
  readonly perPartitionLimit: number;
  /** `WAIT` for this many replicas after each script call, at most `timeoutMs` (single Redis only). */
  readonly replicas?: { readonly count: number; readonly timeoutMs: number };
  /** The invalidation bus the script announces changed entries on, if the stack has one. */
  readonly bus?: BusAddress;
}

interface AppendCommand {
  strataJournalAppend(...args: string[]): Promise<string>;
}

/**
 * The write side of a Redis journal: appends, group-committed per partition
 * ({@link GroupCommitBatcher}). With `replicas`, every script call is followed by `WAIT`, and
 * each append's result says whether enough replicas confirmed it. `WAIT` blocks the connection it
 * runs on until then, so appends then use a connection of their own (a `duplicate()` of the
 * stack's, its command timeout extended by the `WAIT` timeout) and cache reads never queue
 * behind it.
 */
export class JournalAppender {
  private readonly client: (Redis | Cluster) & AppendCommand;
  private readonly dedicated: Redis | undefined;
  private readonly batcher = new GroupCommitBatcher<AppendRequest, AppendResult>(
    (partition, requests) => this.send(partition, requests),
    MAX_APPEND_BATCH,
    MAX_APPENDS_IN_FLIGHT,
  );

  constructor(
    commandClient: Redis | Cluster,
    private readonly partitions: readonly PartitionKeys[],
    private readonly options: JournalAppenderOptions,
  ) {
    if (options.replicas !== undefined && !commandClient.isCluster) {
      const base = commandClient as Redis;
      this.dedicated = base.duplicate({
        lazyConnect: true,
        commandTimeout: (base.options.commandTimeout ?? 0) + options.replicas.timeoutMs,
      });
      // Failures surface as failed appends (and their fallback); the stack reports its own connection.
      this.dedicated.on('error', () => undefined);
    }
    const client = this.dedicated ?? commandClient;
    // The key count varies with the batch: it is the first argument.
    client.defineCommand('strataJournalAppend', { lua: APPEND_SCRIPT });
    this.client = client as (Redis | Cluster) & AppendCommand;
  }

  /** Connects the dedicated connection, if any (rejects if Redis cannot be reached now). */
  async connect(): Promise<void> {
    if (this.dedicated?.status === 'wait') await this.dedicated.connect();
  }

  /** Queues an append to `partition`; resolves its own result, or rejects with its own error. */
  append(partition: number, request: AppendRequest): Promise<AppendResult> {
    return this.batcher.submit(partition, request);
  }

  /** Resolves once every append made so far has its reply. */
  settled(): Promise<void> {
    return this.batcher.idle();
  }

  /** Waits for the appends in flight, then closes the dedicated connection. */
  async close(): Promise<void> {
    await this.settled();
    this.dedicated?.disconnect();
  }

  /** One script call for a batch of appends to one partition (then `WAIT`, with `replicas`). */
  private async send(
    partition: number,
    requests: readonly AppendRequest[],
  ): Promise<(AppendResult | Error)[]> {
    const p = this.partitions[partition];
    if (p === undefined) throw new Error(`unreachable: no journal partition ${partition}`);
    const { tombstoneTtlMs, perPartitionLimit, cache, replicas, bus } = this.options;
    const reply = await this.client.strataJournalAppend(
      ...appendArguments(p, requests, tombstoneTtlMs, perPartitionLimit, bus),
    );
    const results = parseAppendReply(reply, requests, cache);
    if (replicas === undefined) return results;
    const replicated = await this.waitForReplicas(replicas.count, replicas.timeoutMs);
    return results.map((r) => (r === 'full' || r instanceof Error ? r : { ...r, replicated }));
  }

  /** `WAIT` on the appends' connection: whether `count` replicas have its writes. */
  private async waitForReplicas(count: number, timeoutMs: number): Promise<boolean> {
    if (this.dedicated === undefined) return false; // A cluster: WAIT would reach one node only.
    try {
      return (await this.dedicated.wait(count, timeoutMs)) >= count;
    } catch {
      return false; // Unconfirmed: the caller persists the write itself.
    }
  }
}
