import { SYSTEM_CLOCK, type StrataClock } from '../clock/strata-clock.js';
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { GuardedRun } from '../layers/guarded-run.js';
import type { HeldLease, LeaseRequest } from './held-lease.js';
import type { RedisTimeBudget } from '../layers/redis-time-budget.js';

/** Options of {@link LoadLeases} (durations in ms). */
export interface LoadLeaseOptions {
  /** How long a lease lives if its holder never releases it (it crashed): others load after that. */
  readonly ttlMs: number;
}

/** What {@link LoadLeases.acquire} found; `found`: what a claim read instead of loading. */
export type LeaseOutcome<T = never> =
  /** This instance holds the lease: load, store (the write may release it: `lease`), then call `release`. */
  | (Claimed<T> & {
      readonly kind: 'acquired';
      readonly lease: HeldLease;
      readonly release: () => Promise<void>;
    })
  /** Another instance holds it: wait for its value. */
  | (Claimed<T> & { readonly kind: 'held' })
  /** Redis did not answer, or refused the lease (out of memory): load without a lease. */
  | (Claimed<T> & { readonly kind: 'unavailable' });

/** What an attempt at the lease learnt besides the lease. */
export interface Claimed<T> {
  /** Whether a claim ran with it (the token was taken and the entry re-checked). */
  readonly claimed: boolean;
  /** A value the re-check found (the key changed since the miss read), to use instead of loading. */
  readonly found: T | undefined;
}

/** What a {@link LeaseClaim} gave. */
export interface ClaimResult<T> {
  readonly lease: 'acquired' | 'held' | 'unavailable' | 'none';
  readonly found: T | undefined;
}

/**
 * What a load does before its loader runs, in one round trip where it can: take its write token
 * and re-check the entry (the key may have changed since the miss read), taking `lease` with them
 * when given (`none` without one).
 */
export interface LeaseClaim<T> {
  take(lease: LeaseRequest | undefined): Promise<ClaimResult<T>>;
}

/** Deletes the lease only if it still holds this holder's token (it may have expired and been retaken). */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** Extends the lease only if it still holds this holder's token. */
const RENEW_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

type LeaseClient = (Redis | Cluster) & {
  strataLeaseRenew(key: string, token: string, ttlMs: number): Promise<number>;
};

/** First wait for another instance's value; doubles up to {@link MAX_POLL_MS}. */
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 50;

/**
 * Lease tokens: a random prefix drawn once per process, then a counter. Unique across processes
 * as a random token each would be (96 random bits), without drawing one per lease.
 */
const TOKEN_PREFIX = `${randomBytes(12).toString('base64url')}:`;
let lastToken = 0;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Cross-instance single-flight: on a miss, one instance takes a lease on the key (`SET NX PX`
 * with a token unique to the holder, in the script that also takes the load's write token: see
 * {@link LeaseClaim}) and loads; the others wait for the value it stores. A lease is released by
 * a compare-and-delete, in the script that stores the value where it can, else by a script of its
 * own, so a holder whose lease expired cannot delete its successor's. If the holder dies, its
 * lease expires after `ttlMs` and a waiter takes over.
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
   * Tries to take the lease of `fullKey`: with `claim`, in the claim's round trip (which also takes
   * the write token and re-checks the entry); without, by a `SET NX PX` of its own.
   *
   * @returns `acquired` (with `release`), `held` by another instance, or `unavailable`.
   */
  async acquire<T = never>(
    fullKey: string,
    claim?: LeaseClaim<T>,
    budget?: RedisTimeBudget,
  ): Promise<LeaseOutcome<T>> {
    const key = this.keyOf(fullKey);
    const token = TOKEN_PREFIX + String(++lastToken);
    // Unanswered, it may still be taken once this call has loaded without it: released at once
    // (a no-op if not taken), or the other instances would wait for a value nobody loads.
    const undo = (): Promise<unknown> => this.releaseNow(key, token);
    let state: ClaimResult<T>['lease'];
    let found: T | undefined;
    if (claim !== undefined) {
      ({ lease: state, found } = await claim.take({ key, token, ttlMs: this.options.ttlMs, undo }));
    } else {
      const reply = await this.run(
        'lease',
        () => this.client.set(key, token, 'PX', this.options.ttlMs, 'NX'),
        { undo, budget },
      );
      state = reply === undefined ? 'unavailable' : reply === 'OK' ? 'acquired' : 'held';
    }
    const claimed = claim !== undefined;
    if (state === 'held') return { kind: 'held', claimed, found };
    if (state !== 'acquired') return { kind: 'unavailable', claimed, found };
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
    let releasedByWrite = false;
    return {
      kind: 'acquired',
      claimed,
      found,
      lease: {
        key,
        token,
        released: () => {
          releasedByWrite = true;
        },
      },
      release: async () => {
        clearInterval(timer);
        await renewal;
        if (releasedByWrite) return;
        // A failed release only delays the waiters until the lease expires.
        await this.run('lease', () => this.releaseNow(key, token), { background: true, budget });
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
   * was not cacheable), this instance takes the lease and loads. Each attempt at the lease is one
   * `claim`, which also takes the load's write token and re-checks the entry: the holder before
   * may have stored the value and released the lease between this instance's miss and its
   * attempt, and the re-check follows the lease, so it finds that value. Without Redis, it just
   * loads.
   *
   * @param fullKey - The entry key.
   * @param load - Runs the loader and stores its result (releasing `lease` with the write where
   *   it can).
   * @param lookup - Reads the entry another instance may have stored; `undefined` while absent.
   * @param claim - Takes the write token, re-checks the entry, and takes the lease with them.
   * @param budget - The Redis time of the load's operation (else the one of its async context).
   * @returns What `load`, `lookup` or `claim` gave.
   */
  async loadOnce<T>(
    fullKey: string,
    load: (lease: HeldLease | undefined) => Promise<T>,
    lookup: () => Promise<T | undefined>,
    claim: LeaseClaim<T>,
    budget?: RedisTimeBudget,
  ): Promise<T> {
    // The holder renews its lease while it loads, so waiters wait as long as it lives. The bound
    // is for a lease that never expires (set by hand without PX): past it, a waiter loads itself.
    const deadline = this.clock.now() + Math.max(10 * this.options.ttlMs, 60_000);
    let delay = FIRST_POLL_MS;
    for (;;) {
      const lease = await this.acquire(fullKey, claim, budget);
      if (lease.kind === 'acquired') {
        try {
          // A lease taken by a command of its own is followed by the claim without one.
          const found = lease.claimed ? lease.found : (await claim.take(undefined)).found;
          return found !== undefined ? found : await load(lease.lease);
        } finally {
          await lease.release();
        }
      }
      if (lease.found !== undefined) return lease.found;
      if (lease.kind === 'unavailable') return load(undefined);
      await sleep(delay);
      delay = Math.min(delay * 2, MAX_POLL_MS);
      const found = await lookup();
      if (found !== undefined) return found;
      if (this.clock.now() >= deadline) return load(undefined);
    }
  }
}
