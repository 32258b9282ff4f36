import type { Cluster, Redis } from 'ioredis';
import { storedEntryTail } from '../codec/entry.envelope.js';
import type { StoredValueCodec } from '../codec/stored-value.codec.js';
import type { HeldLease, LeaseRequest } from '../lease/held-lease.js';
import { MISS_LEASE_SCRIPT } from '../lease/miss-lease.script.js';
import { isOutOfMemoryReply } from '../redis/redis-reply.js';
import type { EntryToWrite, LayerRead } from './cache-layer.interface.js';
import { LOAD_WRITE_SCRIPT } from './load-write.script.js';
import { checkedRecord } from './record-read.js';

/** The lease a claim found: taken, held by another holder, refused (out of memory), or not asked for. */
export type MissLease = 'acquired' | 'held' | 'unavailable' | 'none';

/** What a miss's claim ({@link RedisMissCommands.claim}) found. */
export interface MissClaim {
  /** The token for the load's write (see `MISS_LEASE_SCRIPT`). */
  readonly token: number;
  readonly lease: MissLease;
  /**
   * The record, checked against its tag times, when the key changed since the miss read: a fresh
   * entry there may be used instead of loading. `undefined` when it did not change.
   */
  readonly read: LayerRead | undefined;
  /**
   * Set when Redis refused the lease for another reason than memory (a read-only replica): the
   * token stands, the lease is unavailable, and the caller reports this as the lease's failure.
   */
  readonly refused?: Error;
}

/** Redis's refusal of a lease's `SET`, as the error reply it is (see `isRedisReply`): Redis answered. */
function refusal(message: string): Error {
  const error = new Error(message);
  error.name = 'ReplyError';
  return error;
}

/** The script's lease codes, in order. */
const LEASE_STATES: readonly MissLease[] = ['unavailable', 'acquired', 'held', 'none'];

interface MissScripts {
  strataMissLease(...args: (string | number)[]): Promise<(number | string | null)[]>;
  strataLoadWrite(
    key: string,
    leaseKey: string,
    token: string,
    px: number,
    tail: string,
    holder: string,
  ): Promise<number>;
}

/**
 * The part of a key that Redis Cluster hashes: the first non-empty `{...}`, or the whole key. Two
 * keys with equal parts share a slot.
 */
function hashedPart(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/**
 * The commands of a load's miss over Redis: the claim before the loader runs (write token, lease,
 * re-check: `MISS_LEASE_SCRIPT`) and the write that releases the lease (`LOAD_WRITE_SCRIPT`).
 * On one server (or a Sentinel's primary) each is one round trip. On a Cluster, a script may only
 * touch one slot: the lease goes with the entry only when the entry key has a hash tag; else it is
 * taken (`SET NX PX`) before the claim and released after the write, each a command of its own;
 * tag times are read apart, only when the claim found a changed record.
 */
export class RedisMissCommands {
  private readonly client: (Redis | Cluster) & MissScripts;

  /**
   * @param values - the stored form of values (compressed, encrypted), for the write and the
   * record the claim re-reads.
   */
  constructor(
    client: Redis | Cluster,
    private readonly values: StoredValueCodec | undefined,
  ) {
    // defineCommand is idempotent per name, so a client shared by two stacks is fine.
    client.defineCommand('strataMissLease', { lua: MISS_LEASE_SCRIPT });
    client.defineCommand('strataLoadWrite', { numberOfKeys: 2, lua: LOAD_WRITE_SCRIPT });
    this.client = client as (Redis | Cluster) & MissScripts;
  }

  /** Whether one script may touch both keys: always on one server; on a Cluster, in one slot. */
  together(key: string, leaseKey: string): boolean {
    return !this.client.isCluster || hashedPart(key) === hashedPart(leaseKey);
  }

  /**
   * Takes the write token of a miss, with `lease` when given, and re-reads the record when the key
   * changed since the miss read.
   *
   * @param key - The entry key.
   * @param seen - The version of the record the miss read saw (`null`: none); `undefined`: compare
   *   nothing (a load that must run although an entry exists).
   * @param tagHint - Tag and namespace time keys to read with a changed record.
   * @param lease - The lease to take, if any.
   */
  async claim(
    key: string,
    seen: number | null | undefined,
    tagHint: readonly string[],
    lease: LeaseRequest | undefined,
  ): Promise<MissClaim> {
    const keys = [key];
    let holder = '';
    let state: MissLease = 'none';
    if (lease !== undefined) {
      if (this.together(key, lease.key)) {
        keys.push(lease.key);
        holder = lease.token;
      } else {
        // Taken before the re-read, which then finds every value its last holder stored.
        state = await this.takeLease(lease);
      }
    }
    // On a Cluster, tag times live in a slot of their own: read apart, and only if needed.
    const hinted = this.client.isCluster ? [] : tagHint;
    const seenArg = seen === undefined ? '-' : seen === null ? '' : String(seen);
    const px = lease === undefined ? 0 : Math.max(1, Math.ceil(lease.ttlMs));
    let reply: (number | string | null)[];
    try {
      reply = await this.client.strataMissLease(
        keys.length + hinted.length,
        ...keys,
        ...hinted,
        seenArg,
        holder,
        px,
      );
    } catch (error) {
      // A lease taken apart must not outlive a claim that failed: its waiters would wait for nothing.
      if (state === 'acquired') await lease?.undo().catch(() => undefined);
      throw error;
    }
    const token = Number(reply[0]);
    if (Number(reply[1]) === 4)
      return { token, lease: 'unavailable', read: undefined, refused: refusal(String(reply[2])) };
    if (holder !== '') state = LEASE_STATES[Number(reply[1])] ?? 'unavailable';
    const raw = reply[2];
    if (typeof raw !== 'string') return { token, lease: state, read: undefined };
    const times = reply.slice(3).map((time) => (typeof time === 'string' ? time : null));
    const read = await checkedRecord(key, this.values, raw, hinted, times, 0, (unknown) =>
      this.client.mget(...unknown),
    );
    return { token, lease: state, read };
  }

  /**
   * Stores a load's entry under its miss token and releases `lease` (one script; both keys must
   * be {@link RedisMissCommands.together}). Marks the lease released once Redis answered.
   *
   * @returns The entry's version, or 0 when the token refused the write.
   */
  async writeReleasing(
    key: string,
    entry: EntryToWrite,
    px: number,
    token: number,
    lease: HeldLease,
  ): Promise<number> {
    const tail = storedEntryTail(key, entry, this.values);
    const version = await this.client.strataLoadWrite(key, lease.key, String(token), px, tail, lease.token);
    lease.released();
    return version;
  }

  /** `SET NX PX` of a lease on its own slot; refused for memory, the lease is unavailable. */
  private async takeLease(lease: LeaseRequest): Promise<MissLease> {
    const px = Math.max(1, Math.ceil(lease.ttlMs));
    try {
      return (await this.client.set(lease.key, lease.token, 'PX', px, 'NX')) === 'OK' ? 'acquired' : 'held';
    } catch (error) {
      if (isOutOfMemoryReply(error)) return 'unavailable';
      throw error;
    }
  }
}
