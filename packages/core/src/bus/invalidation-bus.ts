import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { StrataEvents } from '../events/strata-events.js';
import type { MemoryLayer } from '../layers/memory.layer.js';
import type { GuardedRun } from '../layers/guarded-run.js';
import { BUS_FORMAT_VERSION, decodeBusMessage, encodeBusMessage } from './bus-message.js';
import { BusSubscriber } from './bus-subscriber.js';
import { addChange, type AnnouncedChanges } from './announced-changes.js';

/** Options of an {@link InvalidationBus} (durations in ms). */
export interface InvalidationBusOptions {
  /** Pub/sub channel shared by the instances of one app (`<prefix>:bus` by default). */
  readonly channel: string;
  /** Longest L1 lifetime while the bus is down; `0`: L1 is not used then. */
  readonly outageTtlMs: number;
}

/**
 * Most keys (or tags) in one published message; a larger batch is sent as several (and a delete
 * of more keys is not announced by its own script call).
 */
export const MAX_KEYS_PER_MESSAGE = 1_000;
/** Most announcements kept for a retry when publishing failed; older ones are dropped. */
const MAX_UNSENT = 10_000;
/** First retry of an announcement that could not be published; doubles up to {@link MAX_RESEND_MS}. */
const FIRST_RESEND_MS = 50;
const MAX_RESEND_MS = 2_000;

interface Batch {
  readonly keys: AnnouncedChanges;
  readonly tags: Set<string>;
  /** Whether every message of the batch was published. */
  done: Promise<boolean>;
}

/**
 * Keeps the L1 layers of all instances coherent over Redis pub/sub. Every set, delete, tag and
 * namespace invalidation is announced (batched per microtask: one `PUBLISH` for the writes of one
 * tick; on one Redis server, the script call of a set or delete publishes its own, in this
 * layout, see {@link InvalidationBus.address}); each instance drops the L1 copies concerned,
 * skipping its own messages. While the subscription is down, messages may be missed: L1 is
 * cleared when it drops and again once it is back (what was stored meanwhile could have missed
 * one), and entries stored meanwhile live at most `outageTtlMs`. An announcement that could not be published is sent again with the next one,
 * on a timer (50 ms, doubling to 2 s), when the subscription is back and as soon as Redis takes
 * commands again (after the evictions the guard replays), whichever is first.
 *
 * Each announced key carries the Redis version of its change (bus-message.ts), so a receiver
 * orders messages and its own reads as Redis applied them: a late message does not drop a newer
 * copy, and a read older than a change it already heard of does not fill L1. A message that
 * cannot be read is counted ({@link InvalidationBus.rejectedMessages}, event `bus:rejected`),
 * and the copies of whatever keys and tags it still names are dropped.
 */
export class InvalidationBus {
  /** This instance's id on the bus. */
  readonly id = randomUUID();
  /**
   * How every message this instance publishes begins (`encodeBusMessage`, and the write-behind
   * append script, write `v` and `s` first): its own messages, one per batch of writes, are
   * passed over without being decoded.
   */
  private readonly ownPrefix = `{"v":${BUS_FORMAT_VERSION},"s":${JSON.stringify(this.id)}`;
  /** Absent without L1: such an instance only announces its changes to the others. */
  private readonly subscriber: BusSubscriber | undefined;
  private batch: Batch | undefined;
  private readonly unsentKeys: AnnouncedChanges = new Map();
  private readonly unsentTags = new Set<string>();
  private resend: Promise<boolean> | undefined;
  /** Batches being published: `close` waits for them. */
  private readonly publishing = new Set<Promise<boolean>>();
  private waiters: (() => void)[] = [];
  private rejected = 0;
  /** The next retry of unsent announcements, when some wait. */
  private resendTimer: NodeJS.Timeout | undefined;
  private resendDelayMs = FIRST_RESEND_MS;
  private closing = false;
  /** Removes the listeners that send what is kept unsent once Redis takes commands again. */
  private readonly detach: (() => void)[] = [];
  /** A reason to send what is unsent came while such a send was under way. */
  private sendAgain = false;

