import { MAX_KEYS_PER_MESSAGE } from '../bus/invalidation-bus.js';
import { InvalidationUnconfirmedError } from '../errors/invalidation-unconfirmed.error.js';
import { DEFAULT_NAMESPACE, KeyBuilder } from '../keys/key-builder.js';
import type { Tiers } from '../tiers/tiers.js';
import { heldBackWhile } from './held-back.js';

/** One entry key of a {@link ConfirmedInvalidation}, in its namespace (`default` when absent). */
export interface InvalidatedKey {
  readonly key: string;
  readonly namespace?: string;
}

/** What a confirmed invalidation drops: entries by key, by tag and by namespace. */
export interface ConfirmedInvalidation {
  readonly keys?: readonly InvalidatedKey[];
  readonly tags?: readonly string[];
  readonly namespaces?: readonly string[];
}

const NONE: readonly never[] = [];

/**
 * Deletes, tag and namespace invalidations that resolve only once they landed: Redis stored the
 * delete markers, the keys' change times and the tag and namespace times, and the bus published
 * the announcement (a subscriber of the bus that is connected then receives it). A `CacheStack`'s
 * own `delete` and `invalidateTags` resolve in any case and replay what failed later; this is for
 * a caller that must know, such as a consumer of a database's change stream that confirms its
 * position only after the changes it read were applied. On failure it throws
 * {@link InvalidationUnconfirmedError}, and what failed is kept for the usual replay too.
 *
 * They take the path of the stack's own: versioned delete markers and tag times, so a load that
 * began before the invalidation cannot store its older result after it; L1 is dropped at once.
 * Without Redis, only L1 is concerned, and the call resolves once it is dropped.
 */
export class ConfirmedInvalidations {
  constructor(
    private readonly tiers: Tiers,
    /** Sends the sets waiting for a script call, so that they land before the markers. */
    private readonly flushSets: () => void,
  ) {}

  async apply(request: ConfirmedInvalidation): Promise<void> {
    const { tiers } = this;
    const { keys: layout, guard, bus, events } = tiers;
    for (const namespace of request.namespaces ?? NONE) KeyBuilder.assertNamespace(namespace);
    const full = [
      ...new Set((request.keys ?? NONE).map(({ key, namespace }) => layout.entry(key, namespace))),
    ];
    const tags = [...new Set(request.tags ?? NONE)];
    const namespaces = [...new Set(request.namespaces ?? NONE)];
    const tagKeys = [...tags.map((tag) => layout.tag(tag)), ...namespaces.map((ns) => layout.namespace(ns))];
    const changeTimes = tiers.options.dependencies ? full.map((key) => layout.keyDependency(key)) : [];
    const invalidated = [...tagKeys, ...changeTimes];
    const upTo = await heldBackWhile(tiers, full, invalidated, async () => {
      const versions: (number | undefined)[] = [];
      if (guard === undefined) return versions;
      this.flushSets();
      for (let at = 0; at < full.length; at += MAX_KEYS_PER_MESSAGE) {
        const chunk = await guard.delete(full.slice(at, at + MAX_KEYS_PER_MESSAGE));
        if (chunk === undefined) throw new InvalidationUnconfirmedError('redis');
        versions.push(...chunk);
      }
      if (invalidated.length > 0 && !(await guard.invalidate(invalidated)))
        throw new InvalidationUnconfirmedError('redis');
      return versions;
    });
    if (bus !== undefined && (full.length > 0 || invalidated.length > 0)) {
      if (!(await bus.announce(full, upTo, invalidated))) throw new InvalidationUnconfirmedError('bus');
    }
    if (full.length > 0 && events.has('delete')) {
      const byNamespace = new Map<string, string[]>();
      for (const { key, namespace = DEFAULT_NAMESPACE } of request.keys ?? NONE) {
        const entry = layout.entry(key, namespace);
        const list = byNamespace.get(namespace);
        if (list === undefined) byNamespace.set(namespace, [entry]);
        else if (!list.includes(entry)) list.push(entry);
      }
      for (const [cache, keys] of byNamespace) events.emit('delete', { cache, keys });
    }
    if (tags.length > 0 && events.has('invalidate:tags')) events.emit('invalidate:tags', { tags });
    if (events.has('invalidate:namespace'))
      for (const namespace of namespaces) events.emit('invalidate:namespace', { cache: namespace });
  }
}
