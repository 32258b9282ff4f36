import { SYSTEM_CLOCK, type StrataClock } from '../clock/strata-clock.js';
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { GuardedRun } from '../layers/guarded-run.js';

/** Options of {@link LoadLeases} (durations in ms). */
export interface LoadLeaseOptions {
  /** How long a lease lives if its holder never releases it (it crashed): others load after that. */
  readonly ttlMs: number;
}

/** What {@link LoadLeases.acquire} found. */
export type LeaseOutcome =
  /** This instance holds the lease: load, store, then call `release`. */
  | { readonly kind: 'acquired'; readonly release: () => Promise<void> }
  /** Another instance holds it: wait for its value. */
  | { readonly kind: 'held' }
  /** Redis did not answer: load without a lease. */
  | { readonly kind: 'unavailable' };

/** Deletes the lease only if it still holds this holder's token (it may have expired and been retaken). */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** Extends the lease only if it still holds this holder's token. */
const RENEW_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

type LeaseClient = (Redis | Cluster) & {
  strataLeaseRenew(key: string, token: string, ttlMs: number): Promise<number>;
};

const LEASE_UNAVAILABLE: LeaseOutcome = { kind: 'unavailable' };
/** First wait for another instance's value; doubles up to {@link MAX_POLL_MS}. */
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 50;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Cross-instance single-flight: on a miss, one instance takes a lease on the key (`SET NX PX`
 * with a random token) and loads; the others wait for the value it stores. A lease is released
 * by a compare-and-delete script, so a holder whose lease expired cannot delete its successor's.
 * If the holder dies, its lease expires after `ttlMs` and a waiter takes over.
 */
export class LoadLeases {
  private readonly client: LeaseClient;

  constructor(
    client: Redis | Cluster,
    private readonly run: GuardedRun,
    private readonly options: LoadLeaseOptions,
    private readonly prefix: string,
    private readonly clock: StrataClock = SYSTEM_CLOCK,
  ) {
    // defineCommand is idempotent per name, so a client shared by two stacks is fine.
    client.defineCommand('strataLeaseRenew', { numberOfKeys: 1, lua: RENEW_SCRIPT });
    this.client = client as LeaseClient;
  }

  /** How long a lease lives without release, in ms. */
  get ttlMs(): number {
    return this.options.ttlMs;
  }

  /**
   * The lease key of an entry. Namespaces cannot contain `~`, so it never equals an entry key;
   * it keeps the entry key's hash tag, if any, so it lands on the entry's slot.
   */
  keyOf(fullKey: string): string {
    return `${this.prefix}:~lease:${fullKey}`;
  }

  /**
   * Tries to take the lease of `fullKey`.
   *
   * @returns `acquired` (with `release`), `held` by another instance, or `unavailable`.
   */
  async acquire(fullKey: string): Promise<LeaseOutcome> {
    const key = this.keyOf(fullKey);
    const token = randomUUID();
    // Unanswered, it may still be taken once this call has loaded without it: released at once
    // (a no-op if not taken), or the other instances would wait for a value nobody loads.
    const reply = await this.run('lease', () => this.client.set(key, token, 'PX', this.options.ttlMs, 'NX'), {
      undo: () => this.releaseNow(key, token),
    });
    if (reply === undefined) return LEASE_UNAVAILABLE;
    if (reply !== 'OK') return { kind: 'held' };
    // While the holder loads, its lease is extended every third of its life: only a holder that
    // stopped (crashed) lets it expire, however slow the loader.
    let renewal: Promise<unknown> = Promise.resolve();
    const timer = setInterval(
      () => {
        renewal = renewal.then(() =>
          this.run('lease', () => this.client.strataLeaseRenew(key, token, this.options.ttlMs), {
            background: true,
          }),
        );
      },
      Math.max(Math.floor(this.options.ttlMs / 3), 1),
    );
    timer.unref();
    return {
      kind: 'acquired',
      release: async () => {
        clearInterval(timer);
        await renewal;
        // A failed release only delays the waiters until the lease expires.
        await this.run('lease', () => this.releaseNow(key, token), { background: true });
      },
    };
  }

  /**
   * The compare-and-delete, sent as `EVAL` with its source: a release sent to a frozen Redis is
   * given up on before Redis answers, so an `EVALSHA` it does not know yet could not fall back.
   */
  private releaseNow(key: string, token: string): Promise<unknown> {
    return this.client.eval(RELEASE_SCRIPT, 1, key, token);
  }

  /**
   * Loads `fullKey` once across instances: under its lease, or, while another instance holds
   * the lease, by polling `lookup` (the L2 read) until that instance's value lands. When the
   * lease goes without a value (the holder failed, crashed and its lease expired, or its value
   * was not cacheable), this instance takes the lease and loads. Every lease taken is followed
   * by a `lookup` before the load (unless `recheck` is false): the holder before may have stored
   * the value and released the lease between this instance's miss and its attempt. Without
   * Redis, it just loads.
   *
   * @param fullKey - The entry key.
   * @param load - Runs the loader and stores its result.
   * @param lookup - Reads the entry another instance may have stored; `undefined` while absent.
   * @param recheck - Look up after taking the lease; `false` for a load that must run although
   *   a fresh entry exists (an early refresh).
   * @returns What `load` or `lookup` gave.
   */
  async loadOnce<T>(
    fullKey: string,
    load: () => Promise<T>,
    lookup: () => Promise<T | undefined>,
    recheck = true,
  ): Promise<T> {
    // The holder renews its lease while it loads, so waiters wait as long as it lives. The bound
    // is for a lease that never expires (set by hand without PX): past it, a waiter loads itself.
    const deadline = this.clock.now() + Math.max(10 * this.options.ttlMs, 60_000);
    let delay = FIRST_POLL_MS;
    for (;;) {
      const lease = await this.acquire(fullKey);
      if (lease.kind === 'unavailable') return load();
      if (lease.kind === 'acquired') {
        try {
          // The lease may be free because its last holder stored the value and released it after
          // this instance's miss: read again before loading (the read follows the lease, so a
          // value stored before it was taken is found).
          const stored = recheck ? await lookup() : undefined;
          return stored !== undefined ? stored : await load();
        } finally {
          await lease.release();
        }
      }
      await sleep(delay);
      delay = Math.min(delay * 2, MAX_POLL_MS);
      const found = await lookup();
      if (found !== undefined) return found;
      if (this.clock.now() >= deadline) return load();
    }
  }
}
