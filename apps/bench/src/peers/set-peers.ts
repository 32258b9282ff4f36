// The peers' sets with L1, Redis and their bus on, for scenario 7: what each does on `set` as
// configured by its docs, and cacheable also with `nonBlocking: false` (a set that waits for Redis).
import { alternateThroughput, type Subject, type ThroughputOptions } from '../measure.js';
import type { BenchRedis } from '../redis.js';
import { formatRate, ratioRow, type ResultRow } from '../report.js';
import { bentoPeer, type BentoPeer } from './bentocache.peer.js';
import { cacheablePeer, type CacheablePeer } from './cacheable.peer.js';

const BENTO = 'BentoCache set (L1 + Redis + bus)';
const CACHEABLE = 'cacheable set (L1 + Redis + sync, nonBlocking)';
const CACHEABLE_BLOCKING = 'cacheable set (L1 + Redis + sync, nonBlocking: false)';

/** The peer subjects of scenario 7 and their rows. */
export interface SetPeers {
  /**
   * Sets of `value` over `keys` keys, each peer under its own prefix, alternating with `baseline`
   * and `strata` (measured again here, so the peers' PUBLISHes stay out of the Strata rows'
   * command counts, and a Strata row stands next to the peers in the same rounds).
   */
  measure(
    baseline: Subject,
    strata: Subject,
    value: unknown,
    keys: number,
    options: ThroughputOptions,
  ): Promise<ResultRow[]>;
  readonly note: string;
  /** Waits for cacheable's background writes to Redis, then closes; throws if any failed. */
  close(): Promise<void>;
}

/** BentoCache and cacheable with L1, Redis and their bus, under `<prefix>-bento` / `-cacheable…`. */
export function setPeers(redis: BenchRedis, prefix: string): SetPeers {
  const bento: BentoPeer = bentoPeer({ url: redis.url, prefix: `${prefix}-bento` });
  const cacheable: CacheablePeer = cacheablePeer({ url: redis.url, namespace: `${prefix}-cacheable` });
  const blocking: CacheablePeer = cacheablePeer({
    url: redis.url,
    namespace: `${prefix}-cacheable-blocking`,
    nonBlocking: false,
  });
  return {
    async measure(baseline, strata, value, keys, options) {
      await cacheable.connect();
      await blocking.connect();
      let i = 0;
      const subjects: Subject[] = [
        baseline,
        strata,
        { name: BENTO, run: async () => (await bento.cache.set({ key: `s${i++ % keys}`, value }), 1) },
        { name: CACHEABLE, run: async () => (await cacheable.cache.set(`s${i++ % keys}`, value), 1) },
        { name: CACHEABLE_BLOCKING, run: async () => (await blocking.cache.set(`s${i++ % keys}`, value), 1) },
      ];
      const samples = await alternateThroughput(subjects, options);
      return [strata.name, BENTO, CACHEABLE, CACHEABLE_BLOCKING].map((name) =>
        ratioRow('7', samples, name, baseline.name, undefined, formatRate),
      );
    },
    note: `Peers, same value, keys, loops and rounds, measured after the rows above and alternating with the raw SET again (their ratios are to that second run's SET), with the default stack's CacheStack.set again in the same rounds (the row "… with the peers"), so Strata and the peers compare within one run: BentoCache (memory L1, Redis L2, Redis bus) awaits its L1 write, the Redis SET and the bus PUBLISH; cacheable as its README recommends (\`nonBlocking: true\`, sync on) resolves once its primary has the value and the sync PUBLISH (which carries the value) is answered, and writes Redis in the background, unawaited: it promises less than the other rows (no acknowledged Redis write; a failed one is only an \`error\` event, counted here and failing the scenario). cacheable with \`nonBlocking: false\` waits for Redis too, which makes it comparable to the CacheStack.set row of the default stack; neither peer guards against a stale set racing a newer one, so the \`l1: false, bus: false\` row is the closer Strata comparison for raw write cost.`,
    async close() {
      // Background writes still in flight: let them land before the connections close.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const failed = cacheable.errors() + blocking.errors();
      await Promise.allSettled([bento.close(), cacheable.close(), blocking.close()]);
      if (failed > 0) throw new Error(`cacheable: ${failed} failed writes during the measurement`);
    },
  };
}