  constructor(
    private readonly client: Redis | Cluster,
    /** Runs the PUBLISH like every L2 command: skipped while Redis is down or the breaker open. */
    private readonly run: GuardedRun,
    private readonly l1: MemoryLayer | undefined,
    private readonly options: InvalidationBusOptions,
    private readonly events: StrataEvents,
  ) {
    // An announcement that could not be published waits for Redis to take commands again, not
    // only for the next announcement or the timer: until it is sent, another instance can keep
    // (or re-read from Redis) the copy it concerns. It goes through the guard, which first
    // replays the evictions still pending (a failed set's), so it lands after them.
    const flush = (): void => this.sendUnsent();
    client.on('ready', flush);
    this.detach.push(
      () => client.off('ready', flush),
      events.on('breaker:state', ({ state }) => {
        if (state === 'closed') flush();
      }),
    );
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

  /** Messages received on the channel that were not of a layout this release reads. */
  get rejectedMessages(): number {
    return this.rejected;
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
   * Tells the other instances to drop their L1 copies of `keys` (full entry keys) whose version
   * is at most `upTo[i]` (`undefined` or missing: every copy), and to apply the invalidation of
   * `tags` (full tag or namespace keys). Resolves once published, `true`, or, if publishing
   * failed, kept for the next attempt, `false` (what confirms an invalidation waits for `true`);
   * never rejects.
   */
  announce(
    keys: readonly string[],
    upTo: readonly (number | undefined)[],
    tags: readonly string[],
  ): Promise<boolean> {
    let batch = this.batch;
    if (batch === undefined) {
      const created: Batch = { keys: new Map(), tags: new Set(), done: Promise.resolve(true) };
      created.done = Promise.resolve().then(() => {
        if (this.batch === created) this.batch = undefined;
        return this.publish(created.keys, created.tags);
      });
      const done = created.done;
      this.publishing.add(done);
      void done.finally(() => this.publishing.delete(done));
      this.batch = batch = created;
    }
    keys.forEach((key, i) => addChange(batch.keys, key, upTo[i]));
    for (const tag of tags) batch.tags.add(tag);
    return batch.done;
  }

  /** Sends what is queued (once), then closes the subscription. */
  async close(): Promise<void> {
    for (const detach of this.detach.splice(0)) detach();
    clearTimeout(this.resendTimer);
    this.resendTimer = undefined;
    this.sendUnsent();
    this.closing = true;
    await Promise.all([...this.publishing]);
    await this.resend;
    for (const waiter of this.waiters) waiter();
    this.waiters = [];
    await this.subscriber?.close();
  }

  /** Publishes a batch with what waits unsent: whether every message was published. */
  private async publish(keys: AnnouncedChanges, tags: Set<string>): Promise<boolean> {
    for (const [key, upTo] of this.unsentKeys) addChange(keys, key, upTo);
    for (const tag of this.unsentTags) tags.add(tag);
    this.unsentKeys.clear();
    this.unsentTags.clear();
    const keyList = [...keys.keys()];
    const upToList = [...keys.values()];
    const tagList = [...tags];
    let published = true;
    for (let at = 0; at < Math.max(keyList.length, tagList.length); at += MAX_KEYS_PER_MESSAGE) {
      const chunkKeys = keyList.slice(at, at + MAX_KEYS_PER_MESSAGE);
      const chunkUpTo = upToList.slice(at, at + MAX_KEYS_PER_MESSAGE);
      const chunkTags = tagList.slice(at, at + MAX_KEYS_PER_MESSAGE);
      const message = encodeBusMessage({
        sender: this.id,
        keys: chunkKeys,
        upTo: chunkUpTo,
        tags: chunkTags,
      });
      // Skipped or failed (reported by the guard): kept for the next announcement.
      const sent = await this.run('publish', () => this.client.publish(this.options.channel, message));
      if (sent === undefined) {
        this.keepUnsent(chunkKeys, chunkUpTo, chunkTags);
        published = false;
      } else this.resendDelayMs = FIRST_RESEND_MS;
    }
    return published;
  }

  private keepUnsent(
    keys: readonly string[],
    upTo: readonly (number | undefined)[],
    tags: readonly string[],
  ): void {
    keys.forEach((key, i) => addChange(this.unsentKeys, key, upTo[i]));
    for (const tag of tags) this.unsentTags.add(tag);
    for (const set of [this.unsentKeys, this.unsentTags]) {
      for (const [oldest] of set.entries()) {
        if (set.size <= MAX_UNSENT) break;
        set.delete(oldest);
      }
    }
    this.resendLater();
  }

  /**
   * Retries unsent announcements on a timer (with backoff), not only with the next write: after
   * the last write before a quiet spell, other instances would otherwise keep their copies until
   * `l1.ttl`.
   */
  private resendLater(): void {
    if (this.closing || this.resendTimer !== undefined) return;
    const delay = this.resendDelayMs;
    this.resendDelayMs = Math.min(delay * 2, MAX_RESEND_MS);
    this.resendTimer = setTimeout(() => {
      this.resendTimer = undefined;
      this.sendUnsent();
    }, delay);
    this.resendTimer.unref();
  }

  /**
   * Publishes what waits for a retry. Called during such a retry, it sends again once that one is
   * over: Redis may have come back while it was failing. Once closing, nothing new is started.
   */
  private sendUnsent(): void {
    if (this.closing) return;
    if (this.resend !== undefined) {
      this.sendAgain = true;
      return;
    }
    this.sendAgain = false;
    if (this.unsentKeys.size === 0 && this.unsentTags.size === 0) return;
    // Owned by the bus: close() waits for it; announce never rejects.
    this.resend = this.announce([], [], []).finally(() => {
      this.resend = undefined;
      if (this.sendAgain) this.sendUnsent();
    });
  }

  private receive(raw: string): void {
    // The id is followed by its closing quote: no other sender's message starts this way.
    if (raw.startsWith(this.ownPrefix)) return;
    const decoded = decodeBusMessage(raw);
    if (decoded.kind === 'rejected') {
      // Not a layout this release reads (a newer release, another publisher, a forgery): what
      // it names may have changed, and dropping copies is always safe.
      this.rejected++;
      if (this.events.has('bus:rejected')) this.events.emit('bus:rejected', { reason: decoded.reason });
      if (decoded.keys.length > 0) this.l1?.deleteRemote(decoded.keys);
      if (decoded.tags.length > 0) this.l1?.invalidate(decoded.tags);
      return;
    }
    const message = decoded.message;
    if (message.sender === this.id) return;
    if (message.keys.length > 0) this.l1?.deleteRemote(message.keys, message.upTo);
    if (message.tags.length > 0) this.l1?.invalidate(message.tags);
  }

  private up(l1: MemoryLayer): void {
    // Stored while down: could have missed an invalidation.
    l1.clear();
    l1.restore();
    this.events.emit('bus:state', { connected: true });
    for (const waiter of this.waiters) waiter();
    this.waiters = [];
    this.sendUnsent();
  }

  private down(l1: MemoryLayer): void {
    l1.clear();
    l1.degrade(this.options.outageTtlMs);
    this.events.emit('bus:state', { connected: false });
  }
}
