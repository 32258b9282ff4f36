import type { MissClaim } from '../layers/redis-miss.commands.js';
import type { ClaimResult, LeaseClaim } from '../lease/load-lease.js';
import type { RedisTimeBudget } from '../layers/redis-time-budget.js';
import type { Tiers } from '../tiers/tiers.js';
import { l2LookupOf } from './l2-lookup.js';
import type { LoadRequest } from './load-request.js';
import { loadedFrom } from './loaded.js';
import { L2_READ, type Loaded } from './read-path.types.js';

const UNANSWERED: ClaimResult<Loaded> = { lease: 'unavailable', found: undefined };

/**
 * The claim of a load under the key's lease (`LoadLeases.loadOnce`): one round trip where the
 * lease and the entry share a node (`RedisMissCommands.claim`), which takes the Redis write token
 * (handed to `onToken`; `undefined` when Redis failed, so the result stays out of Redis), the
 * lease when asked, and re-reads the entry when it changed since the miss read: a fresh entry
 * there is used instead of loading.
 *
 * @param seen - The version of the record the miss read found (`null`: none); `undefined`:
 *   compare nothing (an early refresh).
 * @param budget - The Redis time of the load's operation.
 */
export function missClaim(
  tiers: Tiers,
  request: LoadRequest,
  l1Token: number | undefined,
  seen: number | null | undefined,
  onToken: (token: number | undefined) => void,
  budget: RedisTimeBudget | undefined,
): LeaseClaim<Loaded> {
  const { guard, l2 } = tiers;
  const { full, tagKeys } = request;
  return {
    take: async (lease) => {
      if (guard === undefined || l2 === undefined) return UNANSWERED;
      let token: number | undefined;
      const claim = async (): Promise<MissClaim> => {
        const answer = await l2.claimMiss(full, seen, tagKeys, lease);
        token = answer.token;
        // A lease Redis refused (read-only) fails as a lease's command would; the token stands.
        if (answer.refused !== undefined) throw answer.refused;
        return answer;
      };
      const claimed = await guard.command(lease === undefined ? 'read' : 'lease', claim, {
        undo: lease?.undo,
        budget,
      });
      // Without an answer there is no token: the load's result stays out of Redis.
      onToken(token);
      if (claimed === undefined) return UNANSWERED;
      // A record that an eviction waiting for its replay may cover is not served (see L2Guard.read).
      const read = claimed.read !== undefined && guard.pendingRepairs === 0 ? claimed.read : undefined;
      const found =
        read === undefined ? undefined : l2LookupOf(tiers, full, read, l1Token, L2_READ.lookup, request.seal);
      return {
        lease: claimed.lease,
        found: found?.hit === true ? loadedFrom(tiers, found.entry, found.shared) : undefined,
      };
    },
  };
}
