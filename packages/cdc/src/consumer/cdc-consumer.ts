import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CacheStack } from '@strata/core';
import { engineOf } from '@strata/core/internal';
import { messageOf } from '../errors/as-error.js';
import { CdcError } from '../errors/cdc.error.js';
import { CdcEvents, type CdcState } from '../events/cdc-events.js';
import { ConsumerLease } from '../lease/consumer-lease.js';
import type { CdcOptions } from '../options/cdc.options.js';
import { resolveCdcOptions, type ResolvedCdcOptions } from '../options/resolve-cdc-options.js';
import { endStalledReader, prepareDatabase } from '../setup/prepare-database.js';
import { invalidationValidator } from './invalidation-validator.js';
import { InvalidationSet } from './invalidation-set.js';
import { fallbackOf } from './mapped-tables.js';
import { SlotSession } from './slot-session.js';
import { StreamPosition } from './stream-position.js';

/** Longest wait between two reconnection attempts. */
const MAX_RETRY_MS = 30_000;
/** After ending a stalled holder's walsender, the slot is free within moments. */
const TAKEOVER_RETRY_MS = 100;

/** What {@link CdcConsumer.status} reports. */
export interface CdcStatus {
  readonly state: CdcState;
  /** The slot read (a temporary one's name, memory-only). */
  readonly slot: string;
  /** Whether this instance consumes the slot (with Redis: holds the fleet's lease). */
  readonly consuming: boolean;
  /** Everything up to this position is applied and confirmed. */
  readonly confirmedLsn: string | undefined;
  /** The server's WAL end as last heard of. */
  readonly serverLsn: string | undefined;
  /** Bytes of WAL between the two (what the slot makes the server keep, at least). */
  readonly lagBytes: number;
  /** Seconds since the oldest commit received and not yet applied. */
  readonly lagSeconds: number;
  /** `maxLagBytes`, the health indicator's threshold. */
  readonly maxLagBytes: number;
  /** Why it is `degraded` or `unavailable`. */
  readonly reason: string | undefined;
}

/**
 * Reads a PostgreSQL logical replication slot (pgoutput) and turns each committed change of a
 * mapped table into invalidations of `stack`, on every instance: at least once, confirming a
 * position only once its invalidations landed in Redis and on the bus (docs/cdc.md).
 *
 * With Redis, one instance of the fleet consumes the slot (a Redis lease; the others stand by and
 * take over when it dies or stalls); memory-only, each instance reads a temporary slot of its own.
 * An unreachable database or Redis degrades to TTL-only invalidation and reconnects.
 */
export class CdcConsumer {
  /** Typed events: state, applied batches, fallbacks, errors. */
  readonly events = new CdcEvents();
  private readonly options: ResolvedCdcOptions;
  private readonly position = new StreamPosition();
  private readonly lease: ConsumerLease | undefined;
  private state: CdcState = 'stopped';
  private reason: string | undefined;
  private session: SlotSession | undefined;
  /** The session whose failure the loop is handling. */
  private failedSession: SlotSession | undefined;
  private slotName: string;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private readonly wakeUp = new AbortController();
  /** Resolves once the consumer first streams, stands by, degrades or stops: what `start` waits for. */
  private readonly settled: Promise<void>;
  private settle: () => void = () => undefined;
  /** Setup ran once: a slot created after that replaces one that was lost. */
  private prepared = false;
  /** The slot was made again: its first session falls back. */
  private slotLost = false;
  /** A session reached the server since the last failure: the next failure retries at once. */
  private streamedSinceFailure = false;

  /** @throws StrataConfigError naming the option when `options` is invalid. */
  constructor(
    private readonly stack: CacheStack,
    options: CdcOptions,
  ) {
    this.options = resolveCdcOptions(options);
    this.slotName = this.options.slot;
    this.settled = new Promise((resolve) => (this.settle = resolve));
    const engine = engineOf(stack);
    const client = engine.redisClient;
    if (client !== undefined) {
      this.lease = new ConsumerLease(
        client,
        `${engine.options.prefix}:cdc:${this.options.slot}`,
        this.options.leaseTtlMs,
      );
    }
  }

  /**
   * Checks the database (`wal_level`, the role, the mapped tables and their replica identities),
   * sets up the publication and, with Redis, the slot, then consumes in the background until
   * `stop()`. Resolves once the consumer streams (memory-only: its temporary slot exists), stands
   * by for another instance, or is degraded (an unreachable database or Redis).
   *
   * @throws CdcError when the database cannot serve the mappings and `required` is on (an
   *   unreachable database is not such an error: the consumer degrades and retries).
   */
  async start(): Promise<void> {
    if (this.loop !== undefined) return;
    this.setState('starting');
    let ready = false;
    try {
      await this.setup();
      ready = true;
    } catch (error) {
      if (error instanceof CdcError) {
        this.events.emit('cdc:error', { during: 'setup', error });
        if (this.options.required) {
          this.setState('stopped');
          throw error;
        }
        this.setState('unavailable', error.message);
        return;
      }
      this.events.emit('cdc:error', { during: 'setup', error });
      this.setState('degraded', messageOf(error));
    }
    this.loop = this.run(ready);
    await this.settled;
  }

