import type { EarlyRefresh } from '../options/stale-policy.js';

/**
 * The XFetch test (Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic Cache Stampede
 * Prevention", VLDB 2015): refresh a fresh entry early when
 * `now - loadMs × beta × ln(random()) ≥ freshUntil`. `-ln(random())` is exponentially
 * distributed, so the chance grows smoothly as expiry nears, and in proportion to how long the
 * loader takes (`loadMs`, stored with the entry). Entries without a load time (set, not loaded)
 * are never refreshed early.
 */
export function isEarlyRefreshDue(
  now: number,
  freshUntil: number,
  loadMs: number | undefined,
  early: EarlyRefresh,
): boolean {
  if (loadMs === undefined || loadMs <= 0) return false;
  return now - loadMs * early.beta * Math.log(early.random()) >= freshUntil;
}
