/**
 * A lease to take along with a miss's write token (see `MISS_LEASE_SCRIPT`): its key, its
 * holder's unique token, and its life.
 */
export interface LeaseRequest {
  readonly key: string;
  readonly token: string;
  readonly ttlMs: number;
  /** Releases the lease if it was taken: for a claim Redis may have run without answering. */
  readonly undo: () => Promise<unknown>;
}

/**
 * A lease this instance holds while it loads, handed to the load's write so that one script
 * stores the value and releases the lease (see `LOAD_WRITE_SCRIPT`).
 */
export interface HeldLease {
  readonly key: string;
  readonly token: string;
  /** Tells the holder a write script released the lease: it then sends no release of its own. */
  released(): void;
}
