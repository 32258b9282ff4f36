import type { ResultRow, ScenarioResult } from './report.js';

/**
 * A Strata row held against the best of its peers' rows in the same scenario: the rows share a
 * baseline, so the ratio of their ratios is Strata's value over the peer's, measured in one run.
 */
interface PeerComparison {
  readonly scenario: string;
  /** Strata's row. */
  readonly strata: string;
  /** The peers' rows that give the same guarantee (rows that promise less are left out). */
  readonly peers: RegExp;
  /** `<=` for a cost (time, loader runs), `>=` for a rate. */
  readonly op: '<=' | '>=';
}

const L2_GET = /^(BentoCache|cacheable) get \(L2 only\)$/;

/**
 * Where Strata is held against BentoCache and cacheable. Scenario 7 leaves out cacheable's
 * `nonBlocking` set, which resolves before Redis has the value (it promises less); scenario 10
 * compares copy semantics with copies and shared objects with shared objects.
 */
const COMPARISONS: readonly PeerComparison[] = [
  { scenario: '3', strata: 'CacheStack.get (L2 only)', peers: L2_GET, op: '<=' },
  { scenario: '4', strata: 'CacheStack.get (L2 only)', peers: L2_GET, op: '>=' },
  {
    scenario: '7',
    strata: 'CacheStack.set (Redis), with the peers',
    peers: /^(BentoCache set|cacheable set \(.*nonBlocking: false\))/,
    op: '>=',
  },
  {
    scenario: '8',
    strata: 'Strata getOrLoad (default: lease)',
    peers: /^(BentoCache|cacheable) getOrSet$/,
    op: '<=',
  },
  { scenario: '9', strata: 'Strata set → peer L1 drop', peers: /^(BentoCache|cacheable) set →/, op: '<=' },
  {
    scenario: '9',
    strata: 'Strata delete → peer L1 drop',
    peers: /^(BentoCache|cacheable) delete →/,
    op: '<=',
  },
  {
    scenario: '10',
    strata: 'CacheStack.get (L1 + Redis)',
    peers: /^(BentoCache|cacheable) get \(L1 \+ Redis \+ (bus|sync)\)$/,
    op: '<=',
  },
  {
    scenario: '10',
    strata: 'CacheStack.get (L1 + Redis, shareReferences)',
    peers: /^(BentoCache|cacheable) get \(L1 \+ Redis \+ (bus|sync), (serialize|useClone): false\)$/,
    op: '<=',
  },
  ...['100 KB', '1 MB'].flatMap((size): PeerComparison[] => [
    {
      scenario: '14',
      strata: `CacheStack.get (L2 only), ${size}`,
      peers: new RegExp(`^(BentoCache|cacheable) get \\(L2 only\\), ${size}$`),
      op: '<=',
    },
    {
      scenario: '14',
      strata: `CacheStack.set (L2 only, bus: false), ${size}`,
      peers: new RegExp(`^(BentoCache|cacheable) set \\(L2 only\\), ${size}$`),
      op: '>=',
    },
  ]),
];

/** The comparison row: Strata's value over the best peer's, target "at least level" (1×). */
function againstBestPeer(strata: ResultRow, peers: readonly ResultRow[], op: '<=' | '>='): ResultRow {
  const best = peers.reduce((a, b) => ((op === '<=' ? b.ratio < a.ratio : b.ratio > a.ratio) ? b : a));
  return {
    scenario: strata.scenario,
    subject: `${strata.subject} vs best peer`,
    subjectValue: strata.subjectValue,
    baseline: best.subject,
    baselineValue: best.subjectValue,
    ratio: strata.ratio / best.ratio,
    target: { op, value: 1 },
  };
}

/**
 * Adds to a scenario's rows one row per comparison with the peers that ran in it (none when a
 * row is missing, as in a run without Redis).
 */
export function withPeerTargets(result: ScenarioResult): ScenarioResult {
  const added: ResultRow[] = [];
  for (const c of COMPARISONS) {
    const rows = result.rows.filter((row) => row.scenario === c.scenario);
    const strata = rows.find((row) => row.subject === c.strata);
    const peers = rows.filter((row) => c.peers.test(row.subject));
    if (strata !== undefined && peers.length > 0) added.push(againstBestPeer(strata, peers, c.op));
  }
  return added.length === 0 ? result : { ...result, rows: [...result.rows, ...added] };
}
