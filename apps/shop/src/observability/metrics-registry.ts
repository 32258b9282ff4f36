/**
 * The prom-client `Registry` the shop's `/metrics` serves and `StrataMetricsModule` registers
 * on. One per app (made in `ObservabilityModule.forRoot`), not prom-client's global `register`:
 * two shops in one process (the e2e tests restart one) never collide on metric names.
 */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
