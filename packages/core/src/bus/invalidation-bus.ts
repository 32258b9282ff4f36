import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { StrataEvents } from '../events/strata-events.js';
import type { MemoryLayer } from '../layers/memory.layer.js';
import type { GuardedRun } from '../stack/l2-guard.js';
import { decodeBusMessage, encodeBusMessage } from './bus-message.js';
import { BusSubscriber } from './bus-subscriber.js';

/** Options of an {@link InvalidationBus} (durations in ms). */
export interface InvalidationBusOptions {
  /** Pub/sub channel shared by the instances of one app (`<prefix>:bus` by default). */
  readonly channel: string;
  /** Longest L1 lifetime while the bus is down; `0`: L1 is not used then. */
  readonly outageTtlMs: number;
}

/** Most keys (or tags) in one published message; a larger batch is sent as several. */
const MAX_KEYS_PER_MESSAGE = 1_000;
/** Most announcements kept for a retry when publishing failed; older ones are dropped. */
const MAX_UNSENT = 10_000;
/** First retry of an unsent announcement; doubles up to {@link MAX_RETRY_MS}. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2_000;

interface Batch {
  readonly keys: Set<string>;
  readonly tags: Set<string>;
  done: Promise<void>;
}

/**
 * Keeps the L1 layers of all instances coherent over Redis pub/sub. Every set, delete, tag and
 * namespace invalidation is announced (batched per microtask: one `PUBLISH` for the writes of one
 * tick); each instance drops the L1 copies concerned, skipping its own messages. While the
 * subscription is down, messages may be missed: L1 is cleared when it drops and again once it is
 * back (what was stored meanwhile could have missed one), and entries stored meanwhile live at most
 * `outageTtlMs`. An announcement that could not be published is sent again with the next one, and
 * retried on its own (backing off), so it also goes out when no other change follows.
 */
export class InvalidationBus {
  /** This instance's id on the bus. */
  readonly id = randomUUID();
  /** Absent without L1: such an instance only announces its changes to the others. */
  private readonly subscriber: BusSubscriber | undefined;
  private batch: Batch | undefined;
  private readonly unsentKeys = new Set<string>();
  private readonly unsentTags = new Set<string>();
  private resend: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  private closed = false;
  /** Batches being published: `close` waits for them. */
  private readonly publishing = new Set<Promise<void>>();
  private waiters: (() => void)[] = [];

  constructor(
    private readonly client: Redis | Cluster,
    /** Runs the PUBLISH like every L2 command: skipped while Redis is down or the breaker open. */
    private readonly run: GuardedRun,
    private readonly l1: MemoryLayer | undefined,
    private readonly options: InvalidationBusOptions,
    private readonly events: StrataEvents,
  ) {
    if (l1 === undefined) return;
    // Until the first subscription is confirmed, other instances' changes may be missed.
    l1.degrade(options.outageTtlMs);
    this.subscriber = new BusSubscriber(client, options.channel, {
      onMessage: (raw) => this.receive(raw),
      onUp: () => this.up(l1),
      onDown: () => this.down(l1),
    });
    this.subscriber.start();
  }

  /** The channel and this instance's id: for scripts that announce their changes themselves. */
  get address(): { readonly channel: string; readonly sender: string } {
    return { channel: this.options.channel, sender: this.id };
  }

  /** Whether the subscription is live (L1 is then fully used); always `true` without L1. */
  get connected(): boolean {
    return this.subscriber === undefined || this.subscriber.subscribed;
  }

  /**
   * Waits until the subscription is live, at most `timeoutMs`.
   *
   * @returns Whether it is live.
   */
  async waitUntilConnected(timeoutMs: number): Promise<boolean> {
    if (this.connected) return true;
    let timer: NodeJS.Timeout | undefined;
    let waiter: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      waiter = resolve;
      this.waiters.push(resolve);
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
    this.waiters = this.waiters.filter((candidate) => candidate !== waiter);
    return this.connected;
  }

