import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/**
 * The Redis lease that makes one instance of a fleet the consumer of a slot: `SET NX PX` with a
 * random token, renewed (only by its holder, compare-and-`PEXPIRE`) and released
 * (compare-and-`DEL`) by scripts. Redis failures read as "not held": an instance that cannot
 * reach Redis could not apply invalidations either.
 */
export class ConsumerLease {
  /** This holder's token. */
  readonly token = randomUUID();

  constructor(
    private readonly client: Redis | Cluster,
    /** The lease's key. */
    readonly key: string,
    private readonly ttlMs: number,
  ) {}

  /**
   * Takes the lease if free (or renews it if already ours): `held` when this instance holds it,
   * `taken` when another does, `unreachable` when Redis did not answer.
   */
  async acquire(): Promise<'held' | 'taken' | 'unreachable'> {
    try {
      const set = await this.client.set(this.key, this.token, 'PX', this.ttlMs, 'NX');
      if (set === 'OK') return 'held';
      const renewed = await this.client.eval(RENEW, 1, this.key, this.token, String(this.ttlMs));
      return renewed === 1 ? 'held' : 'taken';
    } catch {
      return 'unreachable';
    }
  }

  /** Extends the lease if this instance still holds it; whether it does. */
  async renew(): Promise<boolean> {
    try {
      return (await this.client.eval(RENEW, 1, this.key, this.token, String(this.ttlMs))) === 1;
    } catch {
      return false;
    }
  }

  /** Gives the lease up (if still held), so another instance takes over at once. */
  async release(): Promise<void> {
    try {
      await this.client.eval(RELEASE, 1, this.key, this.token);
    } catch {
      // It expires by itself.
    }
  }
}
