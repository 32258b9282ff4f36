import { EventEmitter } from 'node:events';

/** Where a `CdcConsumer` stands. */
export type CdcState =
  /** Checking the database and setting up the publication and slot. */
  | 'starting'
  /** Another instance holds the fleet's lease and consumes the slot; this one waits to take over. */
  | 'standby'
  /** Reading the slot and applying its changes. */
  | 'streaming'
  /**
   * The database or Redis cannot be reached, or a session failed: invalidation relies on TTLs
   * until the consumer reconnects.
   */
  | 'degraded'
  /** The database cannot stream changes and `required` is `false`: the consumer does nothing. */
  | 'unavailable'
  /** Stopped. */
  | 'stopped';

/** The events of a `CdcConsumer`, by name. */
export interface CdcEventMap {
  /** The consumer's state changed; `reason` says why it is `degraded` or `unavailable`. */
  'cdc:state': { readonly state: CdcState; readonly reason?: string };
  /**
   * Committed transactions were applied (their invalidations landed in Redis and on the bus) and
   * their position confirmed. `lagMs`: from the oldest one's commit to now.
   */
  'cdc:applied': {
    readonly transactions: number;
    readonly changes: number;
    readonly keys: number;
    readonly tags: number;
    readonly namespaces: number;
    readonly lsn: string;
    readonly lagMs: number;
  };
  /** A table's fallback applied instead of its changes one by one. */
  'cdc:fallback': {
    readonly table: string;
    readonly reason: 'truncate' | 'mapping-error' | 'too-many' | 'reconnect';
    readonly error?: unknown;
  };
  /** Something failed; the consumer retries (from the last confirmed position). */
  'cdc:error': { readonly during: 'setup' | 'stream' | 'apply' | 'lease'; readonly error: unknown };
}

/** Typed events of a `CdcConsumer`. */
export class CdcEvents {
  private readonly emitter = new EventEmitter();

  /**
   * Listens to an event.
   *
   * @returns A function that removes the listener.
   */
  on<K extends keyof CdcEventMap>(name: K, listener: (event: CdcEventMap[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  /** Emits an event; a listener that throws does not stop the consumer. */
  emit<K extends keyof CdcEventMap>(name: K, event: CdcEventMap[K]): void {
    for (const listener of this.emitter.listeners(name)) {
      try {
        (listener as (event: CdcEventMap[K]) => void)(event);
      } catch {
        // A listener's failure is its own.
      }
    }
  }
}