  /**
   * Tells the other instances to drop their L1 copies of `keys` (full entry keys) and to apply
   * the invalidation of `tags` (full tag or namespace keys). Resolves once published (or, if
   * publishing failed, kept for the next attempt); never rejects.
   */
  announce(keys: readonly string[], tags: readonly string[]): Promise<void> {
    let batch = this.batch;
    if (batch === undefined) {
      const created: Batch = { keys: new Set(), tags: new Set(), done: Promise.resolve() };
      created.done = Promise.resolve().then(() => {
        if (this.batch === created) this.batch = undefined;
        return this.publish(created.keys, created.tags);
      });
      const done = created.done;
      this.publishing.add(done);
      void done.finally(() => this.publishing.delete(done));
      this.batch = batch = created;
    }
    for (const key of keys) batch.keys.add(key);
    for (const tag of tags) batch.tags.add(tag);
    return batch.done;
  }

  /** Sends what is queued, then closes the subscription. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await Promise.all([...this.publishing]);
    await this.resend;
    for (const waiter of this.waiters) waiter();
    this.waiters = [];
    await this.subscriber?.close();
  }

  private async publish(keys: Set<string>, tags: Set<string>): Promise<void> {
    for (const key of this.unsentKeys) keys.add(key);
    for (const tag of this.unsentTags) tags.add(tag);
    this.unsentKeys.clear();
    this.unsentTags.clear();
    const keyList = [...keys];
    const tagList = [...tags];
    for (let at = 0; at < Math.max(keyList.length, tagList.length); at += MAX_KEYS_PER_MESSAGE) {
      const chunkKeys = keyList.slice(at, at + MAX_KEYS_PER_MESSAGE);
      const chunkTags = tagList.slice(at, at + MAX_KEYS_PER_MESSAGE);
      const message = encodeBusMessage({ sender: this.id, keys: chunkKeys, tags: chunkTags });
      // Skipped or failed (reported by the guard): kept for the next announcement.
      const sent = await this.run('publish', () => this.client.publish(this.options.channel, message));
      if (sent === undefined) this.keepUnsent(chunkKeys, chunkTags);
    }
    if (this.unsentKeys.size === 0 && this.unsentTags.size === 0) this.retryMs = FIRST_RETRY_MS;
    else this.retryLater();
  }

  /** Sends what is unsent after a while, unless an announcement or reconnection sends it first. */
  private retryLater(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
      this.resendUnsent();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  private resendUnsent(): void {
    if (this.closed || (this.unsentKeys.size === 0 && this.unsentTags.size === 0)) return;
    // Tracked: close() waits for it.
    this.resend ??= this.announce([], []).finally(() => {
      this.resend = undefined;
    });
  }

  private keepUnsent(keys: readonly string[], tags: readonly string[]): void {
    for (const key of keys) this.unsentKeys.add(key);
    for (const tag of tags) this.unsentTags.add(tag);
    for (const set of [this.unsentKeys, this.unsentTags]) {
      for (const oldest of set) {
        if (set.size <= MAX_UNSENT) break;
        set.delete(oldest);
      }
    }
  }

  private receive(raw: string): void {
    const message = decodeBusMessage(raw);
    if (message === undefined || message.sender === this.id) return;
    if (message.keys.length > 0) this.l1?.deleteRemote(message.keys);
    if (message.tags.length > 0) this.l1?.invalidate(message.tags);
  }

  private up(l1: MemoryLayer): void {
    // Stored while down: could have missed an invalidation.
    l1.clear();
    l1.restore();
    this.events.emit('bus:state', { connected: true });
    for (const waiter of this.waiters) waiter();
    this.waiters = [];
    this.resendUnsent();
  }

  private down(l1: MemoryLayer): void {
    l1.clear();
    l1.degrade(this.options.outageTtlMs);
    this.events.emit('bus:state', { connected: false });
  }
}