  /** Stops consuming (what is unconfirmed is read again by the next consumer) and gives the lease up. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.settle();
    this.wakeUp.abort();
    await this.session?.stop();
    await this.loop;
    await this.lease?.release();
    this.setState('stopped');
  }

  /** Where the consumer stands, for health checks and metrics. */
  status(): CdcStatus {
    return {
      state: this.state,
      slot: this.slotName,
      consuming: this.state === 'streaming',
      confirmedLsn: this.position.confirmed,
      serverLsn: this.position.server,
      lagBytes: this.position.lagBytes,
      lagSeconds: this.position.lagSeconds(),
      maxLagBytes: this.options.maxLagBytes,
      reason: this.reason,
    };
  }

  private async run(ready: boolean): Promise<void> {
    let delayMs = this.options.retryDelayMs;
    while (!this.stopping) {
      try {
        if (!ready) {
          await this.setup();
          ready = true;
        }
        const lease = await this.lease?.acquire();
        if (lease === 'taken' || lease === 'unreachable') {
          if (lease === 'taken') this.setState('standby');
          else this.setState('degraded', 'Redis does not answer: the consumer lease cannot be taken');
          await this.pause(Math.ceil(this.options.leaseTtlMs / 3));
          continue;
        }
        await this.consume();
        delayMs = this.options.retryDelayMs;
      } catch (error) {
        if (this.stopping) break;
        if (await this.endStalledHolder(error)) {
          await this.pause(TAKEOVER_RETRY_MS);
          continue;
        }
        const during = !ready ? 'setup' : (this.failedSession?.failedDuring ?? 'stream');
        this.events.emit('cdc:error', { during, error });
        this.setState('degraded', messageOf(error));
        // The slot or publication may be gone (dropped, or the slot invalidated past
        // max_slot_wal_keep_size): the next attempt checks and sets them up again.
        ready = false;
        if (this.streamedSinceFailure) delayMs = this.options.retryDelayMs;
        this.streamedSinceFailure = false;
        await this.pause(delayMs);
        delayMs = Math.min(delayMs * 2, MAX_RETRY_MS);
      }
    }
  }

  /** One session on the slot, with the lease renewed meanwhile (its loss ends the session). */
  private async consume(): Promise<void> {
    const temporary = this.lease === undefined;
    if (temporary) {
      this.slotName = `${this.options.slot}_${randomBytes(6).toString('hex')}`;
      this.position.confirmed = undefined;
    }
    if (this.stopping) return;
    const session = new SlotSession(
      {
        stack: this.stack,
        events: this.events,
        tables: this.options.tables,
        maxInvalidations: this.options.maxInvalidations,
        validate: invalidationValidator(this.stack),
        position: this.position,
      },
      this.options.connection,
      { name: this.slotName, temporary },
      this.options.publication,
      () => {
        this.streamedSinceFailure = true;
        this.slotLost = false;
        this.setState('streaming');
      },
      // A new (temporary or re-created) slot starts now: what changed before it may have been missed.
      temporary || this.slotLost ? this.everyFallback() : undefined,
    );
    this.session = session;
    this.failedSession = undefined;
    const renewals = new Set<Promise<void>>();
    const timer =
      this.lease === undefined
        ? undefined
        : setInterval(
            () => {
              const renewal = this.renew(session);
              renewals.add(renewal);
              void renewal.finally(() => renewals.delete(renewal));
            },
            Math.ceil(this.options.leaseTtlMs / 3),
          );
    try {
      await session.run();
    } catch (error) {
      this.failedSession = session;
      throw error;
    } finally {
      clearInterval(timer);
      await Promise.all([...renewals]);
      this.session = undefined;
    }
  }

  private async renew(session: SlotSession): Promise<void> {
    if (this.lease === undefined || (await this.lease.renew())) return;
    // Another instance may take over now: stop before it starts, so only one applies.
    this.events.emit('cdc:error', {
      during: 'lease',
      error: new Error(`lost the consumer lease ${this.lease.key}`),
    });
    await session.stop();
  }

  /**
   * Whether `error` says a stalled holder's walsender still holds the slot while this instance
   * holds the lease: then that backend is terminated (the server would end it only after
   * `wal_sender_timeout`), and the caller retries at once.
   */
  private async endStalledHolder(error: unknown): Promise<boolean> {
    if (this.lease === undefined || !/replication slot .* is active for PID/i.test(messageOf(error)))
      return false;
    return endStalledReader(this.options.connection, this.options.slot);
  }

  private async setup(): Promise<void> {
    const { connection, publication, tables, slot } = this.options;
    const fleet = this.lease !== undefined;
    const { slotCreated } = await prepareDatabase(
      connection,
      publication,
      [...tables.values()],
      fleet ? slot : undefined,
    );
    // A slot made again after a drop (an invalidated one too, once dropped) lost what changed
    // meanwhile: the first session on it falls back, as a new temporary slot does.
    if (slotCreated && this.prepared) this.slotLost = true;
    this.prepared = true;
  }

  /** Every mapped table's fallback, as one set (changes may have been missed). */
  private everyFallback(): InvalidationSet {
    const tables = this.options.tables;
    const set = new InvalidationSet(this.options.maxInvalidations, fallbackOf(tables));
    for (const table of tables.keys()) {
      set.fallBack(table);
      this.events.emit('cdc:fallback', { table, reason: 'reconnect' });
    }
    return set;
  }

  /** Waits `ms`, or less when `stop()` is called. */
  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.wakeUp.signal }).catch(() => undefined);
  }

  private setState(state: CdcState, reason?: string): void {
    if (state === 'streaming' || state === 'standby' || state === 'degraded') this.settle();
    const changed = state !== this.state || reason !== this.reason;
    this.state = state;
    this.reason = reason;
    if (changed) this.events.emit('cdc:state', reason === undefined ? { state } : { state, reason });
  }
}
