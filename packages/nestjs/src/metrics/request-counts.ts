import type { CacheLayerName } from '@strata/core/internal';

/** Lookups of one cache, by outcome: plain numbers, so counting a hit allocates nothing. */
interface Cells {
  l1Hit: number;
  l2Hit: number;
  l1Stale: number;
  l2Stale: number;
  miss: number;
}

/** Label values of one cell of `strata_requests_total`. */
const CELLS: readonly { readonly field: keyof Cells; readonly layer: string; readonly result: string }[] = [
  { field: 'l1Hit', layer: 'l1', result: 'hit' },
  { field: 'l2Hit', layer: 'l2', result: 'hit' },
  { field: 'l1Stale', layer: 'l1', result: 'stale' },
  { field: 'l2Stale', layer: 'l2', result: 'stale' },
  { field: 'miss', layer: 'none', result: 'miss' },
];

/** One labelled increment, as prom-client's `Counter.inc(labels, value)` takes it. */
export type CounterIncrement = (
  labels: { cache: string; layer: string; result: string },
  value: number,
) => void;

/**
 * The counts behind `strata_requests_total{cache,layer,result}`. Hits are the hot path (an L1 hit
 * costs well under a microsecond), so events bump plain numbers, one object per cache, and the
 * counter catches up from them when scraped ({@link RequestCounts.flush} in its `collect`).
 */
export class RequestCounts {
  private readonly counts = new Map<string, Cells>();
  private readonly exported = new Map<string, Cells>();

  /** Counts a hit or a stale read served from `layer`. */
  served(cache: string, layer: CacheLayerName, stale: boolean): void {
    const cells = this.cells(cache);
    if (stale) {
      if (layer === 'l1') cells.l1Stale++;
      else cells.l2Stale++;
    } else if (layer === 'l1') cells.l1Hit++;
    else cells.l2Hit++;
  }

  /** Counts a miss. */
  missed(cache: string): void {
    this.cells(cache).miss++;
  }

  /** Adds what was counted since the last flush to the counter. */
  flush(inc: CounterIncrement): void {
    for (const [cache, cells] of this.counts) {
      const done = this.exported.get(cache) ?? emptyCells();
      for (const { field, layer, result } of CELLS) {
        const delta = cells[field] - done[field];
        if (delta > 0) inc({ cache, layer, result }, delta);
      }
      this.exported.set(cache, { ...cells });
    }
  }

  private cells(cache: string): Cells {
    let cells = this.counts.get(cache);
    if (cells === undefined) {
      cells = emptyCells();
      this.counts.set(cache, cells);
    }
    return cells;
  }
}

function emptyCells(): Cells {
  return { l1Hit: 0, l2Hit: 0, l1Stale: 0, l2Stale: 0, miss: 0 };
}
