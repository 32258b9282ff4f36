import type { ConfirmedInvalidation } from '../writes/confirmed-invalidations.js';
import { type CacheStack, engineOf } from './cache-stack.js';

/**
 * Drops entries by key, tag and namespace on every instance, and resolves only once Redis stored
 * the invalidation and the bus published it (see `ConfirmedInvalidations`); throws
 * `InvalidationUnconfirmedError` otherwise. Safe to repeat: invalidations are idempotent. For
 * Strata's own features that confirm a position in a change stream (`@strata/cdc`).
 *
 * @param stack - The stack whose entries are dropped.
 * @param request - Keys (each in its namespace), tags and namespaces.
 */
export function confirmInvalidation(stack: CacheStack, request: ConfirmedInvalidation): Promise<void> {
  return engineOf(stack).writes.invalidateConfirmed(request);
}
